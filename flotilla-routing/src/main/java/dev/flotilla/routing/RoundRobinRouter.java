package dev.flotilla.routing;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Round robin over the candidates in worker-id order, one cursor per endpoint. The cursor is the
 * id of the last worker chosen, not an index, so a worker joining, leaving, draining or being
 * excluded shifts nobody else's turn: the next choice is the first candidate whose id sorts after
 * the cursor, wrapping around. Loads are ignored, which suits identical workers and requests of
 * similar size.
 */
public final class RoundRobinRouter implements Router {
    public static final String NAME = "round-robin";

    private final Map<String, String> lastChosenByEndpoint = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<RoutingDecision> choose(RoutingRequest request, List<WorkerState> workers) {
        List<String> ids = Router.candidates(request, workers).stream()
                .map(WorkerState::workerId)
                .sorted(Comparator.naturalOrder())
                .toList();
        if (ids.isEmpty()) {
            return Optional.empty();
        }
        String chosen = lastChosenByEndpoint.compute(request.endpointId(), (endpoint, last) -> {
            if (last == null) {
                return ids.getFirst();
            }
            return ids.stream().filter(id -> id.compareTo(last) > 0).findFirst().orElse(ids.getFirst());
        });
        return Optional.of(new RoutingDecision(chosen, NAME, "next in id order"));
    }
}
