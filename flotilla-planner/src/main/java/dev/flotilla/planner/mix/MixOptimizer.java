package dev.flotilla.planner.mix;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;
import org.ojalgo.optimisation.integer.IntegerStrategy;
import org.ojalgo.type.context.NumberContext;

/**
 * Chooses the cheapest mix of GPU instances that serves every bucket of a workload within its SLO,
 * as a mixed-integer program solved by ojAlgo, in the manner of Mélange (Griggs et al., "Mélange:
 * Cost Efficient Large Language Model Serving by Exploiting GPU Heterogeneity", 2024): buckets of
 * request sizes, a per-GPU capacity for each, and an integer number of instances per GPU type.
 *
 * <p>With {@code rps_b} the demand of bucket {@code b}, {@code cap_bg} the capacity of one
 * instance of option {@code g} for it, {@code a_bg = rps_b / cap_bg} (instances of {@code g} that
 * bucket {@code b} alone would need) and {@code p_g} the price per instance-hour:
 *
 * <pre>{@code
 * variables   x_g  integer in [0, available_g]        instances of option g
 *             y_bg in [0, 1], only where cap_bg > 0   share of bucket b sent to option g
 *             d_g  >= 0, only with a previous mix      |x_g - prev_g|
 * subject to  sum_g y_bg = 1                           every bucket b with rps_b > 0
 *             sum_b a_bg * y_bg <= x_g                 every option g
 *             d_g >= x_g - prev_g,  d_g >= prev_g - x_g
 * minimise    sum_g p_g * x_g * (1 + TIE_BREAK * (g + 1) / G)  +  SWITCHING_COST * sum_g p_g * d_g
 * }</pre>
 *
 * <p><b>Linear capacity sharing.</b> The capacity row says that an instance spending a fraction
 * {@code f_b} of its time on bucket {@code b} meets every SLO while {@code sum_b f_b <= 1}: one
 * instance may serve several buckets in proportion to its capacity for each. This is exact for
 * time-sliced or routed-by-size serving and optimistic where long prefills delay short requests on
 * the same engine; an engine model that knows better should lower the capacities it passes in.
 *
 * <p><b>Stability.</b> With a previous mix, each instance added or removed costs
 * {@link #SWITCHING_COST} (5%) of its hourly price in the objective, so a change must save more than
 * 5% of the hourly price of everything it moves. Among near-equal-cost mixes the current one wins,
 * so a small change in load adds or removes a few instances instead of replacing one GPU type by
 * another that costs nearly the same per request. Shedding an instance that is no longer needed
 * always pays (it saves 100% of its price against a 5% penalty), so stability never keeps one.
 *
 * <p><b>Determinism.</b> The branch and bound runs on one thread, and {@link #TIE_BREAK} (one part in
 * a million of each price) prefers the earlier option in list order among mixes of equal cost, so
 * the same problem gives the same mix (unless the solver hits its time limit, which problems of
 * this size do not come near); the reported cost is the exact price sum, without the tie-break.
 *
 * <p><b>Infeasibility</b> is reported, not thrown: a bucket that no option can serve, a bucket whose
 * demand exceeds what all available instances could serve of it, or buckets that fit one by one but
 * not together (found by the largest fraction of every bucket's demand that the available instances
 * can serve, a linear program).
 *
 * <p><b>Best single type.</b> For each option that serves every bucket, {@code x =
 * ceil(sum_b a_bg)} instances if available; the cheapest is the baseline of {@code savingFraction}.
 *
 * <pre>{@code
 * MixSolution s = new MixOptimizer().solve(MixProblem.of(buckets, options, capacity));
 * // later, with the load measured again:
 * MixSolution next = new MixOptimizer().solve(MixProblem.of(newBuckets, options, capacity).withPrevious(s.instances()));
 * }</pre>
 */
public final class MixOptimizer {
    /** Objective weight of an instance added or removed, as a fraction of its hourly price. */
    public static final double SWITCHING_COST = 0.05;

    /**
     * Relative price preference of option {@code g} over the next, as {@code TIE_BREAK * (g + 1) / G};
     * small enough never to matter beyond a micro-dollar per dollar of cost, large enough to stand
     * above the solver's gap tolerance ({@link #STRATEGY}).
     */
    static final double TIE_BREAK = 1e-6;

    /** Slack on "fits": demand within this relative margin of a capacity is taken to fit it. */
    private static final double FIT_TOLERANCE = 1e-9;

