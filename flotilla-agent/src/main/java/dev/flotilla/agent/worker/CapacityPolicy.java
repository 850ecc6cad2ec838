package dev.flotilla.agent.worker;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses a worker's capacity from benchmark levels measured at rising concurrency (1, 2, 4, ...),
 * the way Vast.ai's serverless benchmark sizes a worker: climb while a level still pays.
 *
 * <p>Level {@code i} (concurrency {@code c_i}) is accepted when both hold:
 * <pre>
 *   latency_i    &lt;= 2.0 x latency_1          (requests still answer in reasonable time)
 *   throughput_i &gt;= 1.1 x throughput_(i-1)   (the extra concurrency bought at least 10% more)
 * </pre>
 * where throughput is completed requests per second (tokens per second follow it at a fixed
 * request shape). The climb stops at the first level that fails either test; the capacity is the
 * concurrency of the last accepted level (level 1 is always accepted). Pure: no I/O, no clock.
 */
public final class CapacityPolicy {
    /** Largest mean latency of an accepted level, as a multiple of level 1's. */
    public static final double MAX_LATENCY_RATIO = 2.0;
    /** Smallest throughput gain over the previous level for a level to be accepted. */
    public static final double MIN_THROUGHPUT_GAIN = 0.10;
    /** Slack for floating-point rounding, so that exactly 2x or exactly +10% count as within the limits. */
    private static final double ROUNDING = 1e-9;

    private CapacityPolicy() {}

    /** The accepted level and, where the climb stopped on a level that did not pay, why. */
    public record Choice(BenchmarkLevel level, Optional<String> stoppedBecause) {
        public Choice {
            requireNonNull(level, "level is null");
            requireNonNull(stoppedBecause, "stoppedBecause is null");
        }
    }

    /**
     * Why {@code next} is not accepted after {@code previous}, given level 1 {@code first}; empty
     * when it is.
     */
    public static Optional<String> rejects(BenchmarkLevel first, BenchmarkLevel previous, BenchmarkLevel next) {
        requireNonNull(first, "first is null");
        requireNonNull(previous, "previous is null");
        requireNonNull(next, "next is null");
        double base = first.meanLatency().toNanos();
        double ratio = base == 0 ? (next.meanLatency().isZero() ? 1 : Double.POSITIVE_INFINITY)
                : next.meanLatency().toNanos() / base;
        if (ratio > MAX_LATENCY_RATIO * (1 + ROUNDING)) {
            return Optional.of(String.format(Locale.ROOT, "at concurrency %d the mean latency was %.1fx that at 1"
                    + " (limit %.1fx)", next.concurrency(), ratio, MAX_LATENCY_RATIO));
        }
        if (next.requestsPerSecond() * (1 + ROUNDING) < previous.requestsPerSecond() * (1 + MIN_THROUGHPUT_GAIN)) {
            double gain = previous.requestsPerSecond() == 0 ? 0
                    : next.requestsPerSecond() / previous.requestsPerSecond() - 1;
            return Optional.of(String.format(Locale.ROOT, "at concurrency %d throughput rose %+.0f%% over %d"
                    + " (needs +%.0f%%)", next.concurrency(), gain * 100, previous.concurrency(),
                    MIN_THROUGHPUT_GAIN * 100));
        }
        return Optional.empty();
    }

    /** The last level of the climb over {@code levels} (in the order measured; at least one). */
    public static Choice choose(List<BenchmarkLevel> levels) {
        requireNonNull(levels, "levels is null");
        if (levels.isEmpty()) {
            throw new IllegalArgumentException("no benchmark level to choose from");
        }
        BenchmarkLevel first = levels.getFirst();
        BenchmarkLevel chosen = first;
        for (BenchmarkLevel next : levels.subList(1, levels.size())) {
            Optional<String> why = rejects(first, chosen, next);
            if (why.isPresent()) {
                return new Choice(chosen, why);
            }
            chosen = next;
        }
        return new Choice(chosen, Optional.empty());
    }
}
