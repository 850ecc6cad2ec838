package dev.flotilla.gateway;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;

/**
 * What the gateway reads from a request body to admit and route it; the body itself is forwarded
 * unchanged. Only the fields the gateway needs are checked ({@code model}, {@code stream},
 * {@code max_tokens}/{@code max_completion_tokens}); everything else is the worker's to validate.
 *
 * @param model the requested model
 * @param stream whether the client asked for Server-Sent Events
 * @param promptText the prompt's text (messages' contents, {@code prompt} or {@code input}), for
 *     prefix hashes and the token estimate
 * @param promptTokens estimated prompt tokens: {@code ceil(chars / 4)}, plus 4 per chat message
 *     and 3 to prime a chat reply (a typical chat template's overhead)
 * @param maxTokens the request's {@code max_tokens} or {@code max_completion_tokens}; 0 if absent
 */
record ParsedRequest(String model, boolean stream, String promptText, long promptTokens, long maxTokens) {
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Parses {@code body}; throws {@link GatewayException} with a 400 for anything unusable. */
    static ParsedRequest parse(Buffer body) {
        JsonNode root;
        try {
            root = body == null || body.length() == 0 ? null : MAPPER.readTree(body.getBytes());
        } catch (Exception e) {
            throw new GatewayException(OpenAiError.invalid(null, "invalid_json",
                    "the request body is not valid JSON: " + firstLine(e.getMessage())));
        }
        if (root == null || !root.isObject()) {
            throw new GatewayException(OpenAiError.invalid(null, "invalid_json",
                    "the request body must be a JSON object, got " + (root == null ? "nothing" : root.getNodeType())));
        }
        JsonNode model = root.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw new GatewayException(OpenAiError.invalid("model", "missing_model",
                    "'model' must be a non-empty string, got " + (model == null ? "nothing" : model)));
        }
        JsonNode stream = root.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            throw new GatewayException(OpenAiError.invalid("stream", "invalid_type",
                    "'stream' must be a boolean, got " + stream));
        }
        long maxTokens = 0;
        for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
            JsonNode m = root.get(field);
            if (m != null && !m.isNull()) {
                if (!m.canConvertToLong() || !m.isIntegralNumber() || m.asLong() < 1) {
                    throw new GatewayException(OpenAiError.invalid(field, "invalid_value",
                            "'" + field + "' must be a positive integer, got " + m));
                }
                maxTokens = m.asLong();
            }
        }
        // OpenAI accepts 1..128 choices; anything else is refused here, before it costs a worker.
        JsonNode n = root.get("n");
        if (n != null && !n.isNull() && (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1 || n.asInt() > 128)) {
            throw new GatewayException(OpenAiError.invalid("n", "invalid_value", "'n' must be an integer from 1 to 128, got " + n));
        }
        StringBuilder text = new StringBuilder();
        long overhead = 0;
        JsonNode messages = root.get("messages");
        if (messages != null && messages.isArray()) {
            overhead = 3;
            for (JsonNode message : messages) {
                overhead += 4;
                appendText(text, message.path("content"));
            }
        }
        appendText(text, root.path("prompt"));
        appendText(text, root.path("input"));
        long promptTokens = (text.length() + 3) / 4 + overhead;
        return new ParsedRequest(model.asText(), stream != null && stream.asBoolean(false), text.toString(),
                promptTokens, maxTokens);
    }

    private static void appendText(StringBuilder text, JsonNode node) {
        if (node.isTextual()) {
            text.append(node.asText());
        } else if (node.isArray()) {
            for (JsonNode part : node) {
                if (part.isTextual()) {
                    text.append(part.asText());
                } else if (part.isObject()) {
                    appendText(text, part.path("text"));
                }
            }
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
