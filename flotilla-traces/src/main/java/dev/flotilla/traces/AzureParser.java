package dev.flotilla.traces;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Azure LLM inference trace 2023 (Azure/AzurePublicDataset, CC-BY 4.0): a header
 * {@code TIMESTAMP,ContextTokens,GeneratedTokens}, then one row per request with a timestamp like
 * {@code 2023-11-16 18:17:03.9799600} (no zone given; read as UTC, truncated to microseconds).
 */
final class AzureParser extends RecordParser {
    static final String HEADER = "TIMESTAMP,ContextTokens,GeneratedTokens";
    private static final String EXAMPLE = "2023-11-16 18:17:03.9799600";
    private final int time;
    private final int context;
    private final int generated;
    private final int needed;

    AzureParser(Input.Lines lines) {
        super(lines);
        List<String> cols = header(HEADER);
        time = column(cols, "TIMESTAMP", HEADER);
        context = column(cols, "ContextTokens", HEADER);
        generated = column(cols, "GeneratedTokens", HEADER);
        needed = Math.max(time, Math.max(context, generated)) + 1;
    }

    @Override
    TraceRequest next() {
        String line = lines.nextNonBlank();
        if (line == null) {
            return null;
        }
        List<String> f = fields(line, needed, HEADER);
        long t = timestamp(f.get(time), "TIMESTAMP", EXAMPLE);
        int in = tokens(f.get(context), "ContextTokens");
        int out = tokens(f.get(generated), "GeneratedTokens");
        if (t < 0) {
            throw error("TIMESTAMP", "'" + f.get(time) + "' is before 1970");
        }
        return new TraceRequest(t, in, out, TraceRequest.NO_HASHES, Optional.empty(), OptionalDouble.empty());
    }

    @Override
    String describe(long rawMicros) {
        return formatMicros(rawMicros);
    }
}
