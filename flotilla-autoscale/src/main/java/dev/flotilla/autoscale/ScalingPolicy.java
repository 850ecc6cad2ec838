package dev.flotilla.autoscale;

import java.time.Instant;

/**
 * A scaling policy for one endpoint: given the load so far, the active workers and their
 * capacity, how many workers it should have. One instance per endpoint (policies keep short state
 * such as the end of a panic); every call passes the current instant, so production drives it with
 * wall time and the simulator with virtual time.
 *
 * <p>A {@link Decision} is advice: whether to act on it is the caller's choice (advisory mode).
 */
public interface ScalingPolicy {
    /** Short name for settings and reports, e.g. {@code reactive}. */
    String name();

    /**
     * The decision at {@code now}.
     *
     * @param history the endpoint's recent load, up to {@code now}
     * @param currentActive workers serving now (ready); starting workers are not capacity yet
     * @param perWorkerRps sustainable requests/s of one worker (see {@link Capacity}); when no
     *     worker runs, the last measured value or an estimate for the endpoint's model and GPU
     */
    Decision decide(Instant now, LoadHistory history, int currentActive, double perWorkerRps, ScalingSettings settings);
}
