package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

/**
 * The duration of one engine step and what it is made of. {@code computeSeconds} and
 * {@code memorySeconds} are the step's FLOPs over the effective tensor rate and its bytes over the
 * effective bandwidth, summed over kernels; {@code seconds} combines them kernel by kernel (see
 * {@link EngineModel}), so it is at least {@code max(computeSeconds, memorySeconds) +
 * commSeconds + overheadSeconds}. {@code overheadSeconds} is the fixed cost: kernel latencies plus
 * the per-step scheduling and sampling time. {@code bound} names the largest of the four parts.
 */
public record StepTime(
        double seconds, double computeSeconds, double memorySeconds, double commSeconds, double overheadSeconds,
        Bound bound) {

    /** What limits a step. */
    public enum Bound {
        COMPUTE,
        MEMORY,
        COMMUNICATION,
        OVERHEAD
    }

    public StepTime {
        requireNonNull(bound, "bound is null");
        for (double v : new double[] {seconds, computeSeconds, memorySeconds, commSeconds, overheadSeconds}) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("step time parts must be finite and non-negative; got " + v);
            }
        }
    }

    /** The step in whole microseconds, rounded. */
    public long micros() {
        return Math.round(seconds * 1e6);
    }
}
