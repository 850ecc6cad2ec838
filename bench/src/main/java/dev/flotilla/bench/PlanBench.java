package dev.flotilla.bench;

import dev.flotilla.engine.KvPrecision;
import dev.flotilla.engine.ModelCatalog;
import dev.flotilla.engine.WeightPrecision;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.planner.recommend.MarketCapacity;
import dev.flotilla.planner.recommend.Plan;
import dev.flotilla.planner.recommend.PlanRequest;
import dev.flotilla.planner.recommend.Recommender;
import dev.flotilla.planner.recommend.Slo;
import dev.flotilla.planner.recommend.Workload;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Time per plan over the whole GPU catalog and a 100,000-offer market: aggregating the offers
 * into market capacity, then ranking every GPU x count x tensor-parallel candidate (with the
 * what-if precision variants, and the heterogeneous mix where asked). Each "+ mix" row is reported
 * as a ratio to the same plan without the mix, measured in the same run.
 *
 * <pre>
 *   bench/run-plan.sh [offers] [iterations]
 * </pre>
 */
public final class PlanBench {
    private PlanBench() {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        List<Offer> offers = SyntheticMarket.generate(n, 42);
        Recommender r = Recommender.standard();
        System.out.printf(Locale.ROOT, "%s, %d cores; %,d offers; %d timed plans per row after %d warm-up%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), offers.size(), iterations, iterations / 2);
        List<Object[]> rows = new ArrayList<>();
        for (String model : List.of("Llama-3.1-8B", "Llama-3.1-70B")) {
            for (boolean longContext : List.of(false, true)) {
                for (boolean mix : List.of(false, true)) {
                    PlanRequest req = new PlanRequest(ModelCatalog.defaultCatalog().get(model), WeightPrecision.BF16,
                            KvPrecision.BITS_16, longContext ? new Workload(16_000, 500, 1, 1) : new Workload(1000, 250, 5, 1),
                            longContext ? new Slo(8000, 60, 90) : new Slo(2000, 60, 90), Set.of(), Optional.empty(), mix,
                            List.of());
                    double[] t = time(offers, r, req, iterations);
                    rows.add(new Object[] {model + (longContext ? " long-context" : " chat") + (mix ? " + mix" : ""), t});
                }
            }
        }
        long[] agg = new long[iterations];
        for (int i = 0; i < iterations; i++) {
            long a = System.nanoTime();
            MarketCapacity.fromOffers(offers, false, Set.of());
            agg[i] = System.nanoTime() - a;
        }
        Arrays.sort(agg);
        System.out.printf(Locale.ROOT, "%nmarket aggregation of %,d offers: p50 %.1f ms%n%n", offers.size(), agg[iterations / 2] / 1e6);
        System.out.printf(Locale.ROOT, "%-36s %10s %10s %10s %14s%n", "plan (catalog x 100k-offer market)", "p50 ms", "p99 ms",
                "max ms", "p50 / no mix");
        double worst = 0;
        double[] previous = null;
        for (Object[] row : rows) {
            double[] t = (double[]) row[1];
            boolean mixRow = ((String) row[0]).endsWith("mix");
            System.out.printf(Locale.ROOT, "%-36s %10.1f %10.1f %10.1f %14s%n", row[0], t[0], t[1], t[2],
                    mixRow && previous != null ? String.format(Locale.ROOT, "%.2fx", t[0] / previous[0]) : "");
            previous = t;
            if (!((String) row[0]).endsWith("mix")) {
                worst = Math.max(worst, t[1]);
            }
        }
        System.out.printf(Locale.ROOT, "%nworst p99 without mix: %.1f ms (target < 100 ms); %s%n", worst,
                worst < 100 ? "met" : "NOT met");
    }

    /** p50, p99 and max in ms of the whole plan (aggregation included). */
    static double[] time(List<Offer> offers, Recommender r, PlanRequest req, int iterations) {
        for (int i = 0; i < iterations / 2; i++) {
            r.plan(req, MarketCapacity.fromOffers(offers, false, Set.of()));
        }
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long a = System.nanoTime();
            Plan p = r.plan(req, MarketCapacity.fromOffers(offers, false, Set.of()));
            ms[i] = (System.nanoTime() - a) / 1e6;
            if (p.candidates().isEmpty()) {
                throw new IllegalStateException("empty plan");
            }
        }
        Arrays.sort(ms);
        return new double[] {ms[iterations / 2], ms[(int) Math.ceil(iterations * 0.99) - 1], ms[iterations - 1]};
    }
}
