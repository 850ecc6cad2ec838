package dev.flotilla.autoscale;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.util.Collection;
import java.util.OptionalDouble;

/**
 * Serving capacity of one worker or of a group of workers, as the worker benchmark measured it:
 * the sustainable request rate ({@code requests_per_s} in the control plane) and the concurrent
 * sequences it keeps ({@code capacity}). Groups add up, so a heterogeneous fleet (an H100 beside
 * two L4s) is the sum of its workers; policies reason in requests/s, never in a fixed concurrency,
 * because two GPUs at the same concurrency can differ several times in throughput.
 *
 * <p>{@link #workersFor} is the one place the "needed workers" formula lives, shared by both
 * policies and by baselines such as an oracle.
 *
 * @param requestsPerSecond sustainable requests/s of the group; finite, {@code >= 0}
 * @param concurrency concurrent sequences of the group; {@code >= 0}
 * @param workers how many workers the group holds; {@code >= 0}, and an empty group has no
 *     capacity
 */
public record Capacity(double requestsPerSecond, int concurrency, int workers) {
    /** No workers, no capacity. */
    public static final Capacity NONE = new Capacity(0, 0, 0);

    /**
     * Relative slack for {@link #workersFor}: a load of exactly {@code n} workers' worth, computed
     * in floating point as {@code n + 2e-15}, must not ask for {@code n + 1}.
     */
    private static final double EPSILON = 1e-9;

    public Capacity {
        if (!Double.isFinite(requestsPerSecond) || requestsPerSecond < 0) {
            throw FlotillaException.invalid("requests_per_s",
                    "requests_per_s must be finite and >= 0, got " + requestsPerSecond);
        }
        if (concurrency < 0) {
            throw FlotillaException.invalid("capacity", "capacity (concurrency) must be >= 0, got " + concurrency);
        }
        if (workers < 0) {
            throw FlotillaException.invalid("workers", "workers must be >= 0, got " + workers);
        }
        if (workers == 0 && (requestsPerSecond > 0 || concurrency > 0)) {
            throw FlotillaException.invalid("workers", "a group of 0 workers has no capacity, got "
                    + requestsPerSecond + " req/s and concurrency " + concurrency);
        }
    }

    /** One worker's benchmarked capacity; its request rate must be positive. */
    public static Capacity ofWorker(double requestsPerSecond, int concurrency) {
        if (!(requestsPerSecond > 0)) {
            throw FlotillaException.invalid("requests_per_s",
                    "a worker's requests_per_s must be positive, got " + requestsPerSecond);
        }
        return new Capacity(requestsPerSecond, concurrency, 1);
    }

    public Capacity plus(Capacity other) {
        requireNonNull(other, "other is null");
        return new Capacity(requestsPerSecond + other.requestsPerSecond, concurrency + other.concurrency,
                workers + other.workers);
    }

    /** The sum of the workers' capacities. */
    public static Capacity sum(Collection<Capacity> parts) {
        requireNonNull(parts, "parts is null");
        Capacity total = NONE;
        for (Capacity c : parts) {
            total = total.plus(c);
        }
        return total;
    }

    /** Mean requests/s per worker, the unit the policies count in; empty for an empty group. */
    public OptionalDouble perWorkerRps() {
        return workers == 0 ? OptionalDouble.empty() : OptionalDouble.of(requestsPerSecond / workers);
    }

    /**
     * Workers needed to serve {@code rate} requests/s at {@code targetUtil}:
     * {@code ceil(rate / (perWorkerRps * targetUtil))}, 0 for no load.
     */
    public static int workersFor(double rate, double perWorkerRps, double targetUtil) {
        if (!(perWorkerRps > 0) || !Double.isFinite(perWorkerRps)) {
            throw FlotillaException.invalid("per_worker_rps",
                    "per_worker_rps must be positive and finite, got " + perWorkerRps);
        }
        if (!(targetUtil > 0 && targetUtil <= 1)) {
            throw FlotillaException.invalid("target_util", "target_util must be in (0, 1], got " + targetUtil);
        }
        if (!(rate > 0)) {
            return 0; // also NaN: no evidence of load asks for nothing
        }
        double n = rate / (perWorkerRps * targetUtil);
        double needed = Math.ceil(n - EPSILON * Math.max(1, n));
        return needed >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) needed;
    }
}
