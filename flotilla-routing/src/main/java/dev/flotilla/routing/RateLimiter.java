package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-tenant request and token rate limits as two token buckets each, with continuous refill and
 * time injected through every call.
 *
 * <p><b>Bucket.</b> A bucket of capacity {@code B} and rate {@code r} per minute holds
 * {@code level(t) = min(B, level(t0) + r·(t − t0)/60 s)}. A call needing {@code n} succeeds iff
 * {@code level ≥ n} in <em>both</em> buckets, and then takes from both; otherwise it takes nothing
 * and waits {@code max over buckets of (n − level)·60 s / r}. Levels are kept in fixed point, in
 * units of 1/60,000,000 of a token (one token per minute is one unit per microsecond), so refill
 * and waits are exact to the microsecond with no floating-point drift.
 *
 * <p><b>Reservation and reconciliation.</b> At admission the gateway reserves
 * {@code prompt tokens + max_tokens} (the most the request can use), and after completion calls
 * {@link #reconcile} with the actual usage: unused tokens are refunded (never above the burst),
 * overuse is charged. A charge may push the level below zero (a debt of at most one burst), which
 * the tenant then waits off. A request needing more than a bucket's burst can never pass and is an
 * {@code INVALID_ARGUMENT} rather than a denial with a useless Retry-After.
 *
 * <p>Tenants without an explicit limit get the default. Methods are synchronised; instants must not
 * go backwards per tenant (an earlier instant is treated as no time passing).
 */
public final class RateLimiter {
    /** Fixed-point units per token: microseconds per minute. */
    static final long UNIT = 60_000_000L;

    private final RateLimit defaultLimit;
    private final Map<String, RateLimit> limits = new HashMap<>();
    private final Map<String, Buckets> buckets = new HashMap<>();

    public RateLimiter(RateLimit defaultLimit) {
        this.defaultLimit = requireNonNull(defaultLimit, "defaultLimit is null");
    }

    public RateLimiter(RateLimit defaultLimit, Map<String, RateLimit> perTenant) {
        this(defaultLimit);
        perTenant.forEach(this::setLimit);
    }

    /**
     * Sets a tenant's limits. Its buckets keep their current levels, clamped to the new bursts, so a
     * limit change grants no free burst.
     */
    public synchronized void setLimit(String tenant, RateLimit limit) {
        WorkerState.requireNonBlank(tenant, "tenant");
        requireNonNull(limit, "limit is null");
        limits.put(tenant, limit);
        Buckets b = buckets.get(tenant);
        if (b != null) {
            b.requests.reconfigure(limit.requestsPerMinute(), limit.requestBurst());
            b.tokens.reconfigure(limit.tokensPerMinute(), limit.tokenBurst());
        }
    }

    public synchronized RateLimit limitOf(String tenant) {
        return limits.getOrDefault(tenant, defaultLimit);
    }

    /**
     * Takes {@code requests} and {@code tokens} from the tenant's buckets if both hold enough.
     *
     * @throws FlotillaException {@code INVALID_ARGUMENT} naming {@code requests} or {@code tokens}
     *     when the amount is negative or exceeds the bucket's burst (it could never pass)
     */
    public synchronized RateDecision tryAcquire(String tenant, long requests, long tokens, Instant now) {
        requireNonNull(now, "now is null");
        Buckets b = bucketsOf(tenant, now);
        RateLimit limit = limitOf(tenant);
        checkAmount(requests, limit.requestBurst(), "requests", "request-burst", tenant);
        checkAmount(tokens, limit.tokenBurst(), "tokens", "token-burst", tenant);
        b.requests.refill(now);
        b.tokens.refill(now);
        long requestWait = b.requests.waitMicros(requests);
        long tokenWait = b.tokens.waitMicros(tokens);
        if (requestWait == 0 && tokenWait == 0) {
            b.requests.take(requests);
            b.tokens.take(tokens);
            return new RateDecision.Allowed(b.requests.whole(), b.tokens.whole());
        }
        return requestWait >= tokenWait
                ? new RateDecision.Denied("requests-per-minute", Duration.of(requestWait, ChronoUnit.MICROS))
                : new RateDecision.Denied("tokens-per-minute", Duration.of(tokenWait, ChronoUnit.MICROS));
    }

    /** Returns unused reserved tokens to the tenant's token bucket (capped at its burst). */
    public synchronized void refund(String tenant, long tokens, Instant now) {
        checkNonNegative(tokens, "tokens");
        Buckets b = bucketsOf(tenant, now);
        b.tokens.refill(now);
        b.tokens.give(tokens);
    }

    /** Takes tokens used beyond the reservation; the level may go negative, down to minus the burst. */
    public synchronized void charge(String tenant, long tokens, Instant now) {
        checkNonNegative(tokens, "tokens");
        Buckets b = bucketsOf(tenant, now);
        b.tokens.refill(now);
        b.tokens.take(tokens);
    }

    /** Settles a reservation against the actual usage: refunds or charges the difference. */
    public synchronized void reconcile(String tenant, long reservedTokens, long actualTokens, Instant now) {
        checkNonNegative(reservedTokens, "reserved-tokens");
        checkNonNegative(actualTokens, "actual-tokens");
        if (actualTokens < reservedTokens) {
            refund(tenant, reservedTokens - actualTokens, now);
        } else if (actualTokens > reservedTokens) {
            charge(tenant, actualTokens - reservedTokens, now);
        }
    }

    /** Whole tokens in the tenant's token bucket at {@code now} (negative while in debt). */
    public synchronized long availableTokens(String tenant, Instant now) {
        Buckets b = bucketsOf(tenant, now);
        b.tokens.refill(now);
        return b.tokens.whole();
    }

    /** Whole requests in the tenant's request bucket at {@code now}. */
    public synchronized long availableRequests(String tenant, Instant now) {
        Buckets b = bucketsOf(tenant, now);
        b.requests.refill(now);
        return b.requests.whole();
    }

    private Buckets bucketsOf(String tenant, Instant now) {
        WorkerState.requireNonBlank(tenant, "tenant");
        requireNonNull(now, "now is null");
        return buckets.computeIfAbsent(tenant, t -> {
            RateLimit l = limitOf(t);
            return new Buckets(
                    new Bucket(l.requestsPerMinute(), l.requestBurst(), now),
                    new Bucket(l.tokensPerMinute(), l.tokenBurst(), now));
        });
    }

    private static void checkAmount(long amount, long burst, String field, String burstField, String tenant) {
        checkNonNegative(amount, field);
        if (amount > burst) {
            throw FlotillaException.invalid(
                    field,
                    "request needs " + amount + " " + field + " but tenant " + tenant + "'s " + burstField + " is "
                            + burst + ", so it can never pass; lower it (e.g. max_tokens) or raise the limit");
        }
    }

    private static void checkNonNegative(long amount, String field) {
        if (amount < 0) {
            throw FlotillaException.invalid(field, field + " must be >= 0, got " + amount);
        }
    }

    private record Buckets(Bucket requests, Bucket tokens) {}

    /** One bucket in fixed point: {@code level} and {@code capacity} in 1/UNIT tokens; refill {@code rate} units per µs. */
    private static final class Bucket {
        private long rate;
        private long capacity;
        private long level;
        private Instant last;

        Bucket(long perMinute, long burst, Instant now) {
            this.rate = perMinute;
            this.capacity = burst * UNIT;
            this.level = capacity;
            this.last = now;
        }

        void reconfigure(long perMinute, long burst) {
            rate = perMinute;
            capacity = burst * UNIT;
            level = Math.min(level, capacity);
        }

        void refill(Instant now) {
            if (!now.isAfter(last)) {
                return;
            }
            long elapsed = ChronoUnit.MICROS.between(last, now);
            long room = capacity - level;
            if (room <= 0 || elapsed >= ceilDiv(room, rate)) {
                level = Math.max(level, capacity);
                last = now;
                return;
            }
            level += rate * elapsed;
            last = last.plus(elapsed, ChronoUnit.MICROS);
        }

        long waitMicros(long amount) {
            long deficit = amount * UNIT - level;
            return deficit <= 0 ? 0 : ceilDiv(deficit, rate);
        }

        void take(long amount) {
            long units = units(amount);
            level = units >= level + capacity ? -capacity : level - units;
        }

        void give(long amount) {
            long units = units(amount);
            level = units >= capacity - level ? capacity : level + units;
        }

        /** {@code amount * UNIT}, saturating: charges and refunds are not bounded by the burst. */
        private static long units(long amount) {
            return amount > Long.MAX_VALUE / UNIT ? Long.MAX_VALUE : amount * UNIT;
        }

        long whole() {
            return Math.floorDiv(level, UNIT);
        }

        private static long ceilDiv(long a, long b) {
            return -Math.floorDiv(-a, b);
        }
    }
}
