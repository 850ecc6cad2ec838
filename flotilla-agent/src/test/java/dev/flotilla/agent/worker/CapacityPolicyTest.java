package dev.flotilla.agent.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The capacity choice on made-up levels: no server, no clock. */
class CapacityPolicyTest {
    private static BenchmarkLevel level(int concurrency, long latencyMs, double rps) {
        return new BenchmarkLevel(concurrency, concurrency * 2, Duration.ofMillis(latencyMs), rps, rps * 32);
    }

    @Test
    void climbsWhileThroughputGrowsAndStopsWhereLatencyPassesTwiceLevelOne() {
        List<BenchmarkLevel> levels = List.of(level(1, 100, 10), level(2, 105, 19), level(4, 120, 33), level(8, 190, 42),
                level(16, 260, 61));

        CapacityPolicy.Choice choice = CapacityPolicy.choose(levels);

        assertThat(choice.level().concurrency()).isEqualTo(8);
        assertThat(choice.stoppedBecause()).contains("at concurrency 16 the mean latency was 2.6x that at 1 (limit 2.0x)");
    }

    @Test
    void stopsWhereTheThroughputGainIsUnderTenPercent() {
        List<BenchmarkLevel> levels = List.of(level(1, 100, 10), level(2, 110, 18), level(4, 150, 19), level(8, 150, 40));

        CapacityPolicy.Choice choice = CapacityPolicy.choose(levels);

        assertThat(choice.level().concurrency()).isEqualTo(2);
        assertThat(choice.stoppedBecause()).contains("at concurrency 4 throughput rose +6% over 2 (needs +10%)");
    }

    @Test
    void exactlyTwiceTheLatencyAndExactlyTenPercentMoreAreStillAccepted() {
        List<BenchmarkLevel> levels = List.of(level(1, 100, 10), level(2, 200, 11));

        assertThat(CapacityPolicy.rejects(levels.get(0), levels.get(0), levels.get(1))).isEmpty();
        assertThat(CapacityPolicy.choose(levels).level().concurrency()).isEqualTo(2);
        assertThat(CapacityPolicy.choose(levels).stoppedBecause()).isEmpty();
    }

    @Test
    void aLevelThatLosesThroughputIsRejectedWithANegativeGain() {
        assertThat(CapacityPolicy.rejects(level(1, 100, 10), level(2, 100, 20), level(4, 120, 15)))
                .contains("at concurrency 4 throughput rose -25% over 2 (needs +10%)");
    }

    @Test
    void oneLevelIsCapacityOne() {
        CapacityPolicy.Choice choice = CapacityPolicy.choose(List.of(level(1, 80, 12)));

        assertThat(choice.level().concurrency()).isEqualTo(1);
        assertThat(choice.stoppedBecause()).isEmpty();
    }

    @Test
    void climbsToTheLastLevelWhenEveryLevelPays() {
        List<BenchmarkLevel> levels = List.of(level(1, 50, 20), level(2, 52, 38), level(4, 55, 72), level(8, 60, 130));

        assertThat(CapacityPolicy.choose(levels).level().concurrency()).isEqualTo(8);
    }

    @Test
    void noLevelsIsRefused() {
        assertThatThrownBy(() -> CapacityPolicy.choose(List.of())).hasMessage("no benchmark level to choose from");
    }
}
