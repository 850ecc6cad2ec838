package dev.flotilla.autoscale;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;

/**
 * One endpoint's capacity settings: the knobs users of serverless GPU platforms know, plus the
 * windows and rates of the reactive policy. Field names in errors are the endpoint API's
 * snake_case keys ({@code min_workers}, {@code target_util}, ...). The compact constructor rejects
 * every contradiction with {@link FlotillaException#invalid} naming the field, quoting the value
 * and saying what is accepted; so a {@code ScalingSettings} that exists is usable as is.
 *
 * <p>Load is measured in requests per second and capacity in each worker's benchmarked
 * sustainable requests per second ({@link Capacity}); "needed workers" always means
 * {@code ceil(load / (perWorkerRps * targetUtil))}.
 *
 * @param minWorkers active workers kept whatever the load, so also never scaled to zero when
 *     positive; {@code >= 0}, default 0
 * @param maxWorkers most active workers; {@code >= 1} and {@code >= minWorkers}, default 3
 * @param minLoad requests/s the endpoint is always provisioned for, as if at least this much load
 *     were arriving; a positive value also keeps the endpoint from scaling to zero; finite,
 *     {@code >= 0}, default 0
 * @param targetUtil share of the active workers' capacity the anticipated load may use: active
 *     capacity = anticipated load / targetUtil; in (0, 1], default 0.7
 * @param coldMult multiplier of the needed active workers that are kept loaded, active or cold:
 *     cold = ceil(coldMult * max(needed, 1)) - active, bounded by {@code coldWorkers} and by
 *     {@code maxWorkers - active}; finite, {@code >= 1}, default 2.0
 * @param coldWorkers most cold workers: loaded but stopped, billed for storage only, resuming
 *     faster than a fresh start; {@code >= 0}, default 0 (none)
 * @param inactivityTimeout how long the endpoint must see no request (no arrival, nothing in
 *     flight or queued) before it may scale to zero; {@code >= 0}, default 5 min
 * @param maxQueueTime longest a request may wait for a worker (the admission queue's limit);
 *     queued work estimated to wait longer puts the reactive policy in panic; positive, default
 *     30 s
 * @param targetQueueTime queued work estimated to wait longer than this adds capacity to drain it
 *     within this time; positive and {@code <= maxQueueTime}, default 2 s
 * @param stableWindow the reactive policy's averaging window, also how long panic lasts after its
 *     last trigger and how long a lower need must persist before scaling down; positive, default
 *     60 s
 * @param panicWindow the short window whose rate detects bursts; positive and
 *     {@code <= stableWindow}, default 6 s
 * @param panicThreshold panic when the panic-window rate reaches this multiple of the current
 *     capacity at target utilisation; finite, {@code > 1}, default 2.0
 * @param maxScaleUpRate one decision scales up to at most {@code ceil(max(1, current) * rate)};
 *     finite, {@code > 1}, default 1000
 * @param maxScaleDownRate one decision scales down to no fewer than {@code floor(current / rate)}
 *     (and to zero only by inactivity); finite, {@code > 1}, default 2
 * @param scaleToZeroGrace extra time after {@code inactivityTimeout} before the last worker goes;
 *     {@code >= 0}, default 30 s
 */
