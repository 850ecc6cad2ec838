package dev.flotilla.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** An in-memory {@link WorkerDirectory}: endpoints by tenant and model. */
final class FakeDirectory implements WorkerDirectory {
    private final Map<String, Map<String, EndpointView>> byTenant = new ConcurrentHashMap<>();

    FakeDirectory put(String tenantId, EndpointView view) {
        byTenant.computeIfAbsent(tenantId, t -> new ConcurrentHashMap<>()).put(view.model(), view);
        return this;
    }

    @Override
    public Optional<EndpointView> endpoint(String tenantId, String model) {
        return Optional.ofNullable(byTenant.getOrDefault(tenantId, Map.of()).get(model));
    }

    @Override
    public List<String> models(String tenantId) {
        List<String> models = new ArrayList<>(byTenant.getOrDefault(tenantId, Map.of()).keySet());
        models.sort(null);
        return models;
    }
}
