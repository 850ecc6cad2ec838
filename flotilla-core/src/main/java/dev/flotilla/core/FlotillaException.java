package dev.flotilla.core;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The one unchecked exception that crosses module boundaries. Its message is shown to the caller
 * as is, so it must name the offending value and what would be accepted. {@code field} names the
 * request field at fault where there is one.
 */
public class FlotillaException extends RuntimeException {
    private final ErrorCode code;
    private final String field;

    public FlotillaException(ErrorCode code, String message) {
        this(code, null, message, null);
    }

    public FlotillaException(ErrorCode code, String field, String message) {
        this(code, field, message, null);
    }

    public FlotillaException(ErrorCode code, String field, String message, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.code = requireNonNull(code, "code is null");
        this.field = field;
    }

    public ErrorCode code() {
        return code;
    }

    public Optional<String> field() {
        return Optional.ofNullable(field);
    }

    public static FlotillaException invalid(String field, String message) {
        return new FlotillaException(ErrorCode.INVALID_ARGUMENT, field, message);
    }

    public static FlotillaException notFound(String what, Object id) {
        return new FlotillaException(ErrorCode.NOT_FOUND, null, what + " " + id + " not found");
    }
}
