package dev.flotilla.routing;

import dev.flotilla.core.FlotillaException;

/**
 * A tenant's limits: two token buckets, one of requests and one of tokens (prompt plus completion).
 * Each refills continuously at its per-minute rate and holds at most its burst; the defaults make
 * the burst one minute's worth, as OpenAI's RPM/TPM limits behave. All values are whole numbers,
 * positive and at most {@link #MAX} (so the limiter's fixed-point arithmetic cannot overflow).
 *
 * @param requestsPerMinute refill rate of the request bucket
 * @param tokensPerMinute refill rate of the token bucket
 * @param requestBurst capacity of the request bucket
 * @param tokenBurst capacity of the token bucket
 */
public record RateLimit(long requestsPerMinute, long tokensPerMinute, long requestBurst, long tokenBurst) {
    public static final long MAX = 10_000_000_000L;

    public RateLimit {
        check(requestsPerMinute, "requests-per-minute");
        check(tokensPerMinute, "tokens-per-minute");
        check(requestBurst, "request-burst");
        check(tokenBurst, "token-burst");
    }

    /** Limits whose bursts equal one minute's refill. */
    public static RateLimit perMinute(long requestsPerMinute, long tokensPerMinute) {
        return new RateLimit(requestsPerMinute, tokensPerMinute, requestsPerMinute, tokensPerMinute);
    }

    private static void check(long value, String field) {
        if (value <= 0 || value > MAX) {
            throw FlotillaException.invalid(field, field + " must be in [1, " + MAX + "], got " + value);
        }
    }
}
