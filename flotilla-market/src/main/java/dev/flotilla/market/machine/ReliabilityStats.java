package dev.flotilla.market.machine;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What reliability is computed from: seconds the machine was seen online (heartbeats arriving
 * within the timeout), seconds observed in all, the last heartbeat, and container starts that
 * succeeded or failed.
 */
public record ReliabilityStats(
        long onlineSeconds, long observedSeconds, Optional<Instant> lastHeartbeat, int okStarts, int failedStarts) {
    public static final ReliabilityStats NEW = new ReliabilityStats(0, 0, Optional.empty(), 0, 0);

    public ReliabilityStats {
        if (onlineSeconds < 0 || observedSeconds < onlineSeconds || okStarts < 0 || failedStarts < 0) {
            throw new IllegalArgumentException("inconsistent reliability stats");
        }
        java.util.Objects.requireNonNull(lastHeartbeat, "lastHeartbeat is null");
    }

    /**
     * Folds in a heartbeat at {@code now}: the gap since the previous one counts as observed, and
     * as online up to {@code timeout} (a longer gap means the machine was away for the rest).
     */
    public ReliabilityStats heartbeat(Instant now, Duration timeout) {
        if (lastHeartbeat.isEmpty()) {
            return new ReliabilityStats(onlineSeconds, observedSeconds, Optional.of(now), okStarts, failedStarts);
        }
        long gap = Math.max(0, Duration.between(lastHeartbeat.get(), now).toSeconds());
        long online = Math.min(gap, timeout.toSeconds());
        return new ReliabilityStats(onlineSeconds + online, observedSeconds + gap, Optional.of(now), okStarts, failedStarts);
    }

    public ReliabilityStats startSucceeded() {
        return new ReliabilityStats(onlineSeconds, observedSeconds, lastHeartbeat, okStarts + 1, failedStarts);
    }

    public ReliabilityStats startFailed() {
        return new ReliabilityStats(onlineSeconds, observedSeconds, lastHeartbeat, okStarts, failedStarts + 1);
    }
}
