package dev.flotilla.planner.recommend;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Money;
import dev.flotilla.engine.Deployment;
import dev.flotilla.engine.EngineModel;
import dev.flotilla.engine.KvPrecision;
import dev.flotilla.engine.Load;
import dev.flotilla.engine.MemoryPlan;
import dev.flotilla.engine.ModelShape;
import dev.flotilla.engine.Performance;
import dev.flotilla.engine.WeightPrecision;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import dev.flotilla.planner.mix.Bucket;
import dev.flotilla.planner.mix.GpuOption;
import dev.flotilla.planner.mix.MixOptimizer;
import dev.flotilla.planner.mix.MixProblem;
import dev.flotilla.planner.mix.MixSolution;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Ranks hardware configurations for a workload by cost per million tokens at the SLO. Pure: the
 * market arrives as {@link MarketCapacity} rows, the timings from the {@link EngineModel}.
 *
 * <p>For each GPU model, rental size {@code n} (1, 2, 4, 8) and tensor-parallel size {@code tp}
 * dividing {@code n}, a rental runs {@code n / tp} serving instances. An instance's capacity at
 * the SLO is the highest request rate at which the engine model predicts both the TTFT (at the
 * SLO's percentile) and the time per output token within target (bisection over the rate). Then
 *
 * <pre>
 *   instances  = ceil(rps / capacity_at_slo)
 *   rentals    = ceil(instances / (n / tp))
 *   cost/h     = rentals * cheapest market price of an n-GPU rental of that model
 *   cost/Mtok  = cost/h / (rps * (input + output tokens) * 3600) * 1e6
 * </pre>
 *
 * Cost per million counts prompt and output tokens alike. Every rejected candidate says why: it
 * does not fit, cannot meet the SLO at any load, the market lacks offers or enough of them, or it
 * is over budget.
 */
public final class Recommender {
    private static final int[] SIZES = {1, 2, 4, 8};
    /** Bisection steps for a capacity: 2^-10 (0.1%) of the range for the ranking, 2^-6 for the what-if variants. */
    private static final int FINE = 10;
    private static final int COARSE = 6;
    private static final int MAX_MIX_OPTIONS = 8;

    private final EngineModel engine;
    private final GpuCatalog catalog;
    private final MixOptimizer optimizer;

    public Recommender(EngineModel engine, GpuCatalog catalog, MixOptimizer optimizer) {
        this.engine = requireNonNull(engine, "engine is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.optimizer = requireNonNull(optimizer, "optimizer is null");
    }

    public static Recommender standard() {
        return new Recommender(EngineModel.calibrated(), GpuCatalog.defaultCatalog(), new MixOptimizer());
    }

    public Plan plan(PlanRequest req, List<MarketCapacity> market) {
        Map<String, MarketCapacity> offers = index(market);
        List<Candidate> candidates = candidates(req.model(), req.weights(), req.kv(), req.workload(), req.slo(),
                req.budgetPerHour(), offers, FINE);
        List<Plan.Variant> variants = variants(req, offers);
        Optional<Plan.MixPlan> mix = req.mix() ? Optional.of(mix(req, candidates, offers)) : Optional.empty();
        return new Plan(req.model().id(), req.weights().label(), req.kv().label(), candidates, advice(req, candidates),
                variants, mix);
    }

    private static Map<String, MarketCapacity> index(List<MarketCapacity> market) {
        Map<String, MarketCapacity> out = new HashMap<>();
        for (MarketCapacity m : market) {
            out.merge(key(m.gpuModelId(), m.numGpus()), m, (a, b) -> new MarketCapacity(a.gpuModelId(), a.numGpus(),
                    a.cheapestPerHour().compareTo(b.cheapestPerHour()) <= 0 ? a.cheapestPerHour() : b.cheapestPerHour(),
                    a.available() + b.available()));
        }
        return out;
    }

    private static String key(String gpu, int n) {
        return gpu + "x" + n;
    }

    /** What one serving instance (tp GPUs) can do for a request shape within the SLO. */
    private record Instance(MemoryPlan memory, double maxRps, Optional<String> reason, double idleTtftMs, double idleTpotMs) {
        static Instance rejected(MemoryPlan memory, String reason) {
            return new Instance(memory, 0, Optional.of(reason), Double.NaN, Double.NaN);
        }
    }

    private Instance instance(Deployment d, double in, double out, double cv, Slo slo, int steps) {
        MemoryPlan memory = MemoryPlan.of(d);
        if (!memory.fits()) {
            return Instance.rejected(memory, memory.reason());
        }
        Performance idle = engine.predict(d, new Load(in, out, 0, cv));
        if (!idle.feasible()) {
            return Instance.rejected(memory, idle.reason());
        }
        if (idle.tpotMs() > slo.tpotMs()) {
            return new Instance(memory, 0, Optional.of(String.format(Locale.ROOT,
                    "time per output token is %.1f ms even unloaded; SLO %.0f ms", idle.tpotMs(), slo.tpotMs())),
                    ttft(idle, slo), idle.tpotMs());
        }
        if (ttft(idle, slo) > slo.ttftMs()) {
            return new Instance(memory, 0, Optional.of(String.format(Locale.ROOT,
                    "TTFT (p%d) of a %.0f-token prompt is %.0f ms even unloaded; SLO %.0f ms", slo.percentile(), in,
                    ttft(idle, slo), slo.ttftMs())), ttft(idle, slo), idle.tpotMs());
        }
        double lo = 0;
        double hi = idle.maxRequestsPerSecond();
        for (int i = 0; i < steps; i++) {
            double mid = (lo + hi) / 2;
            Performance p = engine.predict(d, new Load(in, out, mid, cv));
            if (p.feasible() && p.tpotMs() <= slo.tpotMs() && ttft(p, slo) <= slo.ttftMs()) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return new Instance(memory, lo, Optional.empty(), ttft(idle, slo), idle.tpotMs());
    }

    private static double ttft(Performance p, Slo slo) {
        return switch (slo.percentile()) {
            case 50 -> p.ttftMs();
            case 90 -> p.ttftP90Ms();
            default -> p.ttftP99Ms();
        };
    }

    private List<Candidate> candidates(ModelShape model, WeightPrecision weights, KvPrecision kv, Workload w, Slo slo,
            Optional<Money> budget, Map<String, MarketCapacity> offers, int steps) {
        List<Integer> tps = Deployment.validTensorParallel(model);
        // GPU models are independent: evaluate them on all cores (the engine model is pure).
        List<Candidate> out = new ArrayList<>(catalog.all().parallelStream().flatMap(gpu -> {
            Map<Integer, Instance> byTp = new HashMap<>();
            List<Candidate> forGpu = new ArrayList<>();
            for (int n : SIZES) {
                for (int tp : tps) {
                    if (tp > n || n % tp != 0) {
                        continue;
                    }
                    Instance inst = byTp.computeIfAbsent(tp, t -> instance(new Deployment(model, gpu, t, weights, kv),
                            w.meanInputTokens(), w.meanOutputTokens(), w.burstinessCv(), slo, steps));
                    forGpu.add(candidate(model, gpu, n, tp, weights, kv, w, budget, inst, offers.get(key(gpu.id(), n))));
                }
            }
            return forGpu.stream();
        }).toList());
        out.sort(Comparator.comparing((Candidate c) -> !c.accepted())
                .thenComparing(c -> c.costPerMillionTokens().map(Money::micros).orElse(Long.MAX_VALUE))
                .thenComparingInt(Candidate::gpus)
                .thenComparing(c -> rejectionRank(c))
                .thenComparing(Candidate::gpuModelId)
                .thenComparingInt(Candidate::tensorParallel));
        return out;
    }

    /** Rejected candidates that fit come before those that do not: they are nearer to usable. */
    private static int rejectionRank(Candidate c) {
        return c.fits() ? 0 : 1;
    }

    private Candidate candidate(ModelShape model, GpuSpec gpu, int n, int tp, WeightPrecision weights, KvPrecision kv,
            Workload w, Optional<Money> budget, Instance inst, MarketCapacity offer) {
        int perRental = n / tp;
        long kvTokens = inst.memory().fits() ? inst.memory().kvTokens() : 0;
        int available = offer == null ? 0 : offer.available();
        Optional<Money> price = offer == null ? Optional.empty() : Optional.of(offer.cheapestPerHour());
        if (inst.reason().isPresent()) {
            return new Candidate(gpu.marketName(), gpu.id(), n, tp, inst.memory().fits(), kvTokens, inst.idleTtftMs(),
                    inst.idleTpotMs(), 0, 0, 0, available, price, Optional.empty(), Optional.empty(), inst.reason());
        }
        int instances = (int) Math.max(1, Math.ceil(w.requestsPerSecond() / inst.maxRps() - 1e-9));
        int rentals = (instances + perRental - 1) / perRental;
        Performance at = engine.predict(new Deployment(model, gpu, tp, weights, kv),
                new Load(w.meanInputTokens(), w.meanOutputTokens(), w.requestsPerSecond() / instances, w.burstinessCv()));
        double maxRpsPerRental = inst.maxRps() * perRental;
        double throughput = maxRpsPerRental * w.meanOutputTokens();
        Optional<String> reason = Optional.empty();
        Optional<Money> cost = Optional.empty();
        Optional<Money> perMillion = Optional.empty();
        if (offer == null || available == 0) {
            reason = Optional.of("no rentable offers of " + n + "x " + gpu.marketName() + " in the market");
        } else {
            Money c = offer.cheapestPerHour().times(rentals);
            cost = Optional.of(c);
            perMillion = Optional.of(perMillion(c, w.tokensPerSecond()));
            if (rentals > available) {
                reason = Optional.of("needs " + rentals + " rentals of " + n + "x " + gpu.marketName() + "; the market has "
                        + available);
            } else if (budget.isPresent() && c.compareTo(budget.get()) > 0) {
                reason = Optional.of("costs " + c + "/h; budget " + budget.get() + "/h");
            }
        }
        return new Candidate(gpu.marketName(), gpu.id(), n, tp, true, kvTokens, at.ttftMs(), at.tpotMs(), throughput,
                maxRpsPerRental, rentals, available, price, cost, perMillion, reason);
    }

    static Money perMillion(Money perHour, double tokensPerSecond) {
        BigDecimal micros = BigDecimal.valueOf(perHour.micros())
                .multiply(BigDecimal.valueOf(1_000_000L))
                .divide(BigDecimal.valueOf(tokensPerSecond * 3600.0), 0, RoundingMode.HALF_UP);
        return Money.ofMicros(micros.longValueExact());
    }

    /**
     * The best candidate under other precisions: what a compressed KV cache (8 and 3.5 bits per
     * channel) or lower weight precision (fp8, int4) would buy. Capacities here are bisected
     * coarsely (2^-6 of the range): a what-if, not a ranking.
     */
    private List<Plan.Variant> variants(PlanRequest req, Map<String, MarketCapacity> offers) {
        List<Map.Entry<WeightPrecision, KvPrecision>> combos = List.of(
                Map.entry(req.weights(), KvPrecision.BITS_8), Map.entry(req.weights(), KvPrecision.BITS_3_5),
                Map.entry(WeightPrecision.FP8, KvPrecision.BITS_8), Map.entry(WeightPrecision.INT4, KvPrecision.BITS_16),
                Map.entry(WeightPrecision.INT4, KvPrecision.BITS_3_5));
        Set<String> seen = new LinkedHashSet<>();
        seen.add(req.weights().label() + "/" + req.kv().label());
        List<Plan.Variant> out = new ArrayList<>();
        for (Map.Entry<WeightPrecision, KvPrecision> combo : combos) {
            WeightPrecision wp = combo.getKey();
            KvPrecision kv = combo.getValue();
            if (!seen.add(wp.label() + "/" + kv.label())) {
                continue;
            }
            List<Candidate> cs = candidates(req.model(), wp, kv, req.workload(), req.slo(), req.budgetPerHour(), offers,
                    COARSE);
            Optional<Candidate> best = cs.stream().filter(Candidate::accepted).findFirst();
            Optional<Candidate> consumer = cs.stream().filter(Candidate::accepted).filter(Recommender::consumer).findFirst();
            out.add(new Plan.Variant(wp.label(), kv.label(), best, consumer, req.model().weightBytes(wp)));
        }
        return out;
    }

    /** When nothing is accepted: the nearest feasible option, or why there is none. */
    static Optional<String> advice(PlanRequest req, List<Candidate> candidates) {
        if (candidates.stream().anyMatch(Candidate::accepted)) {
            return Optional.empty();
        }
        List<Candidate> fitting = candidates.stream().filter(Candidate::fits).toList();
        if (fitting.isEmpty()) {
            return Optional.of(String.format(Locale.ROOT, "%s in %s (%.0f GB of weights) fits no configuration of up to 8"
                    + " GPUs; int4 weights need %.0f GB", req.model().id(), req.weights().label(),
                    req.model().weightBytes(req.weights()) / 1e9, req.model().weightBytes(WeightPrecision.INT4) / 1e9));
        }
        Optional<Candidate> meetsSlo = fitting.stream().filter(c -> c.costPerHour().isPresent()).findFirst();
        if (meetsSlo.isPresent()) {
            Candidate c = meetsSlo.get();
            return Optional.of("the cheapest configuration that meets the SLO is " + describe(c) + " at "
                    + c.costPerHour().get() + "/h, but " + c.reason().orElse(""));
        }
        Optional<Candidate> fastest = fitting.stream().filter(c -> !Double.isNaN(c.tpotMs()))
                .min(Comparator.comparingDouble(Candidate::tpotMs));
        Optional<Candidate> quickest = fitting.stream().filter(c -> !Double.isNaN(c.ttftMs()))
                .min(Comparator.comparingDouble(Candidate::ttftMs));
        if (fastest.isEmpty() || quickest.isEmpty()) {
            return Optional.of("no configuration can serve this request shape: " + fitting.getFirst().reason().orElse(""));
        }
        return Optional.of(String.format(Locale.ROOT, "no configuration meets the SLO (TTFT %.0f ms at p%d, %.0f ms per"
                        + " token): the lowest time per output token is %.1f ms (%s), the lowest TTFT %.0f ms (%s), both"
                        + " unloaded", req.slo().ttftMs(), req.slo().percentile(), req.slo().tpotMs(), fastest.get().tpotMs(),
                describe(fastest.get()), quickest.get().ttftMs(), describe(quickest.get())));
    }

    static String describe(Candidate c) {
        return c.gpus() + "x " + c.gpu() + (c.tensorParallel() > 1 ? " (tensor parallel " + c.tensorParallel() + ")" : "");
    }

    /** GeForce cards: what a home host rents out. */
    static boolean consumer(Candidate c) {
        return c.gpu().startsWith("RTX") && !c.gpu().startsWith("RTX PRO");
    }

    private Plan.MixPlan mix(PlanRequest req, List<Candidate> candidates, Map<String, MarketCapacity> offers) {
        List<PlanRequest.LoadBucket> buckets = req.effectiveBuckets();
        // The cheapest accepted configuration of each GPU model, cheapest models first.
        Map<String, Candidate> perModel = new LinkedHashMap<>();
        for (Candidate c : candidates) {
            if (c.accepted()) {
                perModel.putIfAbsent(c.gpuModelId(), c);
            }
        }
        // Models that cannot serve the whole workload alone may still serve its short buckets.
        for (Candidate c : candidates) {
            if (c.fits() && c.pricePerHour().isPresent() && c.offersAvailable() > 0 && !perModel.containsKey(c.gpuModelId())
                    && c.gpus() == c.tensorParallel()) {
                perModel.put(c.gpuModelId(), c);
            }
        }
        List<Candidate> options = perModel.values().stream().limit(MAX_MIX_OPTIONS).toList();
        double[][] capacity = new double[buckets.size()][options.size()];
        List<GpuOption> gpuOptions = new ArrayList<>();
        for (int g = 0; g < options.size(); g++) {
            Candidate c = options.get(g);
            GpuSpec gpu = catalog.byId(c.gpuModelId()).orElseThrow();
            for (int b = 0; b < buckets.size(); b++) {
                PlanRequest.LoadBucket bucket = buckets.get(b);
                Instance inst = instance(new Deployment(req.model(), gpu, c.tensorParallel(), req.weights(), req.kv()),
                        bucket.meanInputTokens(), bucket.meanOutputTokens(), req.workload().burstinessCv(), req.slo(), FINE);
                capacity[b][g] = inst.reason().isPresent() ? 0 : inst.maxRps() * (c.gpus() / c.tensorParallel());
            }
            MarketCapacity offer = offers.get(key(c.gpuModelId(), c.gpus()));
            gpuOptions.add(new GpuOption(c.gpuModelId() + "x" + c.gpus() + (c.tensorParallel() > 1 ? "-tp" + c.tensorParallel()
                    : ""), c.gpu(), c.gpus(), offer.cheapestPerHour(), offer.available()));
        }
        List<Bucket> mixBuckets = buckets.stream().map(b -> new Bucket(b.name(), b.requestsPerSecond())).toList();
        if (gpuOptions.isEmpty()) {
            MixSolution none = new MixSolution(false, "no GPU configuration in the market can serve this model at the SLO",
                    Map.of(), new double[buckets.size()][0], Money.ZERO, Optional.empty(), Optional.empty(), 0, 0);
            return new Plan.MixPlan(buckets, List.of(), capacity, none, Optional.empty());
        }
        MixSolution s = optimizer.solve(MixProblem.of(mixBuckets, gpuOptions, capacity));
        double tokensPerSecond = buckets.stream()
                .mapToDouble(b -> b.requestsPerSecond() * (b.meanInputTokens() + b.meanOutputTokens())).sum();
        Optional<Money> perMillion = s.feasible() ? Optional.of(perMillion(s.costPerHour(), tokensPerSecond))
                : Optional.empty();
        return new Plan.MixPlan(buckets, gpuOptions.stream().map(GpuOption::id).toList(), capacity, s, perMillion);
    }
}
