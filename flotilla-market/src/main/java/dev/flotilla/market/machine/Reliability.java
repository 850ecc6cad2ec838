package dev.flotilla.market.machine;

import java.time.Duration;
import java.time.Instant;

/**
 * The reliability score of a machine in [0, 1]: its uptime times its start success rate, each
 * smoothed with a prior so that a new machine is neither perfect nor worthless.
 *
 * <pre>
 *   uptime  = (online + 0.95 * P) / (observed + P)          P = one day of prior observation
 *   starts  = (ok + 19) / (ok + failed + 20)                 a prior of 19 in 20 starts succeeding
 *   score   = uptime * starts
 * </pre>
 *
 * Time since the last heartbeat beyond the timeout counts as observed and offline, so a machine
 * that goes silent loses reliability without anyone having to notice it.
 */
public final class Reliability {
    static final double PRIOR_SECONDS = 86_400;
    static final double PRIOR_UPTIME = 0.95;

    private Reliability() {}

    public static double score(ReliabilityStats s, Instant now, Duration heartbeatTimeout) {
        double observed = s.observedSeconds();
        double online = s.onlineSeconds();
        if (s.lastHeartbeat().isPresent()) {
            long silent = Duration.between(s.lastHeartbeat().get(), now).toSeconds();
            if (silent > heartbeatTimeout.toSeconds()) {
                observed += silent;
                online += heartbeatTimeout.toSeconds();
            }
        }
        double uptime = (online + PRIOR_UPTIME * PRIOR_SECONDS) / (observed + PRIOR_SECONDS);
        double starts = (s.okStarts() + 19.0) / (s.okStarts() + s.failedStarts() + 20.0);
        return Math.max(0, Math.min(1, uptime * starts));
    }
}
