package dev.flotilla.autoscale;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;

/**
 * Tunables of the {@link Forecaster}. The defaults suit request traces with a daily cycle and
 * provisioning lead times of one to a few minutes.
 *
 * @param step aggregation step of the short-term model, of forecast errors and of the daily
 *     profile (one profile value per step of the day: 1,440 at 1 min); at least 1 s, whole
 *     milliseconds, dividing a day; default 1 min
 * @param profileWindow the forecast at {@code t} reads the profile as its mean over
 *     {@code [t, t + profileWindow)}: per-step noise is damped, and a rise in the profile shows up
 *     to this much early but never late; a multiple of {@code step}; default 5 min
 * @param levelWindow recent time over which the level ratio (recent load over the profile) is
 *     taken; a multiple of {@code step}; default 10 min
 * @param seasonalSmoothing weight of today's rate in a step of the day against the profile, across
 *     days; in (0, 1], default 0.5
 * @param levelSmoothing Holt's level weight (alpha); in (0, 1], default 0.3
 * @param trendSmoothing Holt's trend weight (beta); in (0, 1], default 0.1
 * @param errorWindow how far back forecast errors count for the upper quantile; a multiple of
 *     {@code step}; default 6 h
 * @param errorQuantile quantile of relative errors that gives the upper bound; in (0, 1), default
 *     0.9
 * @param priorHeadroom relative headroom of the upper bound until {@code minErrorSamples} errors
 *     are known; finite, {@code >= 0}, default 0.25
 * @param minErrorSamples errors needed before their quantile replaces the prior; in
 *     [1, errorWindow / step], default 30
 */
public record ForecastSettings(
        Duration step,
        Duration profileWindow,
        Duration levelWindow,
        double seasonalSmoothing,
        double levelSmoothing,
        double trendSmoothing,
        Duration errorWindow,
        double errorQuantile,
        double priorHeadroom,
        int minErrorSamples) {

    static final Duration DAY = Duration.ofDays(1);

    public ForecastSettings {
        if (step == null || step.compareTo(Duration.ofSeconds(1)) < 0 || step.toNanos() % 1_000_000 != 0) {
            throw FlotillaException.invalid("forecast_step",
                    "forecast_step must be at least 1 s in whole milliseconds, got " + step);
        }
        if (DAY.toMillis() % step.toMillis() != 0) {
            throw FlotillaException.invalid("forecast_step",
                    "forecast_step must divide a day evenly (e.g. 30 s, 1 min, 5 min), got " + step);
        }
        requireMultiple(profileWindow, step, "profile_window");
        if (profileWindow.compareTo(DAY) > 0) {
            throw FlotillaException.invalid("profile_window", "profile_window must not exceed a day, got " + profileWindow);
        }
        requireMultiple(levelWindow, step, "level_window");
        requireWeight(seasonalSmoothing, "seasonal_smoothing");
        requireWeight(levelSmoothing, "level_smoothing");
        requireWeight(trendSmoothing, "trend_smoothing");
        requireMultiple(errorWindow, step, "error_window");
        if (!(errorQuantile > 0 && errorQuantile < 1)) {
            throw FlotillaException.invalid("error_quantile", "error_quantile must be in (0, 1), got " + errorQuantile);
        }
        if (!Double.isFinite(priorHeadroom) || priorHeadroom < 0) {
            throw FlotillaException.invalid("prior_headroom",
                    "prior_headroom must be finite and >= 0, got " + priorHeadroom);
        }
        long errorSteps = errorWindow.toMillis() / step.toMillis();
        if (minErrorSamples < 1 || minErrorSamples > errorSteps) {
            throw FlotillaException.invalid("min_error_samples", "min_error_samples must be in [1, " + errorSteps
                    + "] (error_window / forecast_step), got " + minErrorSamples);
        }
        if (errorSteps > 1_000_000) {
            throw FlotillaException.invalid("error_window", "error_window holds at most 1,000,000 steps, got "
                    + errorSteps + " (" + errorWindow + " / " + step + ")");
        }
    }

    public static ForecastSettings defaults() {
        return new ForecastSettings(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(10), 0.5, 0.3,
                0.1, Duration.ofHours(6), 0.9, 0.25, 30);
    }

    public ForecastSettings withProfileWindow(Duration window) {
        return new ForecastSettings(step, window, levelWindow, seasonalSmoothing, levelSmoothing, trendSmoothing,
                errorWindow, errorQuantile, priorHeadroom, minErrorSamples);
    }

    public ForecastSettings withSmoothing(double seasonal, double level, double trend) {
        return new ForecastSettings(step, profileWindow, levelWindow, seasonal, level, trend, errorWindow,
                errorQuantile, priorHeadroom, minErrorSamples);
    }

    public ForecastSettings withErrorQuantile(double quantile) {
        return new ForecastSettings(step, profileWindow, levelWindow, seasonalSmoothing, levelSmoothing,
                trendSmoothing, errorWindow, quantile, priorHeadroom, minErrorSamples);
    }

    int stepsPerDay() {
        return (int) (DAY.toMillis() / step.toMillis());
    }

    /** Steps in the profile's forward window. */
    int profileSteps() {
        return (int) (profileWindow.toMillis() / step.toMillis());
    }

    int levelSteps() {
        return (int) (levelWindow.toMillis() / step.toMillis());
    }

    int errorSteps() {
        return (int) (errorWindow.toMillis() / step.toMillis());
    }

    private static void requireMultiple(Duration d, Duration step, String field) {
        if (d == null || d.compareTo(step) < 0 || d.toNanos() % step.toNanos() != 0) {
            throw FlotillaException.invalid(field,
                    field + " must be a positive multiple of forecast_step (" + step + "), got " + d);
        }
    }

    private static void requireWeight(double w, String field) {
        if (!(w > 0 && w <= 1)) {
            throw FlotillaException.invalid(field, field + " must be in (0, 1], got " + w);
        }
    }
}
