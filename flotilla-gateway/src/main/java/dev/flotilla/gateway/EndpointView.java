package dev.flotilla.gateway;

import static java.util.Objects.requireNonNull;

import dev.flotilla.routing.WorkerState;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of one endpoint as the gateway needs it: which model it serves, how requests are
 * routed and queued, and its workers with where to reach them. The gateway reads a fresh snapshot
 * for every routing attempt, so the directory may change it at any time.
 *
 * @param endpointId the endpoint; its workers' {@link WorkerState#endpointId()} must equal it
 * @param model the model name clients send in {@code model}
 * @param routingStrategy a name accepted by {@link dev.flotilla.routing.Routers#of}
 * @param maxQueueTime how long a request may wait for capacity before a 503
 * @param maxQueueLength how many requests may wait at once before a 429
 * @param workers the workers with their status and capacity; {@code inFlight} is replaced by the
 *     gateway's own count
 * @param workerUris base URI of each worker by worker id, e.g. {@code http://10.0.0.7:8000}
 */
public record EndpointView(
        String endpointId,
        String model,
        String routingStrategy,
        Duration maxQueueTime,
        int maxQueueLength,
        List<WorkerState> workers,
        Map<String, URI> workerUris) {
    public EndpointView {
        requireNonNull(endpointId, "endpointId is null");
        requireNonNull(model, "model is null");
        requireNonNull(routingStrategy, "routingStrategy is null");
        requireNonNull(maxQueueTime, "maxQueueTime is null");
        if (maxQueueTime.isNegative() || maxQueueTime.isZero()) {
            throw new IllegalArgumentException("maxQueueTime must be positive, got " + maxQueueTime);
        }
        if (maxQueueLength <= 0) {
            throw new IllegalArgumentException("maxQueueLength must be positive, got " + maxQueueLength);
        }
        workers = List.copyOf(workers);
        workerUris = Map.copyOf(workerUris);
    }
}