    /**
     * ojAlgo's branch and bound, configured for exact, repeatable answers on small programs:
     *
     * <ul>
     *   <li>one worker thread: several workers race on equal-cost nodes and the mix would vary from
     *       run to run;
     *   <li>a relative gap of 1e-9 instead of 1e-5, so that {@link #TIE_BREAK} and cent-sized
     *       differences in cost are not pruned away;
     *   <li>no Gomory cuts (a cut is kept only with a right-hand side of magnitude 0, that is never):
     *       with cuts, ojAlgo 56.1.1 declared about 2% of small feasible problems infeasible, because a
     *       node solution after a cut missed a variable bound by 1e-11 and the root branch was dropped
     *       (found by {@code MixOptimizerTest}'s comparison with exhaustive search). Our programs have
     *       at most a few dozen integer variables, so plain branching is fast enough.
     * </ul>
     */
    private static final IntegerStrategy STRATEGY = IntegerStrategy.DEFAULT
            .withParallelism(() -> 1)
            .withGapTolerance(NumberContext.of(9, 12))
            .withGMICutConfiguration(new IntegerStrategy.GMICutConfiguration().withFractionality(0.5).withViolation(BigDecimal.ZERO));

    /** Stop with the best mix found after this long; the problem sizes we see solve in milliseconds. */
    private static final long TIME_ABORT_MILLIS = 10_000;

    private final LongSupplier nanoTicker;
    private final IntegerStrategy strategy;

    /** An optimizer that reports solve times from {@link System#nanoTime()}. */
    public MixOptimizer() {
        this(System::nanoTime);
    }

    /**
     * An optimizer that reads solve times from {@code nanoTicker} (nanoseconds, monotonic); a fixed
     * ticker makes whole solutions comparable in tests.
     */
    public MixOptimizer(LongSupplier nanoTicker) {
        this(nanoTicker, STRATEGY);
    }

    /** With another branch-and-bound strategy: for tests of the fallback when the solver is wrong. */
    MixOptimizer(LongSupplier nanoTicker, IntegerStrategy strategy) {
        this.nanoTicker = requireNonNull(nanoTicker, "nanoTicker is null");
        this.strategy = requireNonNull(strategy, "strategy is null");
    }

    /** Solves {@code problem}; never throws for a problem that merely cannot be served. */
    public MixSolution solve(MixProblem problem) {
        requireNonNull(problem, "problem is null");
        long start = nanoTicker.getAsLong();
        Inputs in = new Inputs(problem);

        String unservable = in.unservableBuckets();
        if (!unservable.isEmpty()) {
            return MixSolution.infeasible(unservable, in.nb, in.ng, micros(start));
        }

        Mip mip = new Mip(in, strategy, false);
        Optimisation.Result result = mip.model.minimise();
        if (!result.getState().isFeasible()) {
            double fits = in.largestServableFraction();
            if (fits < 1 - 1e-7) {
                return MixSolution.infeasible(in.jointShortfall(fits), in.nb, in.ng, micros(start));
            }
            // The demand fits, so the solver is wrong: try once more with a looser feasibility check.
            mip = new Mip(in, strategy, true);
            result = mip.model.minimise();
            if (!result.getState().isFeasible()) {
                throw new FlotillaException(ErrorCode.INTERNAL, "the mix solver ended in state " + result.getState()
                        + " although the available offers can serve all the demand; problem: " + problem);
            }
        }

        int[] x = mip.instances(result);
        double[][] share = mip.shares(result, x);
        Map<String, Integer> instances = new LinkedHashMap<>();
        Money total = Money.ZERO;
        for (int g = 0; g < in.ng; g++) {
            if (x[g] > 0) {
                instances.put(in.options.get(g).id(), x[g]);
                total = total.plus(in.options.get(g).pricePerHour().times(x[g]));
            }
        }
        Money cost = total;
        Optional<Integer> single = in.bestSingleOption();
        Optional<String> singleId = single.map(g -> in.options.get(g).id());
        Optional<Money> singleCost = single.map(g -> in.options.get(g).pricePerHour().times(in.singleInstances(g)));
        double saving = singleCost.filter(Money::isPositive).map(c -> 1.0 - (double) cost.micros() / c.micros()).orElse(0.0);
        String reason = result.getState().isOptimal() ? "optimal"
                : "best mix found within " + TIME_ABORT_MILLIS + " ms, not proven optimal (solver state " + result.getState() + ")";
        return new MixSolution(true, reason, instances, share, cost, singleId, singleCost, saving, micros(start));
    }

    private long micros(long startNanos) {
        return Math.max(0, (nanoTicker.getAsLong() - startNanos) / 1_000);
    }

    /** The problem as plain arrays, and the checks that need no solver. */
    private static final class Inputs {
        final List<Bucket> buckets;
        final List<GpuOption> options;
        final int nb;
        final int ng;
        final double[] rps;
        final double[][] cap;
        /** {@code need[b][g] = rps_b / cap_bg}, or +infinity where {@code cap_bg = 0}. */
        final double[][] need;
        final int[] available;
        final double[] price;
        final int[] previous;
        final boolean hasPrevious;

