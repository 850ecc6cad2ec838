package dev.flotilla.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import dev.flotilla.engine.KvPrecision;
import dev.flotilla.engine.ModelCatalog;
import dev.flotilla.engine.ModelShape;
import dev.flotilla.engine.ModelShapes;
import dev.flotilla.engine.WeightPrecision;
import dev.flotilla.planner.mix.MixSolution;
import dev.flotilla.planner.recommend.Candidate;
import dev.flotilla.planner.recommend.Plan;
import dev.flotilla.planner.recommend.PlanRequest;
import dev.flotilla.planner.recommend.Slo;
import dev.flotilla.planner.recommend.Workload;
import dev.flotilla.server.plan.PlanService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code POST /api/v1/plan}: the request body read into a {@link PlanRequest}, and a {@link Plan}
 * written back with the field names the CLI and scripts use ({@code gpu}, {@code gpus},
 * {@code tensor_parallel}, {@code fits}, {@code kv_tokens}, {@code ttft_ms}, {@code tpot_ms},
 * {@code throughput_tokens_per_s}, {@code cost_per_million_tokens}, {@code reason}, ...).
 */
final class PlanJson {
    private PlanJson() {}

    /** A parsed request: the plan's inputs, which price to plan with, and how many candidates to return. */
    record Parsed(PlanRequest request, PlanService.Capacity capacity, int limit) {}

    static Parsed parse(ObjectMapper mapper, JsonBody b) {
        Optional<String> modelId = b.optString("model");
        Optional<Map<String, Object>> config = b.optObject(mapper, "config");
        Optional<String> name = b.optString("name");
        if (name.isPresent() && config.isEmpty()) {
            throw FlotillaException.invalid("name", "name labels a config; it applies only together with config");
        }
        ModelShape model;
        if (modelId.isPresent() == config.isPresent()) {
            throw FlotillaException.invalid("model", "give exactly one of model (a catalog id such as Llama-3.1-8B; known: "
                    + String.join(", ", ModelCatalog.defaultCatalog().ids()) + ") or config (a Hugging Face config.json object)");
        }
        if (modelId.isPresent()) {
            model = ModelCatalog.defaultCatalog().get(modelId.get());
        } else {
            model = ModelShapes.fromConfig(name.orElse("custom"), config.get());
        }
        WeightPrecision weights = WeightPrecision.parse(b.optString("precision").orElse("bf16"));
        KvPrecision kv = b.optDouble("kv_bits").map(KvPrecision::new).orElse(KvPrecision.BITS_16);
        Workload workload = new Workload(b.doubleValue("input_tokens"), b.doubleValue("output_tokens"), b.doubleValue("rps"),
                b.optDouble("burstiness").orElse(1.0));
        Slo slo = new Slo(b.doubleValue("ttft_ms"), b.doubleValue("tpot_ms"), b.intValue("percentile", 90));
        PlanService.Capacity capacity = switch (b.optString("capacity").orElse("on-demand").toLowerCase(Locale.ROOT)) {
            case "on-demand", "ondemand" -> PlanService.Capacity.ON_DEMAND;
            case "interruptible", "bid" -> PlanService.Capacity.INTERRUPTIBLE;
            default -> throw FlotillaException.invalid("capacity", "capacity must be on-demand or interruptible");
        };
        Set<String> countries = new LinkedHashSet<>();
        for (String c : b.stringList("countries")) {
            if (!c.matches("[A-Za-z]{2}")) {
                throw FlotillaException.invalid("countries", "countries must be two-letter codes such as US, got '" + c + "'");
            }
            countries.add(c.toUpperCase(Locale.ROOT));
        }
        Optional<Money> budget = b.optMoney("budget");
        boolean mix = b.bool("mix", false);
        List<PlanRequest.LoadBucket> buckets = new ArrayList<>();
        for (JsonBody bucket : b.objectList("buckets")) {
            buckets.add(new PlanRequest.LoadBucket(bucket.string("name"), bucket.doubleValue("input_tokens"),
                    bucket.doubleValue("output_tokens"), bucket.doubleValue("rps")));
            bucket.finish();
        }
        int limit = b.intValue("limit", 30);
        if (limit < 1 || limit > 1000) {
            throw FlotillaException.invalid("limit", "limit must be between 1 and 1000, got " + limit);
        }
        b.finish();
        return new Parsed(new PlanRequest(model, weights, kv, workload, slo, countries, budget, mix, buckets), capacity, limit);
    }

