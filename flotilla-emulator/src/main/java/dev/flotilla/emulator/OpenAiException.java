package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * A request the emulator refuses, answered in OpenAI's error shape:
 * {@code {"error":{"message":...,"type":...,"param":...,"code":...}}} with {@code status}.
 * {@code param} and {@code code} are null in the body where empty here.
 */
public final class OpenAiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public OpenAiException(int status, String type, String param, String code, String message) {
        super(requireNonNull(message, "message is null"));
        this.status = status;
        this.type = requireNonNull(type, "type is null");
        this.param = param;
        this.code = code;
    }

    /** A 400 {@code invalid_request_error} about {@code param}. */
    public static OpenAiException invalid(String param, String message) {
        return new OpenAiException(400, "invalid_request_error", param, null, message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public Optional<String> param() {
        return Optional.ofNullable(param);
    }

    public Optional<String> code() {
        return Optional.ofNullable(code);
    }
}
