package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Instant;
import java.util.Optional;

/**
 * One worker as a router sees it in a snapshot: where it is, whether it may take requests, and how
 * busy it is. {@code capacity} is the benchmarked number of concurrent sequences the worker
 * sustains (measured when it became ready), so {@link #load()} is comparable across GPUs of
 * different sizes: {@code load = (inFlight + queued) / capacity}.
 *
 * @param workerId unique worker id
 * @param endpointId the endpoint the worker serves
 * @param region region of the host, e.g. {@code eu-west}
 * @param status lifecycle state; only {@link WorkerStatus#READY} is routable
 * @param inFlight requests the gateway has in flight on the worker
 * @param queued requests waiting inside the worker's own engine queue
 * @param capacity benchmarked concurrent sequences, positive and finite
 * @param kvCacheUtilization fraction of the KV cache in use, in [0, 1]
 * @param lastHeartbeat the last heartbeat, or {@code null} when none has arrived yet; read it
 *     through {@link #heartbeat()}
 */
public record WorkerState(
        String workerId,
        String endpointId,
        String region,
        WorkerStatus status,
        int inFlight,
        int queued,
        double capacity,
        double kvCacheUtilization,
        Instant lastHeartbeat) {

    public WorkerState {
        requireNonBlank(workerId, "worker-id");
        requireNonBlank(endpointId, "endpoint-id");
        requireNonBlank(region, "region");
        requireNonNull(status, "status is null");
        if (inFlight < 0) {
            throw FlotillaException.invalid("in-flight", "in-flight must be >= 0, got " + inFlight);
        }
        if (queued < 0) {
            throw FlotillaException.invalid("queued", "queued must be >= 0, got " + queued);
        }
        if (!(capacity > 0) || !Double.isFinite(capacity)) {
            throw FlotillaException.invalid(
                    "capacity", "capacity must be positive and finite, got " + capacity);
        }
        if (!(kvCacheUtilization >= 0 && kvCacheUtilization <= 1)) {
            throw FlotillaException.invalid(
                    "kv-cache-utilization",
                    "kv-cache-utilization must be in [0, 1], got " + kvCacheUtilization);
        }
    }

    /** A ready, idle worker with no heartbeat yet: the usual start for tests and the simulator. */
    public static WorkerState ready(String workerId, String endpointId, String region, double capacity) {
        return new WorkerState(workerId, endpointId, region, WorkerStatus.READY, 0, 0, capacity, 0, null);
    }

    /** Requests on the worker, in flight or queued in its engine. */
    public int outstanding() {
        return inFlight + queued;
    }

    /** {@code (inFlight + queued) / capacity}; 1.0 means the benchmarked capacity is in use. */
    public double load() {
        return outstanding() / capacity;
    }

    public boolean routable() {
        return status == WorkerStatus.READY;
    }

    public Optional<Instant> heartbeat() {
        return Optional.ofNullable(lastHeartbeat);
    }

    public WorkerState withStatus(WorkerStatus newStatus) {
        return new WorkerState(
                workerId, endpointId, region, newStatus, inFlight, queued, capacity, kvCacheUtilization, lastHeartbeat);
    }

    public WorkerState withLoad(int newInFlight, int newQueued) {
        return new WorkerState(
                workerId, endpointId, region, status, newInFlight, newQueued, capacity, kvCacheUtilization, lastHeartbeat);
    }

    public WorkerState withKvCacheUtilization(double utilization) {
        return new WorkerState(
                workerId, endpointId, region, status, inFlight, queued, capacity, utilization, lastHeartbeat);
    }

    public WorkerState withHeartbeat(Instant at) {
        return new WorkerState(
                workerId, endpointId, region, status, inFlight, queued, capacity, kvCacheUtilization, requireNonNull(at, "at is null"));
    }

    static void requireNonBlank(String value, String field) {
        if (value == null || value.isBlank()) {
            throw FlotillaException.invalid(field, field + " must be a non-blank string, got " + (value == null ? "null" : "'" + value + "'"));
        }
    }
}
