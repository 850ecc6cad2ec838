package dev.flotilla.autoscale;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.time.Instant;

/**
 * A {@link Forecaster}'s answer for the load over {@code [from, from + horizon]}.
 *
 * @param from start of the forecast interval
 * @param horizon its length; the predictive policy asks for the provisioning lead time
 * @param mean mean forecast rate over the interval, requests/s
 * @param peak highest point forecast in the interval, requests/s: a decision now must cover the
 *     load until the next decision after its workers are ready, which on a ramp is the interval's
 *     end, not its mean
 * @param upper the p90 (by default) upper bound of {@code peak}: {@code peak * (1 + q)} with
 *     {@code q} the quantile of recent relative forecast errors, never below {@code peak}
 */
public record Forecast(Instant from, Duration horizon, double mean, double peak, double upper) {
    public Forecast {
        requireNonNull(from, "from is null");
        requireNonNull(horizon, "horizon is null");
        if (horizon.isNegative()) {
            throw FlotillaException.invalid("horizon", "a forecast horizon must not be negative, got " + horizon);
        }
        if (!(mean >= 0) || !(peak >= mean) || !(upper >= peak) || !Double.isFinite(upper)) {
            throw FlotillaException.invalid("forecast", "a forecast needs 0 <= mean <= peak <= upper, all finite; got mean "
                    + mean + ", peak " + peak + ", upper " + upper);
        }
    }

    /** Requests expected in the interval at the upper rate. */
    public double upperRequests() {
        return upper * LoadSample.seconds(horizon);
    }
}