        Inputs(MixProblem p) {
            buckets = p.buckets();
            options = p.options();
            nb = buckets.size();
            ng = options.size();
            rps = buckets.stream().mapToDouble(Bucket::requestsPerSecond).toArray();
            cap = p.capacity();
            need = new double[nb][ng];
            for (int b = 0; b < nb; b++) {
                for (int g = 0; g < ng; g++) {
                    need[b][g] = cap[b][g] > 0 ? rps[b] / cap[b][g] : Double.POSITIVE_INFINITY;
                }
            }
            available = options.stream().mapToInt(GpuOption::available).toArray();
            price = options.stream().mapToDouble(o -> o.pricePerHour().toDollarsApprox()).toArray();
            previous = options.stream().mapToInt(o -> p.previous().getOrDefault(o.id(), 0)).toArray();
            hasPrevious = !p.previous().isEmpty();
        }

        /** Whether option {@code g} can take any of bucket {@code b}: it has instances and capacity for it. */
        boolean canServe(int b, int g) {
            // A capacity so small that the need overflows is no capacity at all.
            return rps[b] > 0 && cap[b][g] > 0 && available[g] > 0 && Double.isFinite(need[b][g]);
        }

        /** Buckets that no option, or not all available instances together, can serve; "" if none. */
        String unservableBuckets() {
            List<String> faults = new ArrayList<>();
            for (int b = 0; b < nb; b++) {
                if (rps[b] == 0) {
                    continue;
                }
                double servable = 0;
                boolean anyCapable = false;
                for (int g = 0; g < ng; g++) {
                    anyCapable |= cap[b][g] > 0;
                    servable += available[g] * cap[b][g];
                }
                String name = buckets.get(b).name();
                if (!anyCapable) {
                    faults.add("bucket " + name + " needs " + rate(rps[b]) + " req/s but no option can serve it within its SLO"
                            + " (its capacity is 0 on every option)");
                } else if (rps[b] > servable * (1 + FIT_TOLERANCE)) {
                    faults.add("bucket " + name + " needs " + rate(rps[b]) + " req/s; the available offers can serve " + rate(servable)
                            + " req/s");
                }
            }
            return String.join("; ", faults);
        }

        /**
         * The largest {@code t <= 1} such that {@code t} times every bucket's demand fits the
         * available instances (a linear program: integrality does not matter when every option may
         * be used up to its integer availability).
         */
        double largestServableFraction() {
            ExpressionsBasedModel lp = new ExpressionsBasedModel();
            Variable t = lp.addVariable("t").lower(0).upper(1).weight(1);
            Expression[] load = new Expression[ng];
            for (int g = 0; g < ng; g++) {
                load[g] = lp.addExpression("load_" + g).upper(available[g]);
            }
            for (int b = 0; b < nb; b++) {
                if (rps[b] == 0) {
                    continue;
                }
                Expression served = lp.addExpression("served_" + b).level(0).set(t, -1);
                for (int g = 0; g < ng; g++) {
                    if (canServe(b, g)) {
                        Variable w = lp.addVariable("w_" + b + "_" + g).lower(0);
                        served.set(w, 1);
                        load[g].set(w, need[b][g]);
                    }
                }
            }
            Optimisation.Result r = lp.maximise();
            return r.getState().isFeasible() ? r.doubleValue(lp.indexOf(t)) : 0;
        }

        String jointShortfall(double fits) {
            List<String> demand = new ArrayList<>();
            for (int b = 0; b < nb; b++) {
                if (rps[b] > 0) {
                    demand.add(buckets.get(b).name() + " " + rate(rps[b]) + " req/s");
                }
            }
            return "the buckets fit the available offers one by one but not together: they need " + String.join(", ", demand)
                    + "; the available offers can serve at most " + String.format(Locale.ROOT, "%.1f", 100 * Math.floor(fits * 1000) / 1000)
                    + "% of that";
        }

        /** Instances of option {@code g} alone that serve every bucket: {@code ceil(sum_b rps_b / cap_bg)}. */
        int singleInstances(int g) {
            double sum = 0;
            for (int b = 0; b < nb; b++) {
                if (rps[b] > 0) {
                    sum += need[b][g];
                }
            }
            return sum == Double.POSITIVE_INFINITY || sum > Integer.MAX_VALUE ? Integer.MAX_VALUE : ceilWithin(sum);
        }

        /** The cheapest option that serves every bucket alone within its availability; earliest on ties. */
        Optional<Integer> bestSingleOption() {
            int best = -1;
            Money bestCost = null;
            for (int g = 0; g < ng; g++) {
                int n = singleInstances(g);
                if (n > available[g]) {
                    continue;
                }
                Money c = options.get(g).pricePerHour().times(n);
                if (bestCost == null || c.compareTo(bestCost) < 0) {
                    best = g;
                    bestCost = c;
                }
            }
            return best < 0 ? Optional.empty() : Optional.of(best);
        }
    }

