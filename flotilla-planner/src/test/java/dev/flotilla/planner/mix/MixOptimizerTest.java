package dev.flotilla.planner.mix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.core.Money;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Variable;
import org.ojalgo.optimisation.integer.IntegerStrategy;

class MixOptimizerTest {
    /** A fixed ticker, so that two solutions of one problem are equal field for field. */
    private final MixOptimizer optimizer = new MixOptimizer(() -> 0L);

    private static GpuOption option(String id, String price, int available) {
        return new GpuOption(id, id.substring(0, id.lastIndexOf('x')), 1, Money.parse("price", price), available);
    }

    private static Bucket bucket(String name, double rps) {
        return new Bucket(name, rps);
    }

    /** Short chat on a cheap 4090 or an H100; long context (128k) only on the H100. */
    private static MixProblem chatAndLongContext(int rtxAvailable) {
        return MixProblem.of(
                List.of(bucket("short-chat", 40), bucket("long-context", 3)),
                List.of(option("RTX_4090x1", "0.40", rtxAvailable), option("H100x1", "2.50", 10)),
                new double[][] {{10, 25}, {0, 1.5}});
    }

    @Test
    void mixOfConsumerCardsForShortAndH100ForLongContextBeatsEverySingleType() {
        MixSolution s = optimizer.solve(chatAndLongContext(20));

        assertThat(s.feasible()).isTrue();
        assertThat(s.reason()).isEqualTo("optimal");
        // long-context: 3 / 1.5 = 2 H100s; short-chat: 40 / 10 = 4 RTX 4090s.
        assertThat(s.instances()).containsExactly(Map.entry("RTX_4090x1", 4), Map.entry("H100x1", 2));
        assertThat(s.costPerHour()).isEqualTo(Money.parse("cost", "6.60"));
        // The 4090 cannot serve long context, so the only single type is the H100: ceil(40/25 + 3/1.5) = 4.
        assertThat(s.bestSingleOption()).contains("H100x1");
        assertThat(s.bestSingleCostPerHour()).contains(Money.parse("cost", "10.00"));
        assertThat(s.savingFraction()).isCloseTo(1 - 6.60 / 10.00, within(1e-12));
        assertThat(s.share(0, 0)).isCloseTo(1, within(1e-9));
        assertThat(s.share(1, 1)).isCloseTo(1, within(1e-9));
    }

    @Test
    void cheapestOptionLimitedToThreeInstancesPushesTheRestElsewhere() {
        List<Bucket> buckets = List.of(bucket("short-chat", 50), bucket("long-context", 3));
        double[][] capacity = {{10, 20, 25}, {0, 0.4, 1.5}};
        GpuOption l40s = option("L40Sx1", "0.90", 10);
        GpuOption h100 = option("H100x1", "2.50", 10);
        MixProblem plenty = MixProblem.of(buckets, List.of(option("RTX_4090x1", "0.40", 20), l40s, h100), capacity);
        MixProblem scarce = MixProblem.of(buckets, List.of(option("RTX_4090x1", "0.40", 3), l40s, h100), capacity);

        assertThat(optimizer.solve(plenty).instances()).containsExactly(Map.entry("RTX_4090x1", 5), Map.entry("H100x1", 2));
        MixSolution s = optimizer.solve(scarce);

        // 3 x 4090 serve 30 of the 50 short req/s; one L40S takes the other 20 more cheaply than 2 more H100s.
        assertThat(s.instances()).containsExactly(Map.entry("RTX_4090x1", 3), Map.entry("L40Sx1", 1), Map.entry("H100x1", 2));
        assertThat(s.costPerHour()).isEqualTo(Money.parse("cost", "7.10"));
        assertThat(s.share(0, 0)).isCloseTo(0.6, within(1e-9));
        assertCapacityHolds(scarce, s);
    }

