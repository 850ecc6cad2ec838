package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * Region preference: least load among the candidates in the caller's region (or, when the request
 * names none, the gateway's configured {@code gateway-region}); when that region has no candidate,
 * least load among all candidates. Keeps traffic (and time to first token) local without ever
 * refusing a request another region could serve.
 */
public final class RegionRouter implements Router {
    public static final String NAME = "region";

    private final RouterSettings settings;

    public RegionRouter(RouterSettings settings) {
        this.settings = requireNonNull(settings, "settings is null");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<RoutingDecision> choose(RoutingRequest request, List<WorkerState> workers) {
        List<WorkerState> candidates = Router.candidates(request, workers);
        Optional<String> region = request.region().or(settings::region);
        if (region.isPresent()) {
            String wanted = region.get();
            Optional<WorkerState> local = LeastLoadRouter.leastLoaded(
                    candidates.stream().filter(w -> w.region().equals(wanted)).toList());
            if (local.isPresent()) {
                return local.map(w -> new RoutingDecision(w.workerId(), NAME, "least load in " + wanted));
            }
        }
        String why = region.map(r -> "none ready in " + r + ": least load anywhere").orElse("no region: least load anywhere");
        return LeastLoadRouter.leastLoaded(candidates).map(w -> new RoutingDecision(w.workerId(), NAME, why));
    }
}
