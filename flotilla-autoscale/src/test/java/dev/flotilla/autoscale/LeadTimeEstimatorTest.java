package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.Errors.assertField;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LeadTimeEstimatorTest {
    private static final LeadTimeEstimator.Key H100_LLAMA = new LeadTimeEstimator.Key("H100 SXM", "llama-3.1-8b");
    private static final LeadTimeEstimator.Key L4_LLAMA = new LeadTimeEstimator.Key("L4", "llama-3.1-8b");

    @Test
    void usesThePriorUntilAKeyHasFiveSamples() {
        LeadTimeEstimator e = new LeadTimeEstimator();
        assertThat(e.leadTime(H100_LLAMA)).isEqualTo(Duration.ofSeconds(60));
        for (int i = 0; i < 4; i++) {
            e.observe(H100_LLAMA, Duration.ofSeconds(200));
        }
        assertThat(e.leadTime(H100_LLAMA)).isEqualTo(Duration.ofSeconds(60));
        e.observe(H100_LLAMA, Duration.ofSeconds(20));
        assertThat(e.samples(H100_LLAMA)).isEqualTo(5);
        assertThat(e.leadTime(H100_LLAMA)).isEqualTo(Duration.ofSeconds(200)); // p90 of 5 is the largest
    }

    @Test
    void theEstimateIsTheNearestRankP90() {
        LeadTimeEstimator e = new LeadTimeEstimator();
        for (int s = 1; s <= 20; s++) {
            e.observe(H100_LLAMA, Duration.ofSeconds(10L * s)); // 10 .. 200 s
        }
        assertThat(e.leadTime(H100_LLAMA)).isEqualTo(Duration.ofSeconds(180)); // the 18th of 20
    }

    @Test
    void keysAreLearntApart() {
        LeadTimeEstimator e = new LeadTimeEstimator();
        Instant asked = Instant.parse("2026-01-05T08:00:00Z");
        for (int i = 0; i < 5; i++) {
            e.observe(L4_LLAMA, asked, asked.plusSeconds(95));
        }
        assertThat(e.leadTime(L4_LLAMA)).isEqualTo(Duration.ofSeconds(95));
        assertThat(e.leadTime(H100_LLAMA)).isEqualTo(e.prior());
    }

    @Test
    void onlyTheLastWindowOfSamplesCounts() {
        LeadTimeEstimator e = new LeadTimeEstimator(Duration.ofSeconds(60), 2, 3, 0.9);
        e.observe(H100_LLAMA, Duration.ofMinutes(10)); // a slow image pull, long ago
        for (int i = 0; i < 3; i++) {
            e.observe(H100_LLAMA, Duration.ofSeconds(30));
        }
        assertThat(e.samples(H100_LLAMA)).isEqualTo(3);
        assertThat(e.leadTime(H100_LLAMA)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void invalidInputIsRejectedWithTheFieldNamed() {
        LeadTimeEstimator e = new LeadTimeEstimator();
        assertField(() -> e.observe(H100_LLAMA, Duration.ZERO), "start_to_ready");
        assertField(() -> new LeadTimeEstimator.Key(" ", "m"), "gpu_type");
        assertField(() -> new LeadTimeEstimator.Key("L4", ""), "model");
        assertField(() -> new LeadTimeEstimator(Duration.ZERO, 5, 50, 0.9), "lead_time_prior");
        assertField(() -> new LeadTimeEstimator(Duration.ofSeconds(60), 6, 5, 0.9), "lead_time_min_samples");
        assertField(() -> new LeadTimeEstimator(Duration.ofSeconds(60), 5, 50, 0), "lead_time_quantile");
    }
}