    @Test
    void bestSingleTypeIsTheCheapestThatHasEnoughInstances() {
        MixProblem p = MixProblem.of(
                List.of(bucket("short-chat", 30)),
                List.of(option("RTX_4090x1", "0.40", 2), option("L40Sx1", "0.90", 4), option("H100x1", "2.50", 4)),
                new double[][] {{10, 20, 25}});

        MixSolution s = optimizer.solve(p);

        // 3 x 4090 ($1.20) would be cheapest but only 2 exist; 2 x L40S ($1.80) beats 2 x H100 ($5.00).
        assertThat(s.bestSingleOption()).contains("L40Sx1");
        assertThat(s.bestSingleCostPerHour()).contains(Money.parse("cost", "1.80"));
        // The mix: 1 x 4090 + 1 L40S = 10 + 20 req/s for $1.30.
        assertThat(s.instances()).containsExactly(Map.entry("RTX_4090x1", 1), Map.entry("L40Sx1", 1));
        assertThat(s.savingFraction()).isCloseTo(1 - 1.30 / 1.80, within(1e-12));
    }

    @Test
    void savingIsZeroWhenNoSingleTypeServesEveryBucket() {
        MixProblem p = MixProblem.of(
                List.of(bucket("short-chat", 40), bucket("long-context", 3)),
                List.of(option("RTX_4090x1", "0.40", 20), option("H200x1", "3.20", 2)),
                new double[][] {{10, 0}, {0, 1.5}});

        MixSolution s = optimizer.solve(p);

        assertThat(s.instances()).containsExactly(Map.entry("RTX_4090x1", 4), Map.entry("H200x1", 2));
        assertThat(s.bestSingleOption()).isEmpty();
        assertThat(s.bestSingleCostPerHour()).isEmpty();
        assertThat(s.savingFraction()).isZero();
    }

    @Test
    void demandBeyondTheAvailableInstancesIsInfeasibleNamingBucketAndShortfall() {
        MixProblem p = MixProblem.of(
                List.of(bucket("short-chat", 40), bucket("long-context", 12)),
                List.of(option("RTX_4090x1", "0.40", 20), option("H100x1", "2.50", 5)),
                new double[][] {{10, 25}, {0, 1.5}});

        MixSolution s = optimizer.solve(p);

        assertThat(s.feasible()).isFalse();
        assertThat(s.reason()).isEqualTo("bucket long-context needs 12.0 req/s; the available offers can serve 7.5 req/s");
        assertThat(s.instances()).isEmpty();
        assertThat(s.costPerHour()).isEqualTo(Money.ZERO);
        assertThat(s.bestSingleOption()).isEmpty();
    }

    @Test
    void bucketThatNoOptionCanServeIsInfeasible() {
        MixProblem p = MixProblem.of(
                List.of(bucket("short-chat", 40), bucket("1M-context", 0.2)),
                List.of(option("RTX_4090x1", "0.40", 20), option("H100x1", "2.50", 5)),
                new double[][] {{10, 25}, {0, 0}});

        MixSolution s = optimizer.solve(p);

        assertThat(s.feasible()).isFalse();
        assertThat(s.reason()).isEqualTo(
                "bucket 1M-context needs 0.2 req/s but no option can serve it within its SLO (its capacity is 0 on every option)");
    }

    @Test
    void bucketsThatFitOneByOneButNotTogetherAreInfeasible() {
        // Alone: short-chat needs 1.2 H100s, long-context 1.33; together 2.53 > the 2 available.
        MixProblem p = MixProblem.of(
                List.of(bucket("short-chat", 30), bucket("long-context", 2)),
                List.of(option("H100x1", "2.50", 2)),
                new double[][] {{25}, {1.5}});

        MixSolution s = optimizer.solve(p);

        assertThat(s.feasible()).isFalse();
        assertThat(s.reason()).isEqualTo("the buckets fit the available offers one by one but not together: they need short-chat 30.0 req/s,"
                + " long-context 2.0 req/s; the available offers can serve at most 78.9% of that");
    }

    @Test
    void zeroDemandNeedsNoInstancesAndHasNoShares() {
        MixProblem p = MixProblem.of(
                List.of(bucket("short-chat", 20), bucket("long-context", 0)),
                List.of(option("RTX_4090x1", "0.40", 20), option("H100x1", "2.50", 5)),
                new double[][] {{10, 25}, {0, 0}});

        MixSolution s = optimizer.solve(p);

        assertThat(s.instances()).containsExactly(Map.entry("RTX_4090x1", 2));
        assertThat(s.share()[1]).containsExactly(0, 0);
        assertThat(s.bestSingleOption()).contains("RTX_4090x1");
        assertThat(s.savingFraction()).isZero();
    }