    static Map<String, Object> render(Parsed in, Plan p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", p.model());
        m.put("weights", p.weights());
        m.put("kv", p.kv());
        m.put("capacity", in.capacity() == PlanService.Capacity.ON_DEMAND ? "on-demand" : "interruptible");
        Workload w = in.request().workload();
        m.put("workload", Map.of("input_tokens", w.meanInputTokens(), "output_tokens", w.meanOutputTokens(), "rps",
                w.requestsPerSecond(), "burstiness", w.burstinessCv()));
        Slo s = in.request().slo();
        m.put("slo", Map.of("ttft_ms", s.ttftMs(), "tpot_ms", s.tpotMs(), "percentile", s.percentile()));
        m.put("candidates", p.candidates().stream().limit(in.limit()).map(PlanJson::candidate).toList());
        m.put("accepted", p.candidates().stream().filter(Candidate::accepted).count());
        m.put("considered", p.candidates().size());
        m.put("advice", p.advice().orElse(null));
        m.put("variants", p.variants().stream().map(v -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("weights", v.weights());
            x.put("kv", v.kv());
            x.put("weight_gb", Views.round(v.weightBytes() / 1e9, 1));
            x.put("best", v.best().map(PlanJson::candidate).orElse(null));
            x.put("cheapest_consumer", v.cheapestConsumer().map(PlanJson::candidate).orElse(null));
            return x;
        }).toList());
        p.mix().ifPresent(mix -> m.put("mix", mix(mix)));
        return m;
    }

    static Map<String, Object> candidate(Candidate c) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("gpu", c.gpu());
        x.put("gpu_model", c.gpuModelId());
        x.put("gpu_ram", dev.flotilla.market.gpu.GpuCatalog.defaultCatalog().byId(c.gpuModelId()).map(g -> g.memoryGb())
                .orElse(null));
        x.put("gpus", c.gpus());
        x.put("tensor_parallel", c.tensorParallel());
        x.put("fits", c.fits());
        x.put("kv_tokens", c.kvTokens());
        x.put("ttft_ms", Views.finiteOrNull(c.ttftMs(), 1));
        x.put("tpot_ms", Views.finiteOrNull(c.tpotMs(), 2));
        x.put("throughput_tokens_per_s", Views.finiteOrNull(c.throughputTokensPerS(), 1));
        x.put("max_rps_per_rental", Views.finiteOrNull(c.maxRpsPerRental(), 3));
        x.put("rentals", c.rentals());
        x.put("offers_available", c.offersAvailable());
        x.put("price_per_hour", c.pricePerHour().map(Views::dollars).orElse(null));
        x.put("cost_per_hour", c.costPerHour().map(Views::dollars).orElse(null));
        x.put("cost_per_million_tokens", c.costPerMillionTokens().map(Views::dollars).orElse(null));
        x.put("reason", c.reason().orElse(null));
        return x;
    }

    private static Map<String, Object> mix(Plan.MixPlan mix) {
        MixSolution s = mix.solution();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("feasible", s.feasible());
        m.put("reason", s.reason());
        m.put("buckets", mix.buckets().stream().map(b -> Map.of("name", b.name(), "input_tokens", b.meanInputTokens(),
                "output_tokens", b.meanOutputTokens(), "rps", b.requestsPerSecond())).toList());
        m.put("options", mix.options());
        m.put("capacity_rps", java.util.Arrays.stream(mix.capacity()).map(row -> java.util.Arrays.stream(row)
                .mapToObj(v -> Views.round(v, 3)).toList()).toList());
        m.put("instances", s.instances());
        m.put("shares", java.util.Arrays.stream(s.share()).map(row -> java.util.Arrays.stream(row)
                .mapToObj(v -> Views.round(v, 4)).toList()).toList());
        m.put("cost_per_hour", Views.dollars(s.costPerHour()));
        m.put("cost_per_million_tokens", mix.costPerMillionTokens().map(Views::dollars).orElse(null));
        m.put("best_single_option", s.bestSingleOption().orElse(null));
        m.put("best_single_cost_per_hour", s.bestSingleCostPerHour().map(Views::dollars).orElse(null));
        m.put("saving", Views.round(s.savingFraction(), 4));
        m.put("solve_ms", Views.round(s.solveMicros() / 1000.0, 2));
        return m;
    }
}
