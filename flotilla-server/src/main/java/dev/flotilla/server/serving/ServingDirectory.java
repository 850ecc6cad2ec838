package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import dev.flotilla.gateway.EndpointView;
import dev.flotilla.gateway.WorkerDirectory;
import dev.flotilla.routing.WorkerState;
import dev.flotilla.routing.WorkerStatus;
import dev.flotilla.store.Database;
import dev.flotilla.store.EndpointRepo;
import dev.flotilla.store.WorkerRepo;
import dev.flotilla.store.WorkerRepo.State;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway's {@link WorkerDirectory}: endpoints and their workers as an in-memory snapshot, so
 * the gateway's event loops never wait on the database. {@link #refresh} rebuilds it from two
 * queries; the control plane calls it after every change it makes (scale, a worker's transition)
 * and on a short timer, which also brings in changes made by other replicas.
 */
public final class ServingDirectory implements WorkerDirectory {
    /** One tenant's endpoints by model name, and the endpoint names by id for usage records. */
    private record Snapshot(Map<String, Map<String, EndpointView>> byTenant, Map<String, String> names) {}

    private final Database db;
    private final int maxQueueLength;
    private final EndpointRepo endpoints = new EndpointRepo();
    private final WorkerRepo workers = new WorkerRepo();
    private volatile Snapshot snapshot = new Snapshot(Map.of(), Map.of());

    public ServingDirectory(Database db, int maxQueueLength) {
        this.db = requireNonNull(db, "db is null");
        this.maxQueueLength = maxQueueLength;
    }

    public synchronized void refresh() {
        record Read(List<EndpointRepo.Row> endpoints, List<WorkerRepo.Worker> live) {}
        Read read = db.inTransaction(c -> new Read(endpoints.all(c), workers.live(c)));
        Map<Long, List<WorkerRepo.Worker>> byEndpoint = new HashMap<>();
        for (WorkerRepo.Worker w : read.live()) {
            w.endpointId().ifPresent(id -> byEndpoint.computeIfAbsent(id, k -> new ArrayList<>()).add(w));
        }
        Map<String, Map<String, EndpointView>> byTenant = new HashMap<>();
        Map<String, String> names = new HashMap<>();
        for (EndpointRepo.Row e : read.endpoints()) {
            String endpointId = Long.toString(e.id());
            List<WorkerState> states = new ArrayList<>();
            Map<String, URI> uris = new HashMap<>();
            for (WorkerRepo.Worker w : byEndpoint.getOrDefault(e.id(), List.of())) {
                String id = Long.toString(w.id());
                states.add(new WorkerState(id, endpointId, w.country(), status(w.state()), 0, w.load().waiting(),
                        w.capacity() > 0 ? w.capacity() : 1, Math.max(0, Math.min(1, w.load().kvUse())),
                        w.lastReportAt().orElse(null)));
                if (!w.url().isEmpty()) {
                    uris.put(id, URI.create(w.url()));
                }
            }
            byTenant.computeIfAbsent(Long.toString(e.tenantId()), t -> new HashMap<>()).put(e.name(),
                    new EndpointView(endpointId, e.name(), e.routing(), Duration.ofMillis(Math.max(1, e.maxQueueMs())),
                            maxQueueLength, states, uris));
            names.put(endpointId, e.name());
        }
        snapshot = new Snapshot(byTenant, names);
    }

    private static WorkerStatus status(State s) {
        return switch (s) {
            case READY -> WorkerStatus.READY;
            case DRAINING -> WorkerStatus.DRAINING;
            case CREATING, LOADING, BENCHMARKING -> WorkerStatus.STARTING;
            case FAILED -> WorkerStatus.UNHEALTHY;
            case STOPPED, PREEMPTED -> WorkerStatus.STOPPED;
        };
    }

    @Override
    public Optional<EndpointView> endpoint(String tenantId, String model) {
        return Optional.ofNullable(snapshot.byTenant().getOrDefault(tenantId, Map.of()).get(model));
    }

    @Override
    public List<String> models(String tenantId) {
        return snapshot.byTenant().getOrDefault(tenantId, Map.of()).keySet().stream().sorted().toList();
    }

    /** The endpoint's name by id as of the last refresh, for usage records. */
    Optional<String> endpointName(String endpointId) {
        return Optional.ofNullable(snapshot.names().get(endpointId));
    }
}
