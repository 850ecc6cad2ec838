package dev.flotilla.traces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceStatsTest {
    @Test
    void peakToMeanCountsMinutesFromTheFirstArrivalIncludingIdleOnes() {
        List<TraceRequest> rs = new ArrayList<>();
        long start = 30_000_000; // bins start here, not at the trace origin
        for (int i = 0; i < 6; i++) {
            rs.add(TraceRequest.of(start + i * 1_000_000L, 100, 10)); // 6 in minute 0
        }
        rs.add(TraceRequest.of(start + 150_000_000L, 300, 30)); // minute 2; minute 1 idle
        TraceStats s = TraceStats.of(rs);
        assertThat(s.requests()).isEqualTo(7);
        assertThat(s.span()).isEqualTo(Duration.ofSeconds(150));
        assertThat(s.meanRatePerSecond()).isCloseTo(7 / 150.0, within(1e-12));
        assertThat(s.peakToMeanPerMinute()).isCloseTo(6 / (7 / 3.0), within(1e-12));
        assertThat(s.meanInputTokens()).isCloseTo(900 / 7.0, within(1e-12));
        assertThat(s.meanOutputTokens()).isCloseTo(90 / 7.0, within(1e-12));
    }

    @Test
    void emptyAndSingleRequestTracesHaveNoRate() {
        assertThat(TraceStats.of(List.of()).requests()).isZero();
        TraceStats one = TraceStats.of(List.of(TraceRequest.of(5, 1, 1)));
        assertThat(one.meanRatePerSecond()).isZero();
        assertThat(one.peakToMeanPerMinute()).isEqualTo(1.0);
    }
}
