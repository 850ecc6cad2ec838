package dev.flotilla.planner.recommend;

import dev.flotilla.core.Money;
import dev.flotilla.planner.mix.MixSolution;
import java.util.List;
import java.util.Optional;

/**
 * The planner's answer: candidates best first (those that meet the SLO, by cost per million
 * tokens; then the rejected ones, each with its reason), advice when none is accepted (the nearest
 * feasible option), what other precisions would change, and the heterogeneous mix when asked for.
 */
public record Plan(
        String model,
        String weights,
        String kv,
        List<Candidate> candidates,
        Optional<String> advice,
        List<Variant> variants,
        Optional<MixPlan> mix) {
    public Plan {
        candidates = List.copyOf(candidates);
        variants = List.copyOf(variants);
    }

    /** The best candidate under another weight and KV precision, to show what a change buys. */
    public record Variant(String weights, String kv, Optional<Candidate> best, Optional<Candidate> cheapestConsumer,
            long weightBytes) {}

    /** The mix over request-size buckets, with the per-bucket capacities it was solved with. */
    public record MixPlan(List<PlanRequest.LoadBucket> buckets, List<String> options, double[][] capacity,
            MixSolution solution, Optional<Money> costPerMillionTokens) {}
}