    /**
     * Two types that cost the same per request within 0.5%: B serves 5.1 times what A serves. At the
     * base load 10 A fit exactly; at +2% 11 A cost $5.50 but 2 B cost $5.13, so a cost-only plan
     * replaces all ten A by two B.
     */
    private static MixProblem nearTie() {
        return MixProblem.of(
                List.of(bucket("short-chat", 60), bucket("long-context", 20)),
                List.of(option("L40Sx1", "0.50", 30), option("H100x1", "2.5628", 10)),
                new double[][] {{10, 51}, {5, 25.5}});
    }

    @Test
    void twoPercentMoreLoadAddsAnInstanceInsteadOfFlippingTheMix() {
        MixSolution base = optimizer.solve(nearTie());
        assertThat(base.instances()).containsExactly(Map.entry("L40Sx1", 10));

        MixProblem busier = nearTie().scaled(1.02);
        // Without the current mix, the cheapest plan flips everything: this is what stability prevents.
        assertThat(optimizer.solve(busier).instances()).containsExactly(Map.entry("H100x1", 2));

        MixSolution stable = optimizer.solve(busier.withPrevious(base.instances()));

        assertThat(stable.feasible()).isTrue();
        assertThat(Math.abs(stable.totalInstances() - base.totalInstances())).isLessThanOrEqualTo(1);
        assertThat(base.instances().keySet()).allSatisfy(id -> assertThat(stable.instancesOf(id)).isPositive());
        assertThat(stable.instances()).containsExactly(Map.entry("L40Sx1", 11));
        // The cost is reported truthfully: 7% above the flip (which would move 12 instances for $0.37/h), and above the best single type.
        assertThat(stable.costPerHour()).isEqualTo(Money.parse("cost", "5.50"));
        assertThat(stable.savingFraction()).isNegative();
        assertCapacityHolds(busier, stable);
    }

    @Test
    void twoPercentMoreLoadOnARealisticMixChangesAtMostOneInstance() {
        MixSolution base = optimizer.solve(realistic());
        MixProblem busier = realistic().scaled(1.02);

        MixSolution next = optimizer.solve(busier.withPrevious(base.instances()));

        assertThat(base.instances()).hasSizeGreaterThan(1);
        assertThat(Math.abs(next.totalInstances() - base.totalInstances())).isLessThanOrEqualTo(1);
        assertThat(base.instances().keySet()).allSatisfy(id -> assertThat(next.instancesOf(id)).isPositive());
        // RTX 3090s and dual 4090s cost the same per request within 0.3%, so a cold re-plan reshuffles them.
        MixSolution cold = optimizer.solve(busier);
        assertThat(Math.abs(cold.totalInstances() - base.totalInstances())).isGreaterThan(1);
        assertThat(moved(base, cold)).isGreaterThan(moved(base, next));
    }

    @Test
    void stabilityStillShedsInstancesWhenLoadFalls() {
        MixSolution base = optimizer.solve(nearTie());

        MixSolution quieter = optimizer.solve(nearTie().scaled(0.5).withPrevious(base.instances()));

        assertThat(quieter.instances()).containsExactly(Map.entry("L40Sx1", 5));
    }

    @Test
    void stabilityGivesWayWhenAnotherMixIsMuchCheaper() {
        // The current mix runs 10 H100s where 2 L40S would do: moving saves far more than 5% of what moves.
        MixSolution s = optimizer.solve(chatAndLongContext(20).withPrevious(Map.of("H100x1", 10)));

        assertThat(s.instances()).containsExactly(Map.entry("RTX_4090x1", 4), Map.entry("H100x1", 2));
    }

    @Test
    void sameProblemTwiceGivesIdenticalSolutions() {
        assertThat(optimizer.solve(realistic())).isEqualTo(optimizer.solve(realistic()));
        MixProblem withPrevious = realistic().withPrevious(Map.of("H100_SXMx1", 3, "RTX_3090x1", 12));
        assertThat(optimizer.solve(withPrevious)).isEqualTo(optimizer.solve(withPrevious));
    }

