package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads and validates OpenAI request bodies, answering bad input with the error OpenAI would give
 * (status, {@code param}, {@code code}). {@code temperature}, {@code top_p} and the other sampling
 * knobs are type-checked and then ignored by design: the emulator's text is a function of the
 * prompt alone, so that tests and demos get the same answer every time.
 */
public final class OpenAiRequests {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final int MAX_STOPS = 4;

    private final String servedModel;
    private final int maxModelLen;

    public OpenAiRequests(String servedModel, int maxModelLen) {
        this.servedModel = requireNonNull(servedModel, "servedModel is null");
        if (maxModelLen < 2) {
            throw new IllegalArgumentException("max model length must be >= 2; got " + maxModelLen);
        }
        this.maxModelLen = maxModelLen;
    }

    /** Parses a chat ({@code chat}) or completion body. */
    public CompletionRequest parse(boolean chat, byte[] body) {
        JsonNode root;
        try {
            root = body == null || body.length == 0 ? null : MAPPER.readTree(body);
        } catch (IOException e) {
            throw OpenAiException.invalid(null, "the request body is not valid JSON: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw OpenAiException.invalid(null, "the request body must be a JSON object");
        }
        JsonNode model = root.get("model");
        if (model == null || !model.isTextual()) {
            throw OpenAiException.invalid("model", "'model' is required and must be a string; this server serves '"
                    + servedModel + "'");
        }
        if (!model.asText().equals(servedModel)) {
            throw new OpenAiException(404, "invalid_request_error", "model", "model_not_found", "The model '"
                    + model.asText() + "' does not exist; this emulator serves '" + servedModel + "'");
        }
        StringBuilder canonical = new StringBuilder();
        int promptTokens = chat ? messages(root.get("messages"), canonical) : prompt(root.get("prompt"), canonical);

        JsonNode n = root.get("n");
        if (n != null && !n.isNull() && (!n.isIntegralNumber() || n.asLong() != 1)) {
            throw OpenAiException.invalid("n", "n must be 1 (the emulator generates one choice); got " + n);
        }
        JsonNode max = root.get("max_completion_tokens");
        String maxParam = "max_completion_tokens";
        if (max == null || max.isNull()) {
            max = root.get("max_tokens");
            maxParam = "max_tokens";
        }
        int maxTokens;
        if (max == null || max.isNull()) {
            // vLLM's default: whatever the context has left after the prompt.
            maxTokens = Math.max(1, maxModelLen - promptTokens);
        } else {
            if (!max.isIntegralNumber() || max.asLong() < 1 || max.asLong() > maxModelLen) {
                throw OpenAiException.invalid(maxParam, maxParam + " must be an integer from 1 to " + maxModelLen
                        + "; got " + max);
            }
            maxTokens = max.asInt();
        }
        if ((long) promptTokens + maxTokens > maxModelLen) {
            throw new OpenAiException(400, "invalid_request_error", chat ? "messages" : "prompt",
                    "context_length_exceeded", "This model's maximum context length is " + maxModelLen
                            + " tokens. However, you requested " + ((long) promptTokens + maxTokens) + " tokens ("
                            + promptTokens + " in the " + (chat ? "messages" : "prompt") + ", " + maxTokens
                            + " in the completion). Please reduce the length of the prompt or the completion.");
        }
        number(root, "temperature", 0, 2);
        number(root, "top_p", 0, 1);
        number(root, "presence_penalty", -2, 2);
        number(root, "frequency_penalty", -2, 2);
        boolean stream = bool(root, "stream");
        boolean includeUsage = false;
        JsonNode options = root.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw OpenAiException.invalid("stream_options", "stream_options must be an object; got " + options);
            }
            if (!stream) {
                throw OpenAiException.invalid("stream_options", "stream_options is only allowed when stream is true");
            }
            includeUsage = bool(options, "include_usage");
        }
        JsonNode user = root.get("user");
        if (user != null && !user.isNull() && !user.isTextual()) {
            throw OpenAiException.invalid("user", "user must be a string; got " + user);
        }
        return new CompletionRequest(chat, servedModel, canonical.toString(), promptTokens, maxTokens, stream,
                includeUsage, stops(root.get("stop")));
    }

    private static int messages(JsonNode messages, StringBuilder canonical) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw OpenAiException.invalid("messages", "messages must be a non-empty array of {role, content}");
        }
        List<String> contents = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String param = "messages[" + i + "]";
            if (!m.isObject()) {
                throw OpenAiException.invalid(param, param + " must be an object; got " + m);
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw OpenAiException.invalid(param + ".role", param + ".role must be one of " + ROLES.stream()
                        .sorted().toList() + "; got " + role);
            }
            String content = content(m.get("content"), param + ".content");
            contents.add(content);
            canonical.append(role.asText()).append('\u0000').append(content).append('\u0000');
        }
        return DeterministicText.chatTokens(contents);
    }

    /** A string, null (an assistant turn with tool calls) or an array of {@code {type:text, text}} parts. */
    private static String content(JsonNode content, String param) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                JsonNode type = part.get("type");
                JsonNode value = part.get("text");
                if (type == null || !"text".equals(type.asText()) || value == null || !value.isTextual()) {
                    throw OpenAiException.invalid(param, param + " parts must be {\"type\":\"text\",\"text\":...}; "
                            + "the emulator reads text only; got " + part);
                }
                text.append(value.asText());
            }
            return text.toString();
        }
        throw OpenAiException.invalid(param, param + " must be a string or an array of text parts; got " + content);
    }

    private static int prompt(JsonNode prompt, StringBuilder canonical) {
        JsonNode p = prompt;
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            p = p.get(0);
        }
        if (p == null || !p.isTextual()) {
            throw OpenAiException.invalid("prompt", "prompt must be a string (or an array of exactly one string; "
                    + "the emulator answers one prompt per request); got " + prompt);
        }
        canonical.append(p.asText());
        return DeterministicText.promptTokens(p.asText());
    }

    private static void number(JsonNode root, String field, double min, double max) {
        JsonNode v = root.get(field);
        if (v != null && !v.isNull() && (!v.isNumber() || v.asDouble() < min || v.asDouble() > max)) {
            throw OpenAiException.invalid(field, field + " must be a number from " + min + " to " + max + "; got " + v);
        }
    }

    private static boolean bool(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw OpenAiException.invalid(field, field + " must be a boolean; got " + v);
        }
        return v.asBoolean();
    }

    private static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(stop.asText());
        }
        if (stop.isArray() && stop.size() <= MAX_STOPS) {
            List<String> stops = new ArrayList<>();
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw OpenAiException.invalid("stop", "stop sequences must be strings; got " + s);
                }
                stops.add(s.asText());
            }
            return stops;
        }
        throw OpenAiException.invalid("stop", "stop must be a string or an array of at most " + MAX_STOPS
                + " strings; got " + stop);
    }
}
