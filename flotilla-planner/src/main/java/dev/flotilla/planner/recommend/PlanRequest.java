package dev.flotilla.planner.recommend;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import dev.flotilla.engine.KvPrecision;
import dev.flotilla.engine.ModelShape;
import dev.flotilla.engine.WeightPrecision;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a plan depends on besides the market: the model and its precisions, the workload,
 * the SLO, which countries are acceptable (empty: any), a budget cap, and whether to solve the
 * heterogeneous mix over request-size buckets (explicit, or a default split of the workload).
 */
public record PlanRequest(
        ModelShape model,
        WeightPrecision weights,
        KvPrecision kv,
        Workload workload,
        Slo slo,
        Set<String> countries,
        Optional<Money> budgetPerHour,
        boolean mix,
        List<LoadBucket> buckets) {

    /** A class of requests for the mix: its share of the traffic and its token lengths. */
    public record LoadBucket(String name, double meanInputTokens, double meanOutputTokens, double requestsPerSecond) {
        public LoadBucket {
            requireNonNull(name, "name is null");
            Workload.positive("buckets." + name + ".input_tokens", meanInputTokens);
            Workload.positive("buckets." + name + ".output_tokens", meanOutputTokens);
            Workload.positive("buckets." + name + ".rps", requestsPerSecond);
        }
    }

    public PlanRequest {
        requireNonNull(model, "model is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(kv, "kv is null");
        requireNonNull(workload, "workload is null");
        requireNonNull(slo, "slo is null");
        countries = Set.copyOf(countries);
        requireNonNull(budgetPerHour, "budgetPerHour is null");
        buckets = List.copyOf(buckets);
        budgetPerHour.ifPresent(b -> {
            if (!b.isPositive()) {
                throw FlotillaException.invalid("budget", "budget must be a positive $/h, got " + b);
            }
        });
        if (buckets.size() > 12) {
            throw FlotillaException.invalid("buckets", "at most 12 buckets, got " + buckets.size());
        }
    }

    /**
     * The buckets the mix is solved over: the explicit ones, or the workload split by prompt
     * length as chat traffic typically is (heavy-tailed): 40% of requests at 0.3x the mean prompt,
     * 45% at 1x, 15% at 2.87x, which keeps the overall mean prompt length unchanged.
     */
    public List<LoadBucket> effectiveBuckets() {
        if (!buckets.isEmpty()) {
            return buckets;
        }
        double in = workload.meanInputTokens();
        double out = workload.meanOutputTokens();
        double rps = workload.requestsPerSecond();
        return List.of(
                new LoadBucket("short", Math.max(1, Math.round(in * 0.3)), out, rps * 0.40),
                new LoadBucket("medium", Math.max(1, Math.round(in)), out, rps * 0.45),
                new LoadBucket("long", Math.max(1, Math.round(in * 2.87)), out, rps * 0.15));
    }
}
