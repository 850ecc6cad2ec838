package dev.flotilla.autoscale;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Instant;
import java.util.Optional;

/**
 * What a {@link ScalingPolicy} advises for one endpoint at one instant, with a sentence saying why
 * and the inputs it used, so an operator can check the arithmetic
 * ({@code "panic: 6 s rate 14.2 req/s is 2.4x current capacity 5.9 req/s; scaling 2 -> 5"}).
 *
 * <p><b>Advisory mode is the caller's.</b> A decision is computed the same way whether or not
 * anything acts on it: the control plane stores and shows every decision, and only when the
 * endpoint's policy is not advisory does it also set the endpoint's desired workers. Watching a
 * policy before trusting it is therefore watching exactly what it would have done.
 *
 * @param at when the decision was made
 * @param desiredActive workers that should be serving
 * @param desiredCold workers that should be kept loaded but stopped (see
 *     {@link ScalingSettings#coldMult})
 * @param mode which rule decided
 * @param reason one human sentence with the numbers
 * @param inputs what the policy saw
 * @param forecast the forecast used, if the policy forecasts (a record component so that it is
 *     part of equality; use {@link #of} to build one without a forecast)
 */
public record Decision(
        Instant at, int desiredActive, int desiredCold, Mode mode, String reason, Inputs inputs,
        Optional<Forecast> forecast) {

    /** Which rule decided. */
    public enum Mode {
        /** The stable-window rate, with scale-down held to the highest need of the last window. */
        STABLE,
        /** A burst: the panic-window rate reached the threshold; no scale-down until it passes. */
        PANIC,
        /** Idle past {@code inactivity_timeout} plus the grace period: no active workers. */
        SCALE_TO_ZERO,
        /** Keeping what there is: no samples yet, or idle but still within the grace period. */
        HOLD,
        /** The forecast over the lead time asked for more than the reactive rules. */
        PREDICTIVE
    }

    /**
     * What the policy saw.
     *
     * @param currentActive workers serving when it decided
     * @param stableRate arrival rate over the stable window, requests/s
     * @param panicRate arrival rate over the panic window, requests/s
     * @param queued requests waiting at the latest sample
     * @param perWorkerRps requests/s one worker sustains
     */
    public record Inputs(int currentActive, double stableRate, double panicRate, int queued, double perWorkerRps) {
        public Inputs {
            if (currentActive < 0) {
                throw FlotillaException.invalid("current_active", "current_active must be >= 0, got " + currentActive);
            }
            if (queued < 0) {
                throw FlotillaException.invalid("queued", "queued must be >= 0, got " + queued);
            }
        }

        /** The current workers' capacity at full use, requests/s. */
        public double currentCapacity() {
            return currentActive * perWorkerRps;
        }
    }

    public Decision {
        requireNonNull(at, "at is null");
        requireNonNull(mode, "mode is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(inputs, "inputs is null");
        requireNonNull(forecast, "forecast is null (use Optional.empty())");
        if (desiredActive < 0 || desiredCold < 0) {
            throw new IllegalArgumentException(
                    "desired workers must be >= 0, got active " + desiredActive + ", cold " + desiredCold);
        }
    }

    /** A decision made without a forecast. */
    public static Decision of(Instant at, int desiredActive, int desiredCold, Mode mode, String reason, Inputs inputs) {
        return new Decision(at, desiredActive, desiredCold, mode, reason, inputs, Optional.empty());
    }
}
