package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Power of two choices: sample two distinct candidates uniformly at random and take the less
 * loaded (by {@link LeastLoadRouter#BY_LOAD}). With {@code n} workers and {@code m} requests the
 * maximum load exceeds the mean by {@code ln ln n / ln 2 + O(1)} instead of the
 * {@code Θ(sqrt(m ln n / n))} of one random choice (Azar, Broder, Karlin and Upfal, "Balanced
 * Allocations", 1999; Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
 * 2001), and unlike least load it does not send every gateway to the same worker when their
 * snapshots are stale. Randomness is injected so runs are reproducible; calls are synchronised
 * because most generators are not thread-safe.
 */
public final class PowerOfTwoRouter implements Router {
    public static final String NAME = "power-of-two";

    private final RandomGenerator random;

    public PowerOfTwoRouter(RandomGenerator random) {
        this.random = requireNonNull(random, "random is null");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public synchronized Optional<RoutingDecision> choose(RoutingRequest request, List<WorkerState> workers) {
        List<WorkerState> candidates = Router.candidates(request, workers);
        int n = candidates.size();
        if (n == 0) {
            return Optional.empty();
        }
        if (n == 1) {
            return Optional.of(new RoutingDecision(candidates.getFirst().workerId(), NAME, "only candidate"));
        }
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
            j++;
        }
        WorkerState a = candidates.get(i);
        WorkerState b = candidates.get(j);
        WorkerState pick = LeastLoadRouter.BY_LOAD.compare(a, b) <= 0 ? a : b;
        WorkerState other = pick == a ? b : a;
        return Optional.of(new RoutingDecision(
                pick.workerId(), NAME, "less loaded of " + pick.workerId() + " and " + other.workerId()));
    }
}
