package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.Errors.assertField;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LoadHistoryTest {
    private static final Instant T0 = Instant.parse("2026-01-05T12:00:00Z");
    private static final Duration S10 = Duration.ofSeconds(10);

    private static Instant t(long seconds) {
        return T0.plusSeconds(seconds);
    }

    @Test
    void rateIsArrivalsOverTheTimeCoveredInTheWindow() {
        LoadHistory h = new LoadHistory(100);
        for (int i = 1; i <= 12; i++) {
            h.add(LoadSample.arrivals(t(10 * i), i <= 6 ? 10 : 50, S10)); // 1 req/s, then 5 req/s
        }
        assertThat(h.rate(t(120), Duration.ofSeconds(60))).isCloseTo(5, within(1e-9));
        assertThat(h.rate(t(120), Duration.ofSeconds(120))).isCloseTo(3, within(1e-9));
        assertThat(h.maxRate(t(120), Duration.ofSeconds(120))).isEqualTo(5);
        assertThat(h.coveredSeconds(t(120), Duration.ofSeconds(600))).isEqualTo(120);
    }

    @Test
    void aSampleStraddlingTheWindowStartCountsByItsOverlap() {
        LoadHistory h = new LoadHistory(10);
        h.add(LoadSample.arrivals(t(10), 100, S10)); // 10 req/s
        h.add(LoadSample.arrivals(t(20), 0, S10));
        // Window (5, 20]: 5 s of the first sample (50 arrivals) and 10 s of nothing.
        assertThat(h.rate(t(20), Duration.ofSeconds(15))).isCloseTo(50 / 15.0, within(1e-9));
        // The panic window shorter than one sample reads that sample's rate.
        assertThat(h.rate(t(10), Duration.ofSeconds(6))).isCloseTo(10, within(1e-9));
    }

    @Test
    void aHistoryShorterThanTheWindowReadsAsTheRateOverWhatWasSeen() {
        LoadHistory h = new LoadHistory(10);
        h.add(LoadSample.arrivals(t(10), 40, S10));
        assertThat(h.rate(t(10), Duration.ofSeconds(60))).isCloseTo(4, within(1e-9));
        assertThat(new LoadHistory(3).rate(t(10), Duration.ofSeconds(60))).isZero();
    }

    @Test
    void theRingKeepsTheNewestSamplesButRemembersTheLastArrival() {
        LoadHistory h = new LoadHistory(3);
        h.add(LoadSample.arrivals(t(10), 5, S10));
        for (int i = 2; i <= 6; i++) {
            h.add(LoadSample.arrivals(t(10 * i), 0, S10));
        }
        assertThat(h.size()).isEqualTo(3);
        assertThat(h.samples()).extracting(LoadSample::at).containsExactly(t(40), t(50), t(60));
        assertThat(h.samplesAfter(t(45))).extracting(LoadSample::at).containsExactly(t(50), t(60));
        assertThat(h.samplesAfter(t(60))).isEmpty();
        assertThat(h.lastArrival()).contains(t(10));
        assertThat(h.idleFor(t(60))).isEqualTo(Duration.ofSeconds(50));
    }

    @Test
    void requestsInFlightOrQueuedAreActivityToo() {
        LoadHistory h = new LoadHistory(10);
        h.add(LoadSample.arrivals(t(10), 1, S10));
        h.add(LoadSample.of(t(20), 0, S10, 3, 0)); // a long generation still running
        assertThat(h.idleFor(t(25))).isZero();
        h.add(LoadSample.of(t(30), 0, S10, 0, 0));
        assertThat(h.idleFor(t(35))).isEqualTo(Duration.ofSeconds(15));
        assertThat(h.lastArrival()).contains(t(10));
        assertThat(h.lastActive()).contains(t(20));
    }

    @Test
    void idleTimeOfAnEndpointThatNeverSawARequestCountsFromItsFirstSample() {
        LoadHistory h = new LoadHistory(10);
        assertThat(h.idleFor(t(0))).isZero();
        h.add(LoadSample.arrivals(t(10), 0, S10));
        assertThat(h.idleFor(t(70))).isEqualTo(Duration.ofSeconds(70));
        assertThat(h.firstStart()).contains(t(0));
    }

    @Test
    void concurrencyAndTokenMeansAreTimeWeighted() {
        LoadHistory h = new LoadHistory(10);
        h.add(LoadSample.of(t(10), 10, S10, 4, 0).withTokens(1000));
        h.add(LoadSample.of(t(30), 10, Duration.ofSeconds(20), 1, 6).withTokens(1000));
        assertThat(h.meanInFlight(t(30), Duration.ofSeconds(30))).isCloseTo((4 * 10 + 1 * 20) / 30.0, within(1e-9));
        assertThat(h.meanQueued(t(30), Duration.ofSeconds(30))).isCloseTo(4, within(1e-9));
        assertThat(h.tokenRate(t(30), Duration.ofSeconds(30))).isCloseTo(2000 / 30.0, within(1e-9));
    }

    @Test
    void samplesOutOfOrderAreRefusedSoAReportIsNeverCountedTwice() {
        LoadHistory h = new LoadHistory(10);
        h.add(LoadSample.arrivals(t(10), 1, S10));
        assertField(() -> h.add(LoadSample.arrivals(t(10), 1, S10)), "at");
        assertField(() -> h.add(LoadSample.arrivals(t(5), 1, S10)), "at");
        assertThat(h.size()).isEqualTo(1);
    }

    @Test
    void coveringSizesTheRingForTheSpan() {
        assertThat(LoadHistory.covering(Duration.ofSeconds(60), Duration.ofSeconds(2)).capacity()).isEqualTo(31);
        assertThat(LoadHistory.covering(Duration.ofSeconds(60), Duration.ofSeconds(7)).capacity()).isEqualTo(10);
        assertField(() -> LoadHistory.covering(Duration.ofSeconds(60), Duration.ZERO), "sample_interval");
        assertField(() -> new LoadHistory(0), "capacity");
        assertField(() -> new LoadHistory(1).rate(T0, Duration.ZERO), "window");
    }

    @Test
    void invalidSamplesAreRejectedWithTheFieldNamed() {
        assertField(() -> LoadSample.arrivals(T0, 1, Duration.ZERO), "interval");
        assertField(() -> LoadSample.arrivals(T0, -1, S10), "arrivals");
        assertField(() -> LoadSample.of(T0, 1, S10, -1, 0), "in_flight");
        assertField(() -> LoadSample.of(T0, 1, S10, 0, -1), "queued");
        assertField(() -> LoadSample.arrivals(T0, 1, S10).withTokens(-1), "tokens");
        assertThat(LoadSample.arrivals(T0, 25, S10).rate()).isEqualTo(2.5);
        assertThat(LoadSample.arrivals(T0, 25, S10).start()).isEqualTo(T0.minusSeconds(10));
    }
}
