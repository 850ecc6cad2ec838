package dev.flotilla.routing;

import static dev.flotilla.routing.Workers.request;
import static dev.flotilla.routing.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PrefixAffinityRouterTest {
    private final Router router = new PrefixAffinityRouter(RouterSettings.defaults());
    private final List<WorkerState> eight = Workers.idle(8, 10);

    @Test
    void samePrefixAlwaysGoesToTheSameWorker() {
        RoutingRequest r = request().withPrefix(11, 22, 33);
        String first = router.choose(r, eight).orElseThrow().workerId();
        for (int i = 0; i < 100; i++) {
            assertThat(router.choose(r, eight).orElseThrow().workerId()).isEqualTo(first);
        }
        assertThat(router.choose(r, eight.reversed()).orElseThrow().workerId()).isEqualTo(first);
    }

    @Test
    void promptsSharingTheAffinityBlocksGoTogetherWhateverFollows() {
        String system = "You are a helpful assistant. ".repeat(200);
        String a = route(PrefixHashes.ofText(system + "What is a GPU?", 1024, 8));
        String b = route(PrefixHashes.ofText(system + "Tell me about KV caches, at length.", 1024, 8));
        assertThat(a).isEqualTo(b);
    }

    @Test
    void differentPrefixesSpreadEvenly() {
        SplittableRandom random = new SplittableRandom(1);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            counts.merge(route(new long[] {random.nextLong()}), 1, Integer::sum);
        }
        assertThat(counts).hasSize(8).allSatisfy((id, n) -> assertThat(n).isBetween(1_100, 1_400));
    }

    @Test
    void staysOnPreferredWorkerWithinTheBoundAndMovesOffJustAboveIt() {
        RoutingRequest r = request().withPrefix(7);
        List<WorkerState> order = PrefixAffinityRouter.hashOrder(7, eight);
        String preferred = order.get(0).workerId();
        String second = order.get(1).workerId();
        // Others hold 4 each. Preferred at 5: U = 33, bound = ceil(1.25 * 34 / 8) = 6 >= 5 + 1: stays.
        assertThat(router.choose(r, withOutstanding(preferred, 5, 4)).orElseThrow().workerId()).isEqualTo(preferred);
        // Preferred at 6: U = 34, bound = ceil(1.25 * 35 / 8) = 6 < 6 + 1: moves to the next in hash order.
        RoutingDecision moved = router.choose(r, withOutstanding(preferred, 6, 4)).orElseThrow();
        assertThat(moved.workerId()).isEqualTo(second);
        assertThat(moved.reason()).contains("over load bound");
    }

    @Test
    void largerEpsilonToleratesMoreImbalanceOnThePreferredWorker() {
        Router loose = new PrefixAffinityRouter(RouterSettings.defaults().withPrefixAffinityEpsilon(1.0));
        RoutingRequest r = request().withPrefix(7);
        String preferred = PrefixAffinityRouter.hashOrder(7, eight).get(0).workerId();
        // Preferred at 7, others 4: U = 35, bound = ceil(2.0 * 36 / 8) = 9 >= 8.
        List<WorkerState> snapshot = withOutstanding(preferred, 7, 4);
        assertThat(loose.choose(r, snapshot).orElseThrow().workerId()).isEqualTo(preferred);
        assertThat(router.choose(r, snapshot).orElseThrow().workerId()).isNotEqualTo(preferred);
    }

    @Test
    void boundIsWeightedByCapacity() {
        // big has 3x the capacity of small; both hold 6. Mean over C = 40: U = 12.
        // big: bound = ceil(1.25 * 13 * 30 / 40) = 13 >= 7; small: bound = ceil(1.25 * 13 * 10 / 40) = 5 < 7.
        List<WorkerState> workers = List.of(worker("big", 6, 30), worker("small", 6, 10));
        for (long key = 0; key < 50; key++) {
            assertThat(router.choose(request().withPrefix(key), workers).orElseThrow().workerId()).isEqualTo("big");
        }
    }

    @Test
    void excludedPreferredWorkerFallsToTheNextInHashOrder() {
        List<WorkerState> order = PrefixAffinityRouter.hashOrder(99, eight);
        RoutingRequest r = request().withPrefix(99).excluding(order.get(0).workerId());
        assertThat(router.choose(r, eight).orElseThrow().workerId()).isEqualTo(order.get(1).workerId());
    }

    @Test
    void removingAWorkerMovesOnlyThePrefixesItHeld() {
        List<WorkerState> seven = eight.subList(0, 7);
        SplittableRandom random = new SplittableRandom(2);
        int moved = 0;
        for (int i = 0; i < 2_000; i++) {
            long[] prefix = {random.nextLong()};
            String before = router.choose(request().withPrefix(prefix), eight).orElseThrow().workerId();
            String after = router.choose(request().withPrefix(prefix), seven).orElseThrow().workerId();
            if (!before.equals(after)) {
                assertThat(before).isEqualTo("w7");
                moved++;
            }
        }
        assertThat(moved).isBetween(150, 350);
    }

    @Test
    void requestWithoutPrefixGoesToTheLeastLoaded() {
        List<WorkerState> workers = List.of(worker("a", 5, 10), worker("b", 2, 10), worker("c", 9, 10));
        assertThat(router.choose(request(), workers).orElseThrow().workerId()).isEqualTo("b");
        assertThat(router.choose(request(), List.of())).isEmpty();
    }

    @Test
    void maxOverMeanLoadStaysWithinOnePlusEpsilonForUniformPrefixes() {
        SplittableRandom random = new SplittableRandom(3);
        Result r = place(router, 10_000, () -> random.nextLong());
        // Mirrokni et al.: no bin exceeds ceil((1 + eps) * m / n) = ceil(1.25 * 10000 / 8) = 1563.
        assertThat(r.max()).isLessThanOrEqualTo(1563);
        assertThat(r.max() / r.mean()).isLessThanOrEqualTo(1.2504);
    }

    @Test
    void boundHoldsForSkewedPrefixesWhereUnboundedHashingOverloadsOneWorker() {
        long[] zipfKeys = zipfKeys(10_000, 200, 1.1, new SplittableRandom(4));
        int[] next = {0};
        Result bounded = place(router, zipfKeys.length, () -> zipfKeys[next[0]++]);
        next[0] = 0;
        Router unbounded = new PrefixAffinityRouter(RouterSettings.defaults().withPrefixAffinityEpsilon(1_000));
        Result plain = place(unbounded, zipfKeys.length, () -> zipfKeys[next[0]++]);

        assertThat(bounded.max() / bounded.mean()).isLessThanOrEqualTo(1.2504);
        assertThat(plain.max() / plain.mean()).isGreaterThan(1.5);
        // Most requests still land on their prefix's first choice: the cache stays useful.
        assertThat(bounded.firstChoiceShare()).isGreaterThan(0.6);
    }

    private String route(long[] prefix) {
        return router.choose(request().withPrefix(prefix), eight).orElseThrow().workerId();
    }

    private List<WorkerState> withOutstanding(String id, int mine, int others) {
        return eight.stream().map(w -> w.withLoad(w.workerId().equals(id) ? mine : others, 0)).toList();
    }

    private record Result(int max, double mean, double firstChoiceShare) {}

    /** Places {@code n} requests one after another onto eight idle workers; nothing completes. */
    private static Result place(Router router, int n, java.util.function.LongSupplier keys) {
        List<WorkerState> workers = Workers.idle(8, 100);
        int firstChoice = 0;
        for (int i = 0; i < n; i++) {
            long key = keys.getAsLong();
            String chosen = router.choose(request().withPrefix(key), workers).orElseThrow().workerId();
            if (chosen.equals(PrefixAffinityRouter.hashOrder(key, workers).getFirst().workerId())) {
                firstChoice++;
            }
            workers = Workers.plusOne(workers, chosen);
        }
        int max = workers.stream().mapToInt(WorkerState::outstanding).max().orElseThrow();
        return new Result(max, n / 8.0, firstChoice / (double) n);
    }

    /** {@code n} draws from a Zipf(s) popularity over {@code distinct} prefixes. */
    private static long[] zipfKeys(int n, int distinct, double s, SplittableRandom random) {
        double[] cdf = new double[distinct];
        double sum = 0;
        for (int k = 0; k < distinct; k++) {
            sum += 1 / Math.pow(k + 1, s);
            cdf[k] = sum;
        }
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double u = random.nextDouble() * sum;
            int k = 0;
            while (cdf[k] < u) {
                k++;
            }
            keys.add(1_000_003L * (k + 1));
        }
        return keys.stream().mapToLong(Long::longValue).toArray();
    }
}
