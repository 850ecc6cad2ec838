package dev.flotilla.agent.worker;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * One level of a capacity benchmark: {@code concurrency} clients sending requests back to back,
 * {@code requests} of them in all, their mean latency, and the throughput of the level (completed
 * requests and tokens per second of the level's wall time).
 */
public record BenchmarkLevel(int concurrency, int requests, Duration meanLatency, double requestsPerSecond,
        double tokensPerSecond) {
    public BenchmarkLevel {
        requireNonNull(meanLatency, "meanLatency is null");
        if (concurrency < 1 || requests < 1) {
            throw new IllegalArgumentException("concurrency and requests must be positive; got " + concurrency + ", "
                    + requests);
        }
        if (meanLatency.isNegative()) {
            throw new IllegalArgumentException("mean latency must not be negative; got " + meanLatency);
        }
        if (!(requestsPerSecond >= 0) || !(tokensPerSecond >= 0) || Double.isInfinite(requestsPerSecond)
                || Double.isInfinite(tokensPerSecond)) {
            throw new IllegalArgumentException("throughput must be finite and non-negative; got " + requestsPerSecond
                    + " requests/s, " + tokensPerSecond + " tokens/s");
        }
    }

    /** One line for the worker's log. */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "concurrency %d: %d requests, mean latency %d ms, %.2f requests/s,"
                + " %.1f tokens/s", concurrency, requests, meanLatency.toMillis(), requestsPerSecond, tokensPerSecond);
    }
}
