package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;

/**
 * Generated tokens per second over a sliding window of wall time: {@code sum(tokens in the last
 * window) / window}. Thread-safe: the scheduler thread records, HTTP threads read.
 */
public final class ThroughputMeter {
    private final InstantSource clock;
    private final Duration window;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private long inWindow;

    private record Sample(Instant at, int tokens) {}

    public ThroughputMeter(InstantSource clock, Duration window) {
        this.clock = requireNonNull(clock, "clock is null");
        this.window = requireNonNull(window, "window is null");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive; got " + window);
        }
    }

    /** Counts {@code tokens} generated now. */
    public synchronized void record(int tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0; got " + tokens);
        }
        samples.addLast(new Sample(clock.instant(), tokens));
        inWindow += tokens;
        expire();
    }

    /** Tokens per second over the window ending now. */
    public synchronized double tokensPerSecond() {
        expire();
        return inWindow / (window.toNanos() / 1e9);
    }

    /** The window's length. */
    public Duration window() {
        return window;
    }

    private void expire() {
        Instant oldest = clock.instant().minus(window);
        while (!samples.isEmpty() && samples.peekFirst().at().isBefore(oldest)) {
            inWindow -= samples.pollFirst().tokens();
        }
    }
}
