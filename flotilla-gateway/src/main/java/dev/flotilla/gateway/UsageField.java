package dev.flotilla.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The {@code usage} object of a worker's JSON answer, read without parsing the whole answer:
 * OpenAI-compatible servers put it last, so the gateway parses from the last {@code "usage"} key
 * on and falls back to the whole document only when that does not give a usage object (the text
 * itself may contain the word). Metering every request must not cost a full parse of every answer.
 */
final class UsageField {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] KEY = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

    private UsageField() {}

    static Optional<JsonNode> of(byte[] json) {
        int at = lastIndexOf(json, KEY);
        if (at >= 0) {
            int i = at + KEY.length;
            while (i < json.length && (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' || json[i] == '\t')) {
                i++;
            }
            if (i < json.length && json[i] == ':') {
                try (JsonParser p = MAPPER.getFactory().createParser(json, i + 1, json.length - i - 1)) {
                    JsonNode n = MAPPER.readTree(p);
                    if (n != null && n.isObject() && n.has("prompt_tokens")) {
                        return Optional.of(n);
                    }
                } catch (IOException e) {
                    // not a value after all: fall through to the whole document
                }
            }
        }
        try {
            JsonNode usage = MAPPER.readTree(json).path("usage");
            return usage.isObject() ? Optional.of(usage) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // not JSON: the caller keeps its estimate
        }
    }

    private static int lastIndexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = haystack.length - needle.length; i >= 0; i--) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
