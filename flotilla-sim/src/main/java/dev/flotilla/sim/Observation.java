package dev.flotilla.sim;

import java.time.Duration;

/**
 * What a {@link Scaler} sees at each tick, as the control plane would: arrivals since the last
 * tick, the gateway's in-flight and queued counts, ready and starting workers, and one worker's
 * sustainable requests per second.
 */
public record Observation(long nowMicros, int arrivals, Duration tick, int inFlight, int queued, int ready, int starting,
        double perWorkerRps) {
    /** Arrivals per second over the last tick. */
    public double rate() {
        return arrivals / (tick.toNanos() / 1e9);
    }
}
