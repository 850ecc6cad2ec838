package dev.flotilla.routing;

import static dev.flotilla.routing.Workers.request;
import static dev.flotilla.routing.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class PowerOfTwoRouterTest {
    /** The baseline power of two is measured against: one uniformly random candidate. */
    private record RandomRouter(RandomGenerator random) implements Router {
        @Override
        public String name() {
            return "random";
        }

        @Override
        public Optional<RoutingDecision> choose(RoutingRequest request, List<WorkerState> workers) {
            List<WorkerState> c = Router.candidates(request, workers);
            return c.isEmpty()
                    ? Optional.empty()
                    : Optional.of(new RoutingDecision(c.get(random.nextInt(c.size())).workerId(), name(), "random"));
        }
    }

    @Test
    void withTwoCandidatesAlwaysTakesTheLessLoaded() {
        Router router = new PowerOfTwoRouter(new SplittableRandom(3));
        List<WorkerState> workers = List.of(worker("busy", 7, 8), worker("idle", 1, 8));
        for (int i = 0; i < 50; i++) {
            assertThat(router.choose(request(), workers)).map(RoutingDecision::workerId).contains("idle");
        }
    }

    @Test
    void neverTakesTheMostLoadedOfSeveralSinceItLosesEveryPair() {
        Router router = new PowerOfTwoRouter(new SplittableRandom(5));
        List<WorkerState> workers = List.of(worker("a", 1, 8), worker("b", 2, 8), worker("c", 3, 8), worker("d", 8, 8));
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(router.choose(request(), workers).orElseThrow().workerId());
        }
        assertThat(seen).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    void samplesOnlyRoutableWorkers() {
        Router router = new PowerOfTwoRouter(new SplittableRandom(9));
        List<WorkerState> workers = List.of(
                worker("tried", 0, 8), worker("drain", 0, 8).withStatus(WorkerStatus.DRAINING), worker("ok", 6, 8));
        for (int i = 0; i < 20; i++) {
            assertThat(router.choose(request().excluding("tried"), workers))
                    .map(RoutingDecision::workerId)
                    .contains("ok");
        }
        assertThat(router.choose(request().excluding("tried", "ok"), workers)).isEmpty();
    }

    @Test
    void sameSeedGivesSameChoices() {
        List<WorkerState> workers = Workers.idle(8, 4);
        Router a = new PowerOfTwoRouter(new SplittableRandom(42));
        Router b = new PowerOfTwoRouter(new SplittableRandom(42));
        for (int i = 0; i < 100; i++) {
            assertThat(a.choose(request(), workers)).isEqualTo(b.choose(request(), workers));
        }
    }

    @Test
    void balancesFarBetterThanOneRandomChoice() {
        int twoChoiceGap = imbalance(new PowerOfTwoRouter(new SplittableRandom(11)));
        int randomGap = imbalance(new RandomRouter(new SplittableRandom(11)));
        // Balanced allocations: the gap stays O(ln ln n) with two choices, grows like sqrt(m) with one.
        assertThat(twoChoiceGap).isLessThanOrEqualTo(3);
        assertThat(randomGap).isGreaterThan(5 * twoChoiceGap);
    }

    /** Max minus mean outstanding after 8,000 requests onto 8 workers with no completions. */
    private static int imbalance(Router router) {
        List<WorkerState> workers = Workers.idle(8, 100);
        int requests = 8_000;
        for (int i = 0; i < requests; i++) {
            workers = Workers.plusOne(workers, router.choose(request(), workers).orElseThrow().workerId());
        }
        int max = workers.stream().mapToInt(WorkerState::outstanding).max().orElseThrow();
        return max - requests / 8;
    }
}
