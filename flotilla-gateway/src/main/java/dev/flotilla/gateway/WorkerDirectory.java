package dev.flotilla.gateway;

import java.util.List;
import java.util.Optional;

/**
 * The gateway's view of the control plane: which endpoint serves a tenant's model and which
 * workers it has. Called on event-loop threads for every request and routing attempt, so an
 * implementation answers from memory (a snapshot the control plane keeps current), never from the
 * database.
 */
public interface WorkerDirectory {
    /** The tenant's endpoint serving {@code model}; empty means 404 {@code model_not_found}. */
    Optional<EndpointView> endpoint(String tenantId, String model);

    /** The model names the tenant may call, for {@code GET /v1/models}. */
    List<String> models(String tenantId);
}
