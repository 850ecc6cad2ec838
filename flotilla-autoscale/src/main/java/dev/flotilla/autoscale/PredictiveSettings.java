package dev.flotilla.autoscale;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;

/**
 * Tunables of the {@link PredictivePolicy} beyond the endpoint's {@link ScalingSettings} (which
 * both policies share, and which the endpoint API exposes). The defaults keep the policy as first
 * written (the forecast only adds workers to the reactive decision, its p90 headroom on top of
 * {@code target_util}): in the simulator, on the Azure, Mooncake, ServeGen and GenTD traces with
 * the same values for all, each alternative below saved GPU-hours only by losing about as much
 * TTFT attainment as the reactive policy loses for the same saving, or (early zero) lost
 * attainment outright; the measurements are in docs/autoscaling-plan.md. They stay as switches
 * for endpoints that prefer the other side of the trade.
 *
 * @param earlyZero whether the policy may scale an idle endpoint to zero before
 *     {@code inactivity_timeout} when the forecast expects less than one request over the lead
 *     time; default false
 * @param earlyZeroIdle how long the endpoint must have been idle (no arrival, nothing in flight or
 *     queued) before such an early scale-to-zero; {@code >= 0}, default 1 min: a quiet minute
 *     with a quiet forecast, so that a pause inside a burst does not release the workers
 * @param followForecastDown whether the forecast may take the fleet below the reactive policy's
 *     held scale-down (its stabilisation window), never below what the current load needs;
 *     default false. Off, the predictive policy only ever adds workers to the reactive decision.
 * @param stackHeadroom whether the forecast's p90 error headroom applies to the whole forecast
 *     ({@code need(upper)} at {@code target_util}); default true. Off, it applies only to the rise
 *     the forecast expects over the current stable rate, and the steady part relies on
 *     {@code target_util}'s slack alone
 */
public record PredictiveSettings(boolean earlyZero, Duration earlyZeroIdle, boolean followForecastDown,
        boolean stackHeadroom) {
    public static final Duration DEFAULT_EARLY_ZERO_IDLE = Duration.ofMinutes(1);

    public PredictiveSettings {
        if (earlyZeroIdle == null || earlyZeroIdle.isNegative()) {
            throw FlotillaException.invalid("early_zero_idle", "early_zero_idle must be >= 0, got " + earlyZeroIdle);
        }
    }

    /** The policy as first written: the forecast, with its headroom, only adds to the reactive decision. */
    public static PredictiveSettings defaults() {
        return new PredictiveSettings(false, DEFAULT_EARLY_ZERO_IDLE, false, true);
    }

    /** Every switch towards fewer workers on: early zero, following the forecast down, headroom on rises only. */
    public static PredictiveSettings lean() {
        return new PredictiveSettings(true, DEFAULT_EARLY_ZERO_IDLE, true, false);
    }
}
