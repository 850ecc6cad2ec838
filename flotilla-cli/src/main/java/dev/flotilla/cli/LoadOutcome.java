package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import java.util.OptionalLong;

/**
 * How one replayed request ended. Only {@link Kind#OK} counts as served; the others are counted by
 * {@link #errorKey()} (the HTTP status, {@code stream} for an error inside a 200 stream,
 * {@code no-response} when no HTTP answer came) and {@link #code()} (the OpenAI error code, or the
 * client's own such as {@code timeout}).
 *
 * @param kind how it ended
 * @param status HTTP status; 0 when none came
 * @param code error code; empty for OK
 * @param detail the error's message, for the report's examples; empty for OK
 * @param latencyNanos from sending to the last byte of the answer (or to the failure)
 * @param ttftNanos from sending to the first streamed token, for streams that produced one
 * @param promptTokens usage the server reported; 0 when it reported none
 * @param completionTokens usage the server reported; 0 when it reported none
 */
record LoadOutcome(Kind kind, int status, String code, String detail, long latencyNanos, OptionalLong ttftNanos,
        long promptTokens, long completionTokens) {

    enum Kind { OK, HTTP_ERROR, STREAM_ERROR, NO_RESPONSE }

    LoadOutcome {
        requireNonNull(kind, "kind is null");
        requireNonNull(code, "code is null");
        requireNonNull(detail, "detail is null");
        requireNonNull(ttftNanos, "ttftNanos is null");
        if (latencyNanos < 0) {
            throw new IllegalArgumentException("latencyNanos must be >= 0, got " + latencyNanos);
        }
        if (kind == Kind.OK ? !code.isEmpty() : code.isEmpty()) {
            throw new IllegalArgumentException("an error needs a code and an OK outcome has none; got " + kind + " '" + code + "'");
        }
    }

    static LoadOutcome ok(int status, long latencyNanos, OptionalLong ttftNanos, long promptTokens, long completionTokens) {
        return new LoadOutcome(Kind.OK, status, "", "", latencyNanos, ttftNanos, promptTokens, completionTokens);
    }

    static LoadOutcome httpError(int status, String code, String detail, long latencyNanos) {
        return new LoadOutcome(Kind.HTTP_ERROR, status, code, detail, latencyNanos, OptionalLong.empty(), 0, 0);
    }

    static LoadOutcome streamError(String code, String detail, long latencyNanos, OptionalLong ttftNanos) {
        return new LoadOutcome(Kind.STREAM_ERROR, 200, code, detail, latencyNanos, ttftNanos, 0, 0);
    }

    static LoadOutcome noResponse(String code, String detail, long latencyNanos) {
        return new LoadOutcome(Kind.NO_RESPONSE, 0, code, detail, latencyNanos, OptionalLong.empty(), 0, 0);
    }

    boolean ok() {
        return kind == Kind.OK;
    }

    /** What the report groups errors by: {@code 429}, {@code stream}, {@code no-response}. */
    String errorKey() {
        return switch (kind) {
            case OK -> "";
            case HTTP_ERROR -> Integer.toString(status);
            case STREAM_ERROR -> "stream";
            case NO_RESPONSE -> "no-response";
        };
    }
}
