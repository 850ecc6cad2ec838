package dev.flotilla.core;

/**
 * The one error model of Flotilla. Each code has a stable number, an HTTP status and a kind, so
 * that the REST API, the OpenAI-compatible API and the CLI all report a failure the same way.
 * Numbers never change once published; add new codes at the end of their range.
 */
public enum ErrorCode {
    // 1xxx: the caller's input is wrong (400)
    INVALID_ARGUMENT(1000, 400, Kind.USER),
    INVALID_QUERY(1001, 400, Kind.USER),
    MALFORMED_JSON(1002, 400, Kind.USER),
    BODY_TOO_LARGE(1003, 413, Kind.USER),
    UNSUPPORTED_MEDIA_TYPE(1004, 415, Kind.USER),
    // 2xxx: who is calling
    UNAUTHENTICATED(2000, 401, Kind.USER),
    FORBIDDEN(2001, 403, Kind.USER),
    // 3xxx: state of the world
    NOT_FOUND(3000, 404, Kind.USER),
    CONFLICT(3001, 409, Kind.USER),
    OFFER_UNAVAILABLE(3002, 409, Kind.USER),
    BID_TOO_LOW(3003, 409, Kind.USER),
    INSUFFICIENT_CREDIT(3004, 402, Kind.USER),
    METHOD_NOT_ALLOWED(3005, 405, Kind.USER),
    // 4xxx: capacity
    RATE_LIMITED(4000, 429, Kind.INSUFFICIENT_RESOURCES),
    UNAVAILABLE(4001, 503, Kind.INSUFFICIENT_RESOURCES),
    // 5xxx: our bug
    INTERNAL(5000, 500, Kind.INTERNAL);

    /** Whose fault a failure is: a user error is never logged as ours. */
    public enum Kind {
        USER,
        INSUFFICIENT_RESOURCES,
        INTERNAL
    }

    private final int number;
    private final int httpStatus;
    private final Kind kind;

    ErrorCode(int number, int httpStatus, Kind kind) {
        this.number = number;
        this.httpStatus = httpStatus;
        this.kind = kind;
    }

    public int number() {
        return number;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public Kind kind() {
        return kind;
    }

    /** The code as it appears on the wire: lower snake case, e.g. {@code invalid_query}. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
