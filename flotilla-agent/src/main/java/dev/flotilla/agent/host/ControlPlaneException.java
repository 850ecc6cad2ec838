package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

/**
 * The control plane refused a request ({@code status} and {@code code} from its error body
 * {@code {"error":{"code","message"}}}) or could not be reached ({@code status} 0, code
 * {@code unreachable}). The message is the server's own.
 */
public final class ControlPlaneException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    public ControlPlaneException(int status, String code, String message) {
        this(status, code, message, null);
    }

    public ControlPlaneException(int status, String code, String message, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.status = status;
        this.code = requireNonNull(code, "code is null");
    }

    /** The HTTP status; 0 when no answer came. */
    public int status() {
        return status;
    }

    /** The server's error code ({@code invalid_argument}), or {@code unreachable} / {@code bad_response}. */
    public String code() {
        return code;
    }
}
