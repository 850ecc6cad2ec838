package dev.flotilla.routing;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Least load, the default: the candidate with the lowest {@code (inFlight + queued) / capacity},
 * ties broken by lower KV-cache utilisation (more room for the new sequence's cache) and then by
 * worker id, so the choice is a deterministic function of the snapshot. This is "join the shortest
 * queue" normalised by benchmarked capacity; it is optimal with fresh load information but herds
 * when gateways act on stale snapshots, which is what {@link PowerOfTwoRouter} is for.
 */
public final class LeastLoadRouter implements Router {
    public static final String NAME = "least-load";

    /** Load, then KV-cache utilisation, then id. */
    public static final Comparator<WorkerState> BY_LOAD = Comparator.comparingDouble(WorkerState::load)
            .thenComparingDouble(WorkerState::kvCacheUtilization)
            .thenComparing(WorkerState::workerId);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<RoutingDecision> choose(RoutingRequest request, List<WorkerState> workers) {
        return leastLoaded(Router.candidates(request, workers))
                .map(w -> new RoutingDecision(w.workerId(), NAME, "lowest load " + w.load()));
    }

    static Optional<WorkerState> leastLoaded(List<WorkerState> candidates) {
        return candidates.stream().min(BY_LOAD);
    }
}