    @Test
    void equalCostOptionsResolveToTheEarlierInListOrder() {
        GpuOption east = option("A100_EASTx1", "1.30", 10);
        GpuOption west = option("A100_WESTx1", "1.30", 10);
        List<Bucket> buckets = List.of(bucket("short-chat", 50));
        double[][] capacity = {{16, 16}};

        assertThat(optimizer.solve(MixProblem.of(buckets, List.of(east, west), capacity)).instances())
                .containsExactly(Map.entry("A100_EASTx1", 4));
        assertThat(optimizer.solve(MixProblem.of(buckets, List.of(west, east), capacity)).instances())
                .containsExactly(Map.entry("A100_WESTx1", 4));
    }

    @Test
    void sharesSumToOnePerBucketAndLoadFitsTheInstancesOnARealisticProblem() {
        MixProblem p = realistic();
        MixSolution s = optimizer.solve(p);

        assertThat(s.feasible()).isTrue();
        for (int b = 0; b < p.buckets().size(); b++) {
            assertThat(sum(s.share()[b])).as("shares of bucket %s", p.buckets().get(b).name()).isCloseTo(1, within(1e-9));
        }
        assertCapacityHolds(p, s);
        for (GpuOption o : p.options()) {
            assertThat(s.instancesOf(o.id())).isLessThanOrEqualTo(o.available());
        }
        assertThat(s.costPerHour()).isLessThan(s.bestSingleCostPerHour().orElseThrow());
    }

    @Test
    void retriesWithALooserFeasibilityCheckWhenTheSolverWronglyReportsInfeasible() {
        // ojAlgo's default strategy (Gomory cuts on) calls this problem infeasible, though 2 x o1 serve it.
        MixProblem p = MixProblem.of(
                List.of(bucket("b0", 1.7), bucket("b1", 15.9), bucket("b2", 13.8)),
                List.of(option("o0x1", "1.86", 1), option("o1x1", "2.16", 3)),
                new double[][] {{19.5, 15.5}, {11.0, 14.2}, {6.2, 20.1}});
        IntegerStrategy withCuts = IntegerStrategy.DEFAULT.withParallelism(() -> 1);

        MixSolution s = new MixOptimizer(() -> 0L, withCuts).solve(p);

        assertThat(s.feasible()).isTrue();
        assertThat(s.instances()).containsExactly(Map.entry("o1x1", 2));
        assertThat(optimizer.solve(p)).isEqualTo(s);
    }

    /**
     * The branch and bound against exhaustive search on small random problems: every instance
     * vector within availability, each checked for a feasible split by a linear program.
     */
    @Test
    void findsTheSameCostAsExhaustiveSearchOnSmallRandomProblems() {
        Random random = new Random(7);
        int feasible = 0;
        for (int trial = 0; trial < 100; trial++) {
            MixProblem p = randomSmallProblem(random);
            MixSolution s = optimizer.solve(p);
            Money best = exhaustiveCheapest(p);
            if (best == null) {
                assertThat(s.feasible()).as("trial %d: %s", trial, p).isFalse();
            } else {
                feasible++;
                assertThat(s.feasible()).as("trial %d: %s", trial, p).isTrue();
                assertThat(s.costPerHour()).as("trial %d: %s", trial, p).isEqualTo(best);
                assertCapacityHolds(p, s);
            }
        }
        // Not a vacuous comparison: most trials have a mix to find.
        assertThat(feasible).isGreaterThan(40);
    }

    private static MixProblem randomSmallProblem(Random random) {
        int nb = 2 + random.nextInt(2);
        int ng = 2 + random.nextInt(2);
        List<Bucket> buckets = new ArrayList<>();
        for (int b = 0; b < nb; b++) {
            buckets.add(bucket("b" + b, Math.round(random.nextDouble() * 300) / 10.0));
        }
        List<GpuOption> options = new ArrayList<>();
        for (int g = 0; g < ng; g++) {
            options.add(new GpuOption("o" + g + "x1", "g" + g, 1, Money.ofMicros((20 + random.nextInt(300)) * 10_000L), random.nextInt(5)));
        }
        double[][] capacity = new double[nb][ng];
        for (int b = 0; b < nb; b++) {
            for (int g = 0; g < ng; g++) {
                capacity[b][g] = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(200) / 10.0;
            }
        }
        return MixProblem.of(buckets, options, capacity);
    }

