package dev.flotilla.server;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock the test moves by hand: metering and reliability are driven by explicit ticks. */
public final class FakeClock implements InstantSource {
    private volatile Instant now;

    public FakeClock(Instant start) {
        this.now = start;
    }

    @Override
    public Instant instant() {
        return now;
    }

    public void advance(Duration d) {
        now = now.plus(d);
    }

    public void set(Instant t) {
        now = t;
    }
}
