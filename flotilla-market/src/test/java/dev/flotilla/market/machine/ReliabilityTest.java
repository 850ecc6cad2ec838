package dev.flotilla.market.machine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.market.gpu.GpuCatalog;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReliabilityTest {
    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void aNewMachineStartsAtThePriorNotAtPerfect() {
        assertThat(Reliability.score(ReliabilityStats.NEW, T0, TIMEOUT)).isCloseTo(0.95 * 0.95, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void steadyHeartbeatsRaiseReliabilityAndSilenceLowersIt() {
        ReliabilityStats s = ReliabilityStats.NEW;
        Instant t = T0;
        for (int i = 0; i < 10 * 2880; i++) { // ten days of 30 s heartbeats
            s = s.heartbeat(t, TIMEOUT);
            t = t.plusSeconds(30);
        }
        double steady = Reliability.score(s, t, TIMEOUT);
        double afterSilence = Reliability.score(s, t.plus(Duration.ofDays(2)), TIMEOUT);
        assertThat(steady).isGreaterThan(0.85);
        assertThat(afterSilence).isLessThan(steady - 0.1);
    }

    @Test
    void failedStartsLowerReliability() {
        ReliabilityStats ok = new ReliabilityStats(864_000, 864_000, java.util.Optional.empty(), 50, 0);
        ReliabilityStats bad = new ReliabilityStats(864_000, 864_000, java.util.Optional.empty(), 50, 20);
        assertThat(Reliability.score(bad, T0, TIMEOUT)).isLessThan(Reliability.score(ok, T0, TIMEOUT) - 0.15);
    }

    @Test
    void perfScoreRanksH100AboveA100AboveRtx3090AndScalesWithGpus() {
        GpuCatalog c = GpuCatalog.defaultCatalog();
        double a100 = PerfScore.dlperf(c.byId("A100_SXM4_80GB").orElseThrow(), 1);
        double h100 = PerfScore.dlperf(c.byId("H100_SXM").orElseThrow(), 1);
        double rtx3090 = PerfScore.dlperf(c.byId("RTX_3090").orElseThrow(), 1);
        assertThat(a100).isCloseTo(100.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(h100).isGreaterThan(a100);
        assertThat(rtx3090).isLessThan(a100);
        double h100x8 = PerfScore.dlperf(c.byId("H100_SXM").orElseThrow(), 8);
        assertThat(h100x8).isGreaterThan(6 * h100).isLessThan(8 * h100);
    }
}
