package dev.flotilla.gateway;

import java.util.Optional;

/**
 * Mints the short-lived credential the gateway sends with each request to a worker
 * ({@link dev.flotilla.core.WorkerToken}), which the worker's agent checks before the request reaches
 * the model server. Called on an event-loop thread per attempt: compute, never block.
 */
@FunctionalInterface
public interface HopSigner {
    /** Sends no credential: for workers that check none (tests of the proxy alone). */
    HopSigner NONE = (endpointId, workerId) -> Optional.empty();

    /** The {@link dev.flotilla.core.WorkerToken#HEADER} value for one request, or empty for none. */
    Optional<String> sign(String endpointId, String workerId);
}