public record ScalingSettings(
        int minWorkers,
        int maxWorkers,
        double minLoad,
        double targetUtil,
        double coldMult,
        int coldWorkers,
        Duration inactivityTimeout,
        Duration maxQueueTime,
        Duration targetQueueTime,
        Duration stableWindow,
        Duration panicWindow,
        double panicThreshold,
        double maxScaleUpRate,
        double maxScaleDownRate,
        Duration scaleToZeroGrace) {

    public static final int DEFAULT_MIN_WORKERS = 0;
    public static final int DEFAULT_MAX_WORKERS = 3;
    public static final double DEFAULT_MIN_LOAD = 0;
    public static final double DEFAULT_TARGET_UTIL = 0.7;
    public static final double DEFAULT_COLD_MULT = 2.0;
    public static final int DEFAULT_COLD_WORKERS = 0;
    public static final Duration DEFAULT_INACTIVITY_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_MAX_QUEUE_TIME = Duration.ofSeconds(30);
    public static final Duration DEFAULT_TARGET_QUEUE_TIME = Duration.ofSeconds(2);
    public static final Duration DEFAULT_STABLE_WINDOW = Duration.ofSeconds(60);
    public static final Duration DEFAULT_PANIC_WINDOW = Duration.ofSeconds(6);
    public static final double DEFAULT_PANIC_THRESHOLD = 2.0;
    public static final double DEFAULT_MAX_SCALE_UP_RATE = 1000;
    public static final double DEFAULT_MAX_SCALE_DOWN_RATE = 2;
    public static final Duration DEFAULT_SCALE_TO_ZERO_GRACE = Duration.ofSeconds(30);

    public ScalingSettings {
        if (minWorkers < 0) {
            throw FlotillaException.invalid("min_workers", "min_workers must be >= 0, got " + minWorkers);
        }
        if (maxWorkers < 1) {
            throw FlotillaException.invalid("max_workers", "max_workers must be >= 1, got " + maxWorkers);
        }
        if (minWorkers > maxWorkers) {
            throw FlotillaException.invalid("min_workers",
                    "min_workers (" + minWorkers + ") must not exceed max_workers (" + maxWorkers + ")");
        }
        if (!Double.isFinite(minLoad) || minLoad < 0) {
            throw FlotillaException.invalid("min_load",
                    "min_load must be a finite request rate >= 0 req/s, got " + minLoad);
        }
        if (!(targetUtil > 0 && targetUtil <= 1)) {
            throw FlotillaException.invalid("target_util", "target_util must be in (0, 1], got " + targetUtil);
        }
        if (!Double.isFinite(coldMult) || coldMult < 1) {
            throw FlotillaException.invalid("cold_mult", "cold_mult must be finite and >= 1, got " + coldMult);
        }
        if (coldWorkers < 0) {
            throw FlotillaException.invalid("cold_workers", "cold_workers must be >= 0, got " + coldWorkers);
        }
        requireNonNegative(inactivityTimeout, "inactivity_timeout");
        requirePositive(maxQueueTime, "max_queue_time");
        requirePositive(targetQueueTime, "target_queue_time");
        if (targetQueueTime.compareTo(maxQueueTime) > 0) {
            throw FlotillaException.invalid("target_queue_time", "target_queue_time (" + targetQueueTime
                    + ") must not exceed max_queue_time (" + maxQueueTime + ")");
        }
        requirePositive(stableWindow, "stable_window");
        requirePositive(panicWindow, "panic_window");
        if (panicWindow.compareTo(stableWindow) > 0) {
            throw FlotillaException.invalid("panic_window",
                    "panic_window (" + panicWindow + ") must not exceed stable_window (" + stableWindow + ")");
        }
        requireAboveOne(panicThreshold, "panic_threshold");
        requireAboveOne(maxScaleUpRate, "max_scale_up_rate");
        requireAboveOne(maxScaleDownRate, "max_scale_down_rate");
        requireNonNegative(scaleToZeroGrace, "scale_to_zero_grace");
    }

    /** Every field at its default. */
    public static ScalingSettings defaults() {
        return new ScalingSettings(DEFAULT_MIN_WORKERS, DEFAULT_MAX_WORKERS, DEFAULT_MIN_LOAD, DEFAULT_TARGET_UTIL,
                DEFAULT_COLD_MULT, DEFAULT_COLD_WORKERS, DEFAULT_INACTIVITY_TIMEOUT, DEFAULT_MAX_QUEUE_TIME,
                DEFAULT_TARGET_QUEUE_TIME, DEFAULT_STABLE_WINDOW, DEFAULT_PANIC_WINDOW, DEFAULT_PANIC_THRESHOLD,
                DEFAULT_MAX_SCALE_UP_RATE, DEFAULT_MAX_SCALE_DOWN_RATE, DEFAULT_SCALE_TO_ZERO_GRACE);
    }

    /**
     * Both bounds at once: changing them one at a time can pass through a contradiction (raising
     * min above the old max) that this copy never sees.
     */
    public ScalingSettings withWorkers(int min, int max) {
        return new ScalingSettings(min, max, minLoad, targetUtil, coldMult, coldWorkers, inactivityTimeout,
                maxQueueTime, targetQueueTime, stableWindow, panicWindow, panicThreshold, maxScaleUpRate,
                maxScaleDownRate, scaleToZeroGrace);
    }

    public ScalingSettings withMinWorkers(int min) {
        return withWorkers(min, maxWorkers);
    }

    public ScalingSettings withMaxWorkers(int max) {
        return withWorkers(minWorkers, max);
    }

    public ScalingSettings withMinLoad(double requestsPerSecond) {
        return new ScalingSettings(minWorkers, maxWorkers, requestsPerSecond, targetUtil, coldMult, coldWorkers,
                inactivityTimeout, maxQueueTime, targetQueueTime, stableWindow, panicWindow, panicThreshold,
                maxScaleUpRate, maxScaleDownRate, scaleToZeroGrace);
    }

    public ScalingSettings withTargetUtil(double util) {
        return new ScalingSettings(minWorkers, maxWorkers, minLoad, util, coldMult, coldWorkers, inactivityTimeout,
                maxQueueTime, targetQueueTime, stableWindow, panicWindow, panicThreshold, maxScaleUpRate,
                maxScaleDownRate, scaleToZeroGrace);
    }

    /** Cold-worker reserve: the multiplier and the most cold workers together. */
    public ScalingSettings withCold(double mult, int workers) {
        return new ScalingSettings(minWorkers, maxWorkers, minLoad, targetUtil, mult, workers, inactivityTimeout,
                maxQueueTime, targetQueueTime, stableWindow, panicWindow, panicThreshold, maxScaleUpRate,
                maxScaleDownRate, scaleToZeroGrace);
    }

    public ScalingSettings withColdMult(double mult) {
        return withCold(mult, coldWorkers);
    }

    public ScalingSettings withColdWorkers(int workers) {
        return withCold(coldMult, workers);
    }

    public ScalingSettings withInactivityTimeout(Duration timeout) {
        return new ScalingSettings(minWorkers, maxWorkers, minLoad, targetUtil, coldMult, coldWorkers, timeout,
                maxQueueTime, targetQueueTime, stableWindow, panicWindow, panicThreshold, maxScaleUpRate,
                maxScaleDownRate, scaleToZeroGrace);
    }

    /** Both queue times at once, for the same reason as {@link #withWorkers}. */
    public ScalingSettings withQueueTimes(Duration target, Duration max) {
        return new ScalingSettings(minWorkers, maxWorkers, minLoad, targetUtil, coldMult, coldWorkers,
                inactivityTimeout, max, target, stableWindow, panicWindow, panicThreshold, maxScaleUpRate,
                maxScaleDownRate, scaleToZeroGrace);
    }

    public ScalingSettings withMaxQueueTime(Duration max) {
        return withQueueTimes(targetQueueTime, max);
    }

    public ScalingSettings withTargetQueueTime(Duration target) {
        return withQueueTimes(target, maxQueueTime);
    }

    /** The reactive windows together, for the same reason as {@link #withWorkers}. */
    public ScalingSettings withWindows(Duration stable, Duration panic) {
        return new ScalingSettings(minWorkers, maxWorkers, minLoad, targetUtil, coldMult, coldWorkers,
                inactivityTimeout, maxQueueTime, targetQueueTime, stable, panic, panicThreshold, maxScaleUpRate,
                maxScaleDownRate, scaleToZeroGrace);
    }

    public ScalingSettings withPanicThreshold(double threshold) {
        return new ScalingSettings(minWorkers, maxWorkers, minLoad, targetUtil, coldMult, coldWorkers,
                inactivityTimeout, maxQueueTime, targetQueueTime, stableWindow, panicWindow, threshold,
                maxScaleUpRate, maxScaleDownRate, scaleToZeroGrace);
    }

    /** The per-decision scale-up and scale-down rates together. */
    public ScalingSettings withScaleRates(double up, double down) {
        return new ScalingSettings(minWorkers, maxWorkers, minLoad, targetUtil, coldMult, coldWorkers,
                inactivityTimeout, maxQueueTime, targetQueueTime, stableWindow, panicWindow, panicThreshold, up,
                down, scaleToZeroGrace);
    }

    public ScalingSettings withScaleToZeroGrace(Duration grace) {
        return new ScalingSettings(minWorkers, maxWorkers, minLoad, targetUtil, coldMult, coldWorkers,
                inactivityTimeout, maxQueueTime, targetQueueTime, stableWindow, panicWindow, panicThreshold,
                maxScaleUpRate, maxScaleDownRate, grace);
    }

    /** Whether these settings ever allow zero active workers. */
    public boolean allowsScaleToZero() {
        return minWorkers == 0 && minLoad == 0;
    }

    /** {@code x} brought into [minWorkers, maxWorkers]. */
    public int clamp(int x) {
        return Math.max(minWorkers, Math.min(maxWorkers, x));
    }

    private static void requirePositive(Duration d, String field) {
        requireNonNegative(d, field);
        if (d.isZero()) {
            throw FlotillaException.invalid(field, field + " must be positive, got " + d);
        }
    }

    private static void requireNonNegative(Duration d, String field) {
        if (d == null) {
            throw FlotillaException.invalid(field, field + " is required");
        }
        if (d.isNegative()) {
            throw FlotillaException.invalid(field, field + " must not be negative, got " + d);
        }
    }

    private static void requireAboveOne(double x, String field) {
        if (!Double.isFinite(x) || x <= 1) {
            throw FlotillaException.invalid(field, field + " must be finite and > 1, got " + x);
        }
    }
}
