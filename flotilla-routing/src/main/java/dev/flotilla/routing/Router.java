package dev.flotilla.routing;

import java.util.List;
import java.util.Optional;

/**
 * Picks the worker for one request from a snapshot of the endpoint's workers. Every strategy
 * considers only workers that {@link RoutingRequest#canUse(WorkerState) the request can use}
 * (same endpoint, {@link WorkerStatus#READY}, not excluded) and returns empty when there is none;
 * the gateway then queues the request (see {@link AdmissionQueue}). Implementations never read the
 * clock; those with state (round robin) or randomness (power of two) are safe to share between
 * threads. Build one with {@link Routers#of(String, java.util.random.RandomGenerator)}:
 *
 * <pre>{@code
 * Router router = Routers.of("prefix-affinity", new SplittableRandom(7));
 * Optional<RoutingDecision> d = router.choose(
 *         RoutingRequest.of("llama-8b").withPrefix(PrefixHashes.ofText(prompt, 2048, 4)), workers);
 * }</pre>
 */
public interface Router {
    /** The strategy's name as accepted by {@link Routers#of}. */
    String name();

    Optional<RoutingDecision> choose(RoutingRequest request, List<WorkerState> workers);

    /** The workers {@code request} may use, in the order given. */
    static List<WorkerState> candidates(RoutingRequest request, List<WorkerState> workers) {
        return workers.stream().filter(request::canUse).toList();
    }
}
