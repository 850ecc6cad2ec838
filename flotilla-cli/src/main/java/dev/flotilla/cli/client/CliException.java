package dev.flotilla.cli.client;

import static java.util.Objects.requireNonNull;

/**
 * A failure the CLI reports as one line, {@code error: <message> (<code>)}, and an exit code a
 * script can branch on. The exit codes are part of the CLI's contract:
 *
 * <ul>
 *   <li>{@value #USAGE}: the input is wrong (a usage error, or the server answered 4xx for it)
 *   <li>{@value #AUTH}: missing, invalid or insufficient credentials (401, 403)
 *   <li>{@value #NOT_FOUND}: no such resource (404)
 *   <li>{@value #CONFLICT}: the state of the market refuses it (409, 402)
 *   <li>{@value #SERVER}: the server failed or is overloaded (5xx, 429)
 *   <li>{@value #UNREACHABLE}: no server answered at the URL
 * </ul>
 */
public final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final int USAGE = 2;
    public static final int AUTH = 3;
    public static final int NOT_FOUND = 4;
    public static final int CONFLICT = 5;
    public static final int SERVER = 6;
    public static final int UNREACHABLE = 7;

    private final int exitCode;
    private final String code;

    /** A failure whose code is the generic one of its exit code ({@code usage_error}, ...). */
    public CliException(int exitCode, String message) {
        this(exitCode, defaultCode(exitCode), message);
    }

    public CliException(int exitCode, String code, String message) {
        super(requireNonNull(message, "message is null"));
        if (exitCode < 1 || exitCode > 125) {
            throw new IllegalArgumentException("exit code must be 1..125, got " + exitCode);
        }
        this.exitCode = exitCode;
        this.code = requireNonNull(code, "code is null");
    }

    public int exitCode() {
        return exitCode;
    }

    /** The error's code: the server's ({@code invalid_query}) or the CLI's own ({@code unreachable}). */
    public String code() {
        return code;
    }

    /** The exit code for an HTTP error status. A 429 counts with 5xx: the server, not the input, is the problem. */
    public static int exitCodeForStatus(int status) {
        if (status == 401 || status == 403) {
            return AUTH;
        }
        if (status == 404) {
            return NOT_FOUND;
        }
        if (status == 409 || status == 402) {
            return CONFLICT;
        }
        if (status == 429 || status >= 500) {
            return SERVER;
        }
        if (status >= 400) {
            return USAGE;
        }
        return SERVER;
    }

    private static String defaultCode(int exitCode) {
        return switch (exitCode) {
            case USAGE -> "usage_error";
            case AUTH -> "unauthenticated";
            case NOT_FOUND -> "not_found";
            case CONFLICT -> "conflict";
            case SERVER -> "server_error";
            case UNREACHABLE -> "unreachable";
            default -> "error";
        };
    }
}