    /** The integer program of the class comment, built once per solve. */
    private static final class Mip {
        final Inputs in;
        final ExpressionsBasedModel model;
        final Variable[] x;
        final Variable[][] y;

        Mip(Inputs in, IntegerStrategy strategy, boolean tolerant) {
            this.in = in;
            Optimisation.Options options = new Optimisation.Options();
            options.integer(strategy);
            if (tolerant) {
                // Accept node solutions within 1e-6 of a bound rather than 1e-8: the slack our own check allows.
                options.feasibility = NumberContext.of(8, 6);
            }
            options.time_abort = TIME_ABORT_MILLIS;
            options.time_suffice = TIME_ABORT_MILLIS;
            model = new ExpressionsBasedModel(options);

            x = new Variable[in.ng];
            Expression[] load = new Expression[in.ng];
            for (int g = 0; g < in.ng; g++) {
                double tieBreak = 1 + TIE_BREAK * (g + 1) / in.ng;
                x[g] = model.addVariable("x_" + g).integer(true).lower(0).upper(in.available[g]).weight(in.price[g] * tieBreak);
                load[g] = model.addExpression("load_" + g).upper(0).set(x[g], -1);
            }
            y = new Variable[in.nb][in.ng];
            for (int b = 0; b < in.nb; b++) {
                if (in.rps[b] == 0) {
                    continue;
                }
                Expression served = model.addExpression("served_" + b).level(1);
                for (int g = 0; g < in.ng; g++) {
                    if (in.canServe(b, g)) {
                        // A share above available/need could never fit: a tighter bound the relaxation gets for free.
                        double upper = Math.min(1, in.available[g] / in.need[b][g]);
                        y[b][g] = model.addVariable("y_" + b + "_" + g).lower(0).upper(upper);
                        served.set(y[b][g], 1);
                        load[g].set(y[b][g], in.need[b][g]);
                    }
                }
            }
            if (in.hasPrevious) {
                for (int g = 0; g < in.ng; g++) {
                    Variable d = model.addVariable("d_" + g).lower(0).weight(SWITCHING_COST * in.price[g]);
                    model.addExpression("above_" + g).lower(-in.previous[g]).set(d, 1).set(x[g], -1);
                    model.addExpression("below_" + g).lower(in.previous[g]).set(d, 1).set(x[g], 1);
                }
            }
        }

        int[] instances(Optimisation.Result r) {
            int[] n = new int[in.ng];
            for (int g = 0; g < in.ng; g++) {
                double v = r.doubleValue(model.indexOf(x[g]));
                n[g] = (int) Math.round(v);
                if (Math.abs(v - n[g]) > 1e-6) {
                    throw new FlotillaException(ErrorCode.INTERNAL, "the mix solver returned " + v + " instances of option "
                            + in.options.get(g).id() + ", not an integer");
                }
            }
            return n;
        }

        /**
         * The shares of the solution, cleaned of solver noise (values under 1e-9 dropped, rows
         * renormalised to 1), and checked against the capacity constraints of {@code x}.
         */
        double[][] shares(Optimisation.Result r, int[] x) {
            double[][] share = new double[in.nb][in.ng];
            double[] load = new double[in.ng];
            for (int b = 0; b < in.nb; b++) {
                double sum = 0;
                for (int g = 0; g < in.ng; g++) {
                    if (y[b][g] != null) {
                        double v = r.doubleValue(model.indexOf(y[b][g]));
                        share[b][g] = v < 1e-9 ? 0 : Math.min(1, v);
                        sum += share[b][g];
                    }
                }
                for (int g = 0; g < in.ng && sum > 0; g++) {
                    share[b][g] /= sum;
                    load[g] += share[b][g] * in.need[b][g];
                }
            }
            for (int g = 0; g < in.ng; g++) {
                if (load[g] > x[g] + 1e-6) {
                    throw new FlotillaException(ErrorCode.INTERNAL, "the mix solver loaded option " + in.options.get(g).id() + " with "
                            + load[g] + " instances of work on " + x[g] + " instances");
                }
            }
            return share;
        }
    }

    /** {@code ceil(v)}, except that a value within the fit tolerance above an integer is that integer. */
    static int ceilWithin(double v) {
        return (int) Math.max(0, Math.ceil(v - FIT_TOLERANCE * Math.max(1, v)));
    }

    /** A rate for a message: up to 3 decimals, at least 1 ({@code 12.0}, {@code 7.5}, {@code 0.045}). */
    static String rate(double v) {
        BigDecimal d = BigDecimal.valueOf(v).setScale(3, RoundingMode.HALF_UP).stripTrailingZeros();
        return (d.scale() < 1 ? d.setScale(1, RoundingMode.UNNECESSARY) : d).toPlainString();
    }
}
