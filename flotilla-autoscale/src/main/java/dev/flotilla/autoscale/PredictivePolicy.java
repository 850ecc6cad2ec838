package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.Fmt.dur;
import static dev.flotilla.autoscale.Fmt.num;
import static java.util.Objects.requireNonNull;

import dev.flotilla.autoscale.Decision.Mode;
import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Scales ahead of predictable load: workers take a lead time to become ready (rental plus cold
 * start, learnt by {@link LeadTimeEstimator}), so it provisions now for the load forecast over
 * {@code [now, now + leadTime]}, and falls back on the reactive rules for whatever the forecast
 * did not see coming.
 *
 * <p><b>Rule.</b> {@code forecastNeed = need(max(upper, min_load))}, with {@code upper} the
 * {@link Forecaster}'s p90 bound on the peak rate over the lead time and {@code need} as in
 * {@link ReactivePolicy}; a forecast expecting fewer than one request over the lead time (at the
 * upper rate) counts as no load, so that a quiet night can still scale to zero. It is bounded by
 * {@code max_scale_up_rate} and clamped like the reactive count. The decision is
 * {@code max(reactive, forecastNeed)}: a surprise beyond the forecast takes the reactive (panic)
 * path at once, and the count goes down only when both the reactive rules (with their scale-down
 * stabilisation and rate) and the forecast agree it should. The reason says which side won.
 *
 * <p><b>Learning.</b> Each call first feeds the forecaster every history sample newer than the
 * last it has seen, so the {@link LoadHistory} is the one input; a caller may also warm the
 * forecaster from stored samples beforehand ({@link Forecaster#observe}). Call at least once per
 * history ring's span, or the forecaster misses the samples that fell out.
 *
 * <p>One instance per endpoint; deterministic; not thread-safe.
 */
public final class PredictivePolicy implements ScalingPolicy {
    private final ReactivePolicy reactive = new ReactivePolicy();
    private final Forecaster forecaster;
    private final Supplier<Duration> leadTime;

    /**
     * @param leadTime asked at every {@link #decide(Instant, LoadHistory, int, double,
     *     ScalingSettings)}, e.g. {@code () -> estimator.leadTime(key)}
     */
    public PredictivePolicy(Forecaster forecaster, Supplier<Duration> leadTime) {
        this.forecaster = requireNonNull(forecaster, "forecaster is null");
        this.leadTime = requireNonNull(leadTime, "leadTime is null");
    }

    /** A policy that always plans with the same lead time. */
    public static PredictivePolicy withFixedLeadTime(Forecaster forecaster, Duration leadTime) {
        requireLeadTime(leadTime);
        return new PredictivePolicy(forecaster, () -> leadTime);
    }

    @Override
    public String name() {
        return "predictive";
    }

    public Forecaster forecaster() {
        return forecaster;
    }

    @Override
    public Decision decide(
            Instant now, LoadHistory history, int currentActive, double perWorkerRps, ScalingSettings s) {
        return decide(now, history, currentActive, perWorkerRps, leadTime.get(), s);
    }

    /** The decision at {@code now}, planning with {@code leadTime}; positive. */
    public Decision decide(
            Instant now, LoadHistory history, int currentActive, double perWorkerRps, Duration leadTime,
            ScalingSettings s) {
        requireLeadTime(leadTime);
        Decision r = reactive.decide(now, history, currentActive, perWorkerRps, s);
        Instant seen = forecaster.lastObserved().orElse(Instant.MIN);
        for (LoadSample sample : history.samplesAfter(seen)) {
            forecaster.observe(sample);
        }

        Forecast f = forecaster.forecast(now, leadTime);
        // Without a daily profile the forecast is the recent level and trend; once the endpoint has
        // been idle past inactivity_timeout that level is stale (it decays by the minute, and a
        // one-minute burst would hold a worker for twenty), so only a seasonal forecast may keep or
        // pre-warm workers for an idle endpoint.
        boolean stale = !forecaster.seasonal() && history.idleFor(now).compareTo(s.inactivityTimeout()) >= 0;
        boolean expectsLoad = !stale && f.upperRequests() >= 1;
        double demand = Math.max(expectsLoad ? f.upper() : 0, s.minLoad());
        int forecastNeed = Capacity.workersFor(demand, perWorkerRps, s.targetUtil());
        int wanted = Math.min(forecastNeed, ReactivePolicy.upBound(currentActive, s));
        int predicted = s.clamp(wanted);

        StringBuilder forecastText = new StringBuilder()
                .append("forecast p90 ").append(num(f.upper())).append(" req/s (mean ").append(num(f.mean()))
                .append(") over the next ").append(dur(leadTime)).append(" lead time");
        if (stale && f.upper() > 0) {
            forecastText.append(", stale after ").append(dur(history.idleFor(now))).append(" idle without a daily profile,");
        } else if (!expectsLoad && f.upper() > 0) {
            forecastText.append(", under one request,");
        }
        if (predicted > r.desiredActive()) {
            String reason = "predictive: " + forecastText + " needs " + forecastNeed
                    + (forecastNeed == 1 ? " worker" : " workers") + ", more than the reactive "
                    + r.desiredActive() + " (" + r.reason() + "); "
                    + ReactivePolicy.change(currentActive, predicted)
                    + (wanted < forecastNeed ? " (max_scale_up_rate " + num(s.maxScaleUpRate()) + ")" : "")
                    + ReactivePolicy.clampNote(wanted, predicted, s);
            return new Decision(now, predicted, ReactivePolicy.coldWorkers(predicted, predicted, s), Mode.PREDICTIVE,
                    reason, r.inputs(), Optional.of(f));
        }
        String reason = r.reason() + "; " + forecastText + " needs " + forecastNeed + ", "
                + (predicted == r.desiredActive() ? "the same" : "reactive wins");
        return new Decision(now, r.desiredActive(), r.desiredCold(), r.mode(), reason, r.inputs(), Optional.of(f));
    }

    private static void requireLeadTime(Duration leadTime) {
        if (leadTime == null || leadTime.isNegative() || leadTime.isZero()) {
            throw FlotillaException.invalid("lead_time", "lead_time must be positive, got " + leadTime);
        }
    }
}
