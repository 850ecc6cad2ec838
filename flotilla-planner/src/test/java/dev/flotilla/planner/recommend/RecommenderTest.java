package dev.flotilla.planner.recommend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.Money;
import dev.flotilla.engine.KvPrecision;
import dev.flotilla.engine.ModelCatalog;
import dev.flotilla.engine.WeightPrecision;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecommenderTest {
    /** Per-GPU hourly prices in the ranges the demo market uses. */
    static final Map<String, Double> PRICE_PER_GPU = Map.ofEntries(
            Map.entry("H200_SXM", 3.2), Map.entry("H100_SXM", 2.4), Map.entry("H100_PCIE", 2.0),
            Map.entry("A100_SXM4_80GB", 1.2), Map.entry("A100_SXM4_40GB", 0.9), Map.entry("L40S", 0.85),
            Map.entry("RTX_PRO_6000", 1.1), Map.entry("RTX_5090", 0.7), Map.entry("RTX_4090", 0.4),
            Map.entry("RTX_3090", 0.22), Map.entry("L4", 0.45), Map.entry("A10G", 0.6), Map.entry("T4", 0.18));

    private final Recommender recommender = Recommender.standard();

    static List<MarketCapacity> market(int available) {
        List<MarketCapacity> out = new ArrayList<>();
        for (GpuSpec g : GpuCatalog.defaultCatalog().all()) {
            for (int n : new int[] {1, 2, 4, 8}) {
                out.add(new MarketCapacity(g.id(), n, Money.ofDollars(PRICE_PER_GPU.get(g.id()) * n), available));
            }
        }
        return out;
    }

    static PlanRequest request(String model, WeightPrecision wp, KvPrecision kv, double in, double out, double rps,
            double ttft, double tpot, boolean mix, Optional<Money> budget) {
        return new PlanRequest(ModelCatalog.defaultCatalog().get(model), wp, kv, new Workload(in, out, rps, 1.0),
                new Slo(ttft, tpot, 90), Set.of(), budget, mix, List.of());
    }

    static PlanRequest chat8b(double rps, boolean mix) {
        return request("Llama-3.1-8B", WeightPrecision.BF16, KvPrecision.BITS_16, 1000, 250, rps, 2000, 60, mix,
                Optional.empty());
    }

    @Test
    void ranksAcceptedCandidatesByCostPerMillionTokensAndEachMeetsTheSlo() {
        Plan p = recommender.plan(chat8b(10, false), market(20));
        List<Candidate> accepted = p.candidates().stream().filter(Candidate::accepted).toList();
        assertThat(accepted).isNotEmpty();
        assertThat(accepted).isSortedAccordingTo(Comparator.comparing(c -> c.costPerMillionTokens().orElseThrow()));
        assertThat(accepted).allSatisfy(c -> {
            assertThat(c.tpotMs()).isLessThanOrEqualTo(60);
            assertThat(c.maxRpsPerRental() * c.rentals()).isGreaterThanOrEqualTo(10 * 0.999);
            assertThat(c.fits()).isTrue();
        });
        // accepted first, rejected after, each rejected with a reason
        int firstRejected = p.candidates().indexOf(p.candidates().stream().filter(c -> !c.accepted()).findFirst().orElseThrow());
        assertThat(p.candidates().subList(0, firstRejected)).allSatisfy(c -> assertThat(c.accepted()).isTrue());
        assertThat(p.advice()).isEmpty();
    }

    @Test
    void costPerMillionTokensFollowsFromPriceRentalsAndTokenRate() {
        Candidate best = recommender.plan(chat8b(10, false), market(20)).candidates().getFirst();
        double tokensPerHour = 10 * (1000 + 250) * 3600.0;
        double expected = best.costPerHour().orElseThrow().toDollarsApprox() / tokensPerHour * 1e6;
        assertThat(best.costPerMillionTokens().orElseThrow().toDollarsApprox()).isCloseTo(expected,
                org.assertj.core.data.Offset.offset(1e-6));
        assertThat(best.costPerHour().orElseThrow()).isEqualTo(best.pricePerHour().orElseThrow().times(best.rentals()));
    }

    @Test
    void aSeventyBillionModelInBf16IsRejectedOnOneConsumerGpuWithTheNumbers() {
        Plan p = recommender.plan(request("Llama-3.1-70B", WeightPrecision.BF16, KvPrecision.BITS_16, 1000, 250, 1, 3000, 80,
                false, Optional.empty()), market(20));
        Candidate oneRtx5090 = p.candidates().stream()
                .filter(c -> c.gpuModelId().equals("RTX_5090") && c.gpus() == 1).findFirst().orElseThrow();
        assertThat(oneRtx5090.fits()).isFalse();
        assertThat(oneRtx5090.reason().orElseThrow()).contains("141 GB").contains("32 GB");
        assertThat(p.candidates().stream().filter(Candidate::accepted).findFirst().orElseThrow().gpus()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void int4WeightsAndACompressedKvCachePutASeventyBillionModelOnConsumerGpus() {
        Plan p = recommender.plan(request("Llama-3.1-70B", WeightPrecision.BF16, KvPrecision.BITS_16, 1000, 250, 1, 3000, 80,
                false, Optional.empty()), market(20));
        Plan.Variant int4 = p.variants().stream().filter(v -> v.weights().equals("int4") && v.kv().equals("3.5-bit"))
                .findFirst().orElseThrow();
        Candidate consumer = int4.cheapestConsumer().orElseThrow();
        assertThat(consumer.gpu()).startsWith("RTX");
        assertThat(consumer.gpus()).isLessThanOrEqualTo(4);
        assertThat(int4.weightBytes()).isLessThan(45_000_000_000L);
    }

    @Test
    void candidatesWithoutOffersOrEnoughOfThemOrOverBudgetSayWhy() {
        List<MarketCapacity> scarce = market(1);
        Plan p = recommender.plan(chat8b(40, false), scarce);
        assertThat(p.candidates()).anySatisfy(c -> assertThat(c.reason().orElse("")).contains("the market has 1"));
        Plan empty = recommender.plan(chat8b(1, false), List.of());
        assertThat(empty.candidates()).noneMatch(Candidate::accepted);
        assertThat(empty.candidates().stream().filter(Candidate::fits))
                .allSatisfy(c -> assertThat(c.reason().orElseThrow()).satisfiesAnyOf(
                        r -> assertThat(r).contains("no rentable offers"), r -> assertThat(r).contains("SLO")));
        assertThat(empty.advice()).isPresent();
        Plan tight = recommender.plan(request("Llama-3.1-8B", WeightPrecision.BF16, KvPrecision.BITS_16, 1000, 250, 10, 2000,
                60, false, Optional.of(Money.ofDollars(0.50))), market(20));
        assertThat(tight.candidates()).noneMatch(Candidate::accepted);
        assertThat(tight.candidates()).anySatisfy(c -> assertThat(c.reason().orElse("")).contains("budget $0.50/h"));
        assertThat(tight.advice().orElseThrow()).contains("cheapest configuration that meets the SLO");
    }

    @Test
    void anImpossibleSloIsExplainedWithTheNearestAchievableLatency() {
        Plan p = recommender.plan(request("Llama-3.1-8B", WeightPrecision.BF16, KvPrecision.BITS_16, 1000, 250, 1, 2000, 1,
                false, Optional.empty()), market(20));
        assertThat(p.candidates()).noneMatch(Candidate::accepted);
        assertThat(p.advice().orElseThrow()).contains("no configuration meets the SLO").contains("lowest time per output token");
    }

    @Test
    void moreLoadNeverLowersTheCostOfTheBestCandidate() {
        Money low = recommender.plan(chat8b(2, false), market(50)).candidates().getFirst().costPerHour().orElseThrow();
        Money high = recommender.plan(chat8b(30, false), market(50)).candidates().getFirst().costPerHour().orElseThrow();
        assertThat(high).isGreaterThan(low);
    }

    @Test
    void theMixIsNoDearerThanTheBestSingleTypeOverTheSameBuckets() {
        Plan p = recommender.plan(chat8b(20, true), market(20));
        Plan.MixPlan mix = p.mix().orElseThrow();
        assertThat(mix.buckets()).extracting(PlanRequest.LoadBucket::name).containsExactly("short", "medium", "long");
        assertThat(mix.buckets().stream().mapToDouble(PlanRequest.LoadBucket::requestsPerSecond).sum())
                .isCloseTo(20, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(mix.solution().feasible()).isTrue();
        assertThat(mix.solution().costPerHour()).isLessThanOrEqualTo(mix.solution().bestSingleCostPerHour().orElseThrow());
        assertThat(mix.options()).hasSizeLessThanOrEqualTo(8);
    }

    @Test
    void badWorkloadsAndSlosAreRejectedNamingTheField() {
        assertThatThrownBy(() -> new Workload(1000, 250, 0, 1)).hasMessageContaining("rps");
        assertThatThrownBy(() -> new Workload(-5, 250, 1, 1)).hasMessageContaining("input_tokens");
        assertThatThrownBy(() -> new Slo(0, 50, 90)).hasMessageContaining("ttft_ms");
        assertThatThrownBy(() -> new Slo(500, 50, 95)).hasMessageContaining("percentile");
    }
}
