package dev.flotilla.traces;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Mooncake (Kimi) trace (kvcache-ai/Mooncake, Apache-2.0): JSON Lines
 * {@code {"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [..]}}. The timestamp
 * is milliseconds from the trace's zero; {@code hash_ids} (optional) name the prompt's 512-token
 * blocks, equal ids for equal prefixes. Other fields are ignored.
 */
final class MooncakeParser extends RecordParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String SHAPE = "{\"timestamp\": ms, \"input_length\": n, \"output_length\": n, \"hash_ids\": [..]}";

    MooncakeParser(Input.Lines lines) {
        super(lines);
    }

    @Override
    TraceRequest next() {
        String line = lines.nextNonBlank();
        if (line == null) {
            return null;
        }
        JsonNode row;
        try {
            row = JSON.readTree(line);
        } catch (JacksonException e) {
            throw error("not valid JSON (" + e.getOriginalMessage() + "); expected one object per line like " + SHAPE);
        }
        if (row == null || !row.isObject()) {
            throw error("expected a JSON object like " + SHAPE + ", got '" + abbreviate(line) + "'");
        }
        JsonNode ts = row.get("timestamp");
        if (ts == null || !ts.isNumber()) {
            throw error("timestamp", ts == null ? "missing; expected milliseconds from the trace start" : "'" + ts + "' is not a number of milliseconds");
        }
        double ms = ts.asDouble();
        if (ms < 0) {
            throw error("timestamp", ts + " is negative; timestamps are milliseconds >= 0 from the trace start");
        }
        if (!Double.isFinite(ms) || ms > Long.MAX_VALUE / 1_000.0) {
            throw error("timestamp", ts + " ms is out of range");
        }
        int in = length(row, "input_length");
        int out = length(row, "output_length");
        long[] hashes = TraceRequest.NO_HASHES;
        JsonNode ids = row.get("hash_ids");
        if (ids != null && !ids.isNull()) {
            if (!ids.isArray()) {
                throw error("hash_ids", "expected an array of block ids, got " + abbreviate(ids.toString()));
            }
            hashes = new long[ids.size()];
            for (int i = 0; i < hashes.length; i++) {
                JsonNode id = ids.get(i);
                if (!id.isIntegralNumber() || !id.canConvertToLong()) {
                    throw error("hash_ids", "element " + i + " '" + id + "' is not a whole number");
                }
                hashes[i] = id.longValue();
            }
        }
        long micros = ts.isIntegralNumber() ? ts.longValue() * 1_000L : Math.round(ms * 1_000.0);
        return new TraceRequest(micros, in, out, hashes, Optional.empty(), OptionalDouble.empty());
    }

    private int length(JsonNode row, String field) {
        JsonNode n = row.get(field);
        if (n == null) {
            throw error(field, "missing; expected a token count");
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw error(field, "'" + n + "' is not a whole number of tokens");
        }
        long v = n.longValue();
        if (v < 0) {
            throw error(field, v + " is negative; token counts must be >= 0");
        }
        if (v > Integer.MAX_VALUE) {
            throw error(field, v + " tokens is more than " + Integer.MAX_VALUE);
        }
        return (int) v;
    }

    @Override
    String columnWord() {
        return "field";
    }

    @Override
    String describe(long rawMicros) {
        return (rawMicros % 1_000 == 0 ? String.valueOf(rawMicros / 1_000) : String.valueOf(rawMicros / 1_000.0)) + " ms";
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
