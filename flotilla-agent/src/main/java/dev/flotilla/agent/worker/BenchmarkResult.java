package dev.flotilla.agent.worker;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;

/**
 * What a capacity benchmark found: the capacity (concurrent requests) with the requests and tokens
 * per second measured at it, every level measured, and why the climb stopped.
 */
public record BenchmarkResult(int capacity, double requestsPerSecond, double tokensPerSecond, List<BenchmarkLevel> levels,
        String stoppedBecause) {
    public BenchmarkResult {
        levels = List.copyOf(requireNonNull(levels, "levels is null"));
        requireNonNull(stoppedBecause, "stoppedBecause is null");
        if (capacity < 1 || levels.isEmpty()) {
            throw new IllegalArgumentException("a result needs a positive capacity and at least one level; got " + capacity
                    + " and " + levels.size() + " levels");
        }
    }

    /** One line: the capacity and why the climb stopped there. */
    public String describe() {
        return String.format(Locale.ROOT, "capacity %d concurrent requests (%.2f requests/s, %.1f tokens/s); %s", capacity,
                requestsPerSecond, tokensPerSecond, stoppedBecause);
    }
}
