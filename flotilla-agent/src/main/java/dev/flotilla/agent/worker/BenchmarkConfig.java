package dev.flotilla.agent.worker;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The capacity benchmark's settings.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>maxConcurrency</td><td>32</td><td>the highest level tried; levels are the powers of two up to it</td></tr>
 *   <tr><td>requestsPerClient</td><td>2</td><td>requests each concurrent client sends per level</td></tr>
 *   <tr><td>budget</td><td>30 s</td><td>the whole benchmark, warm-up included; then it reports what it has</td></tr>
 *   <tr><td>maxTokens</td><td>32</td><td>{@code max_tokens} of each chat request</td></tr>
 * </table>
 */
public record BenchmarkConfig(int maxConcurrency, int requestsPerClient, Duration budget, int maxTokens) {
    public BenchmarkConfig {
        requireNonNull(budget, "budget is null");
        if (maxConcurrency < 1 || requestsPerClient < 1 || maxTokens < 1) {
            throw new IllegalArgumentException("maxConcurrency, requestsPerClient and maxTokens must be positive; got "
                    + maxConcurrency + ", " + requestsPerClient + ", " + maxTokens);
        }
        if (budget.isNegative() || budget.isZero()) {
            throw new IllegalArgumentException("the benchmark budget must be positive; got " + budget);
        }
    }

    public static BenchmarkConfig defaults() {
        return new BenchmarkConfig(32, 2, Duration.ofSeconds(30), 32);
    }

    public BenchmarkConfig withMaxConcurrency(int max) {
        return new BenchmarkConfig(max, requestsPerClient, budget, maxTokens);
    }

    public BenchmarkConfig withBudget(Duration b) {
        return new BenchmarkConfig(maxConcurrency, requestsPerClient, b, maxTokens);
    }

    /** 1, 2, 4, ... up to {@code maxConcurrency}. */
    public List<Integer> levels() {
        List<Integer> out = new ArrayList<>();
        for (int c = 1; c <= maxConcurrency; c *= 2) {
            out.add(c);
        }
        return List.copyOf(out);
    }
}
