package dev.flotilla.server.endpoint;

import dev.flotilla.autoscale.ScalingSettings;
import dev.flotilla.store.EndpointRepo;
import java.time.Duration;

/**
 * An endpoint's columns as the scaling policies read them ({@link ScalingSettings}). The windows,
 * panic threshold and scale rates are not per-endpoint settings yet: they keep the policies'
 * documented defaults.
 */
public final class EndpointScaling {
    private EndpointScaling() {}

    public static ScalingSettings settings(EndpointRepo.Row e) {
        return settings(e.minWorkers(), e.maxWorkers(), e.coldWorkers(), e.maxQueueMs(), e.inactivityTimeoutS(),
                e.scaling());
    }

    /**
     * Builds the settings, which rejects contradictions naming the field. A {@code max_queue_ms} of
     * 0 (answer at once when no slot is free) counts as 1 ms, as the gateway treats it.
     */
    static ScalingSettings settings(int minWorkers, int maxWorkers, int coldWorkers, long maxQueueMs,
            long inactivityTimeoutS, EndpointRepo.Scaling s) {
        Duration maxQueue = Duration.ofMillis(Math.max(1, maxQueueMs));
        Duration targetQueue = Duration.ofMillis(s.targetQueueMs());
        if (targetQueue.compareTo(maxQueue) > 0) {
            throw dev.flotilla.core.FlotillaException.invalid("target_queue_ms", "target_queue_ms (" + s.targetQueueMs()
                    + ") must not exceed max_queue_ms (" + maxQueueMs + ")");
        }
        return ScalingSettings.defaults()
                .withWorkers(minWorkers, maxWorkers)
                .withMinLoad(s.minLoad())
                .withTargetUtil(s.targetUtil())
                .withCold(s.coldMult(), coldWorkers)
                .withInactivityTimeout(Duration.ofSeconds(inactivityTimeoutS))
                .withQueueTimes(targetQueue, maxQueue);
    }
}
