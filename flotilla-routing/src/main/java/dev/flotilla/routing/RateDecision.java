package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** The answer of {@link RateLimiter#tryAcquire}. */
public sealed interface RateDecision {
    boolean allowed();

    /**
     * Taken from both buckets; what is left, rounded down, for {@code x-ratelimit-remaining-*}
     * headers.
     */
    record Allowed(long remainingRequests, long remainingTokens) implements RateDecision {
        @Override
        public boolean allowed() {
            return true;
        }
    }

    /**
     * Nothing was taken. {@code waitTime} is exactly how long until the same call would succeed if
     * nothing else is taken meanwhile (to the microsecond, rounded up); {@code limit} names the bucket
     * that needs the longest wait, {@code requests-per-minute} or {@code tokens-per-minute}.
     */
    record Denied(String limit, Duration waitTime) implements RateDecision {
        public Denied {
            requireNonNull(limit, "limit is null");
            requireNonNull(waitTime, "waitTime is null");
        }

        @Override
        public boolean allowed() {
            return false;
        }

        /** {@code waitTime} rounded up to whole seconds, at least 1: the Retry-After header value. */
        public long retryAfterSeconds() {
            long s = waitTime.getSeconds() + (waitTime.getNano() > 0 ? 1 : 0);
            return Math.max(1, s);
        }
    }
}