    /** The cheapest instance vector whose capacity admits a split, or null if none does. */
    private static Money exhaustiveCheapest(MixProblem p) {
        int ng = p.options().size();
        int[] x = new int[ng];
        Money best = null;
        while (true) {
            Money cost = Money.ZERO;
            for (int g = 0; g < ng; g++) {
                cost = cost.plus(p.options().get(g).pricePerHour().times(x[g]));
            }
            if ((best == null || cost.compareTo(best) < 0) && splitExists(p, x)) {
                best = cost;
            }
            int g = 0;
            while (g < ng && x[g] == p.options().get(g).available()) {
                x[g++] = 0;
            }
            if (g == ng) {
                return best;
            }
            x[g]++;
        }
    }

    private static boolean splitExists(MixProblem p, int[] x) {
        ExpressionsBasedModel lp = new ExpressionsBasedModel();
        int ng = p.options().size();
        Expression[] load = new Expression[ng];
        for (int g = 0; g < ng; g++) {
            load[g] = lp.addExpression().upper(x[g]);
        }
        for (int b = 0; b < p.buckets().size(); b++) {
            double rps = p.buckets().get(b).requestsPerSecond();
            if (rps == 0) {
                continue;
            }
            Expression served = lp.addExpression().level(1);
            for (int g = 0; g < ng; g++) {
                if (p.capacity(b, g) > 0) {
                    Variable y = lp.addVariable().lower(0).upper(1);
                    served.set(y, 1);
                    load[g].set(y, rps / p.capacity(b, g));
                }
            }
        }
        return lp.minimise().getState().isFeasible();
    }

    private static void assertCapacityHolds(MixProblem p, MixSolution s) {
        for (int g = 0; g < p.options().size(); g++) {
            double load = 0;
            for (int b = 0; b < p.buckets().size(); b++) {
                if (s.share(b, g) > 0) {
                    assertThat(p.capacity(b, g)).as("capacity of bucket %d on option %d", b, g).isPositive();
                    load += p.buckets().get(b).requestsPerSecond() * s.share(b, g) / p.capacity(b, g);
                }
            }
            assertThat(load).as("instances of work on %s", p.options().get(g).id())
                    .isLessThanOrEqualTo(s.instancesOf(p.options().get(g).id()) + 1e-6);
        }
    }

    /** Instances started plus instances stopped between two mixes. */
    private static int moved(MixSolution before, MixSolution after) {
        return realistic().options().stream()
                .mapToInt(o -> Math.abs(after.instancesOf(o.id()) - before.instancesOf(o.id())))
                .sum();
    }

    private static double sum(double[] row) {
        double s = 0;
        for (double v : row) {
            s += v;
        }
        return s;
    }

    /** Six buckets on eight GPU configurations, as the benchmark uses (an 8B model; req/s at the SLO). */
    static MixProblem realistic() {
        List<Bucket> buckets = List.of(
                bucket("chat-1k", 60), bucket("chat-4k", 25), bucket("rag-8k", 8),
                bucket("code-16k", 4), bucket("docs-32k", 2), bucket("summarise-128k", 0.5));
        List<GpuOption> options = List.of(
                option("RTX_3090x1", "0.22", 40), option("RTX_4090x1", "0.35", 30), option("RTX_4090x2", "0.70", 15),
                option("RTX_A6000x1", "0.50", 20), option("L40Sx1", "0.85", 12), option("A100_80GBx1", "1.30", 10),
                option("H100_SXMx1", "2.40", 16), option("H200x1", "3.20", 6));
        double[][] capacity = {
            {6, 9, 19, 7, 12, 16, 28, 32},
            {3, 4.5, 9.5, 3.5, 6, 8, 14, 16},
            {1, 1.5, 3.5, 1.4, 2.4, 3.5, 6.5, 7.5},
            {0.3, 0.5, 1.2, 0.6, 1.0, 1.6, 3.0, 3.6},
            {0, 0, 0.5, 0.25, 0.45, 0.8, 1.5, 1.9},
            {0, 0, 0, 0, 0.08, 0.18, 0.35, 0.5}};
        return MixProblem.of(buckets, options, capacity);
    }
}
