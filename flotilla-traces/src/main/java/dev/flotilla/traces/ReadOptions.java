package dev.flotilla.traces;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.util.Optional;

/**
 * How to read a trace. Start from {@link #defaults()} and change what you need:
 *
 * <pre>{@code
 * ReadOptions.defaults().withUntil(Duration.ofDays(1)).withRateScale(0.01).withMaxClients(20)
 * }</pre>
 *
 * <table>
 * <caption>Options</caption>
 * <tr><th>option</th><th>default</th><th>meaning</th></tr>
 * <tr><td>seed</td><td>42</td><td>ServeGen: seed of the arrival and length draws</td></tr>
 * <tr><td>sort-unsorted</td><td>false</td><td>sort rows that are out of time order instead of refusing the trace (buffers the whole trace)</td></tr>
 * <tr><td>from, until</td><td>0, none</td><td>keep requests with {@code from <= arrival < until}; arrivals keep their offset from the trace origin</td></tr>
 * <tr><td>max-clients</td><td>all</td><td>ServeGen: only the clients with the most expected requests in the range</td></tr>
 * <tr><td>rate-scale</td><td>1.0</td><td>ServeGen: multiply every client's rate (0.01 turns 1.4 billion arrivals into 14 million)</td></tr>
 * <tr><td>token-lengths</td><td>per category</td><td>ServeGen: length model; see {@link TokenLengths}</td></tr>
 * <tr><td>max-requests</td><td>20,000,000</td><td>{@link TraceReader#read} refuses to hold more in memory; stream with {@link TraceReader#open} instead</td></tr>
 * </table>
 */
public record ReadOptions(
        long seed,
        boolean sortUnsorted,
        Duration from,
        Optional<Duration> until,
        int maxClients,
        double rateScale,
        Optional<TokenLengths> tokenLengths,
        long maxRequests) {

    public static final long DEFAULT_SEED = 42;
    public static final long DEFAULT_MAX_REQUESTS = 20_000_000;

    public ReadOptions {
        requireNonNull(from, "from is null");
        requireNonNull(until, "until is null");
        requireNonNull(tokenLengths, "tokenLengths is null");
        if (from.isNegative()) {
            throw FlotillaException.invalid("from", "from must be >= 0, got " + from);
        }
        if (until.isPresent() && until.get().compareTo(from) <= 0) {
            throw FlotillaException.invalid("until", "until must be after from (" + from + "), got " + until.get());
        }
        if (maxClients < 1) {
            throw FlotillaException.invalid("max-clients", "max-clients must be >= 1, got " + maxClients);
        }
        if (!(rateScale > 0) || !Double.isFinite(rateScale)) {
            throw FlotillaException.invalid("rate-scale", "rate-scale must be a finite number > 0, got " + rateScale);
        }
        if (maxRequests < 1) {
            throw FlotillaException.invalid("max-requests", "max-requests must be >= 1, got " + maxRequests);
        }
    }

    public static ReadOptions defaults() {
        return new ReadOptions(DEFAULT_SEED, false, Duration.ZERO, Optional.empty(), Integer.MAX_VALUE, 1.0, Optional.empty(), DEFAULT_MAX_REQUESTS);
    }

    public ReadOptions withSeed(long newSeed) {
        return new ReadOptions(newSeed, sortUnsorted, from, until, maxClients, rateScale, tokenLengths, maxRequests);
    }

    public ReadOptions withSortUnsorted(boolean sort) {
        return new ReadOptions(seed, sort, from, until, maxClients, rateScale, tokenLengths, maxRequests);
    }

    public ReadOptions withFrom(Duration newFrom) {
        return new ReadOptions(seed, sortUnsorted, newFrom, until, maxClients, rateScale, tokenLengths, maxRequests);
    }

    public ReadOptions withUntil(Duration newUntil) {
        return new ReadOptions(seed, sortUnsorted, from, Optional.of(newUntil), maxClients, rateScale, tokenLengths, maxRequests);
    }

    public ReadOptions withRange(Duration newFrom, Duration newUntil) {
        return new ReadOptions(seed, sortUnsorted, newFrom, Optional.of(newUntil), maxClients, rateScale, tokenLengths, maxRequests);
    }

    public ReadOptions withMaxClients(int clients) {
        return new ReadOptions(seed, sortUnsorted, from, until, clients, rateScale, tokenLengths, maxRequests);
    }

    public ReadOptions withRateScale(double scale) {
        return new ReadOptions(seed, sortUnsorted, from, until, maxClients, scale, tokenLengths, maxRequests);
    }

    public ReadOptions withTokenLengths(TokenLengths lengths) {
        return new ReadOptions(seed, sortUnsorted, from, until, maxClients, rateScale, Optional.of(lengths), maxRequests);
    }

    public ReadOptions withMaxRequests(long max) {
        return new ReadOptions(seed, sortUnsorted, from, until, maxClients, rateScale, tokenLengths, max);
    }

    long fromMicros() {
        return micros(from);
    }

    long untilMicros() {
        return until.map(ReadOptions::micros).orElse(Long.MAX_VALUE);
    }

    boolean selectsClients() {
        return maxClients != Integer.MAX_VALUE;
    }

    private static long micros(Duration d) {
        try {
            return Math.multiplyExact(d.getSeconds(), 1_000_000L) + d.getNano() / 1_000;
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
