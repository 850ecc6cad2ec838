package dev.flotilla.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Watches a Server-Sent Events stream as it passes through, without changing it: counts the
 * {@code data:} events, notices {@code data: [DONE]}, and keeps the last {@code usage} object
 * (the final chunk when the client asked for {@code stream_options.include_usage}). Lines may be
 * split across buffers at any byte; a line is complete at its {@code \n}. Only lines that contain
 * a usage object are parsed as JSON, so the cost per token stays a byte scan.
 *
 * <p>Not thread-safe: one scanner per response, fed from that response's context.
 */
final class SseScanner {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] USAGE = "\"usage\":{".getBytes(StandardCharsets.US_ASCII);

    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private long dataEvents;
    private boolean done;
    private JsonNode usage;

    void feed(Buffer buffer) {
        byte[] bytes = buffer.getBytes();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                line.write(bytes, start, i - start);
                endLine();
                start = i + 1;
            }
        }
        line.write(bytes, start, bytes.length - start);
    }

    private void endLine() {
        byte[] l = line.toByteArray();
        line.reset();
        int n = l.length;
        if (n > 0 && l[n - 1] == '\r') {
            n--;
        }
        if (n < 5 || l[0] != 'd' || l[1] != 'a' || l[2] != 't' || l[3] != 'a' || l[4] != ':') {
            return;
        }
        String payload = new String(l, 5, n - 5, StandardCharsets.UTF_8).strip();
        if (payload.equals("[DONE]")) {
            done = true;
            return;
        }
        if (contains(l, n, USAGE)) {
            try {
                JsonNode u = MAPPER.readTree(payload).path("usage");
                if (u.isObject()) {
                    usage = u;
                    return;
                }
            } catch (Exception e) {
                // not JSON: an opaque event, counted below
            }
        }
        dataEvents++;
    }

    private static boolean contains(byte[] hay, int n, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= n; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** {@code data:} events other than {@code [DONE]} and the usage chunk. */
    long dataEvents() {
        return dataEvents;
    }

    boolean sawDone() {
        return done;
    }

    /** The usage object of the final chunk, when the worker sent one. */
    Optional<JsonNode> usage() {
        return Optional.ofNullable(usage);
    }
}
