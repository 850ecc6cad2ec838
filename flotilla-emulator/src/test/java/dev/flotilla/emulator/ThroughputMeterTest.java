package dev.flotilla.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

class ThroughputMeterTest {
    /** A clock the test moves by hand. */
    private static final class FakeClock implements InstantSource {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    @Test
    void ratesTokensOverTheWindowAndForgetsOlderOnes() {
        FakeClock clock = new FakeClock();
        ThroughputMeter meter = new ThroughputMeter(clock, Duration.ofSeconds(5));
        meter.record(100);
        clock.advance(Duration.ofSeconds(2));
        meter.record(50);
        assertThat(meter.tokensPerSecond()).isEqualTo(30.0);

        clock.advance(Duration.ofSeconds(4));
        assertThat(meter.tokensPerSecond()).isEqualTo(10.0);
        clock.advance(Duration.ofSeconds(2));
        assertThat(meter.tokensPerSecond()).isZero();
    }
}
