package dev.flotilla.gateway;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;

/**
 * An error answered in OpenAI's shape, {@code {"error":{"message","type","param","code"}}}, with
 * its HTTP status and, for 429 and 503, a Retry-After in seconds (0: none).
 *
 * @param status HTTP status
 * @param type OpenAI error type, e.g. {@code invalid_request_error}
 * @param param the offending request field, or {@code null}
 * @param code machine-readable code, e.g. {@code model_not_found}, or {@code null}
 * @param message what was wrong, quoting the bad value and what would be accepted
 * @param retryAfterSeconds Retry-After header value; 0 for none
 */
public record OpenAiError(int status, String type, String param, String code, String message, long retryAfterSeconds) {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public OpenAiError {
        requireNonNull(type, "type is null");
        requireNonNull(message, "message is null");
    }

    public static OpenAiError invalid(String param, String code, String message) {
        return new OpenAiError(400, "invalid_request_error", param, code, message, 0);
    }

    /** The JSON body: {@code {"error":{...}}}. */
    public ObjectNode body() {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type);
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        return root;
    }

    /** The body as one SSE event, {@code data: {...}\n\n}, for a stream that cannot go on. */
    public String sseEvent() {
        return "data: " + body() + "\n\n";
    }

    /** Answers {@code response} with this error, unless its head is already written. */
    public void send(HttpServerResponse response) {
        if (response.headWritten() || response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader("Content-Type", "application/json");
        if (retryAfterSeconds > 0) {
            response.putHeader("Retry-After", Long.toString(retryAfterSeconds));
        }
        response.end(body().toString());
    }
}
