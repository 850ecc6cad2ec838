package dev.flotilla.routing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when a test ticks it. */
final class FakeClock implements InstantSource {
    private Instant now;

    FakeClock() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    FakeClock(Instant start) {
        this.now = start;
    }

    @Override
    public Instant instant() {
        return now;
    }

    FakeClock tick(Duration d) {
        now = now.plus(d);
        return this;
    }

    FakeClock tickMillis(long millis) {
        return tick(Duration.ofMillis(millis));
    }
}
