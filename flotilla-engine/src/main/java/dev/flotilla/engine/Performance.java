package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

/**
 * Steady-state predictions for one deployment under one {@link Load}.
 *
 * <ul>
 *   <li>{@code tpotMs}: mean time per output token, the step time at the steady decode batch.
 *   <li>{@code ttftMs}, {@code ttftP90Ms}, {@code ttftP99Ms}: time to first token, mean and
 *       percentiles (queueing wait plus chunked prefill; see {@link EngineModel#predict}).
 *   <li>{@code outputThroughputTokensPerS}: tokens generated per second at this load (at capacity
 *       when overloaded).
 *   <li>{@code maxRequestsPerSecond}: the rate at which the server saturates; {@code limitedBy}
 *       says what bounds the batch there.
 *   <li>{@code batchSize}: mean number of sequences decoding per step; {@code kvUtilization}:
 *       the fraction of the KV cache they occupy.
 * </ul>
 *
 * {@code feasible} is false when the model does not fit ({@code limitedBy = MEMORY}; latencies
 * are infinite and rates zero) or when the load exceeds capacity (latencies of the saturated server;
 * TTFT infinite because the queue grows without bound). {@code reason} says why, with numbers, and
 * is empty when feasible.
 */
public record Performance(
        boolean feasible,
        String reason,
        double tpotMs,
        double ttftMs,
        double ttftP90Ms,
        double ttftP99Ms,
        double outputThroughputTokensPerS,
        double maxRequestsPerSecond,
        double batchSize,
        double kvUtilization,
        Limit limitedBy,
        MemoryPlan memory) {

    /** What bounds the decode batch at capacity. */
    public enum Limit {
        /** The model does not fit, or one request needs more KV cache than there is. */
        MEMORY,
        /** The KV cache fills before anything else binds. */
        KV_CACHE,
        /** The server's cap on concurrent sequences ({@link SchedulerLimits#maxSequences()}). */
        MAX_SEQUENCES,
        /** The per-step token budget ({@link SchedulerLimits#tokenBudget()}): prefill cannot keep up. */
        TOKEN_BUDGET
    }

    public Performance {
        requireNonNull(reason, "reason is null");
        requireNonNull(limitedBy, "limitedBy is null");
        requireNonNull(memory, "memory is null");
        if (feasible != reason.isEmpty()) {
            throw new IllegalArgumentException("a prediction has a reason exactly when it is infeasible");
        }
        for (double v : new double[] {tpotMs, ttftMs, ttftP90Ms, ttftP99Ms, outputThroughputTokensPerS,
                maxRequestsPerSecond, batchSize, kvUtilization}) {
            if (!(v >= 0)) {
                throw new IllegalArgumentException("predictions must be non-negative; got " + v);
            }
        }
    }
}
