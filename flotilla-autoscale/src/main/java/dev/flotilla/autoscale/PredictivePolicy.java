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
 * <p><b>Backlog.</b> The reactive floor drains queued requests over the lead time rather than
 * {@code target_queue_time}: workers asked for now serve nothing sooner, and sizing for a 2-s drain
 * rented up to 20 times the workers a backlog needs on every scale from zero (measured in the
 * simulator; docs/autoscaling-plan.md).
 *
 * <p><b>Switches.</b> {@link PredictiveSettings} can let the forecast take the fleet below the
 * reactive stabilisation, apply the forecast headroom only to expected rises, and scale an idle
 * endpoint to zero early when the forecast expects nothing; each saved GPU-hours in the simulator
 * only by losing SLO attainment, so all are off by default.
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
    private final PredictiveSettings cfg;
    /** Set while the endpoint is idle past inactivity_timeout; then, once it wakes, the stale forecast's end. */
    private boolean idleStale;
    private Instant staleUntil = Instant.MIN;

    /**
     * @param leadTime asked at every {@link #decide(Instant, LoadHistory, int, double,
     *     ScalingSettings)}, e.g. {@code () -> estimator.leadTime(key)}
     */
    public PredictivePolicy(Forecaster forecaster, Supplier<Duration> leadTime) {
        this(forecaster, leadTime, PredictiveSettings.defaults());
    }

    public PredictivePolicy(Forecaster forecaster, Supplier<Duration> leadTime, PredictiveSettings settings) {
        this.forecaster = requireNonNull(forecaster, "forecaster is null");
        this.leadTime = requireNonNull(leadTime, "leadTime is null");
        this.cfg = requireNonNull(settings, "settings is null");
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
        // The reactive floor drains a backlog over the lead time: new workers serve nothing sooner.
        Decision r = reactive.decide(now, history, currentActive, perWorkerRps, s, leadTime);
        Instant seen = forecaster.lastObserved().orElse(Instant.MIN);
        for (LoadSample sample : history.samplesAfter(seen)) {
            forecaster.observe(sample);
        }

        Forecast f = forecaster.forecast(now, leadTime);
        // Without a daily profile the forecast is the recent level and trend; once the endpoint has
        // been idle past inactivity_timeout that level is stale (it decays by the minute, and a
        // one-minute burst would hold a worker for twenty), so only a seasonal forecast may keep or
        // pre-warm workers for an idle endpoint. It stays stale for a stable window after the
        // endpoint wakes, or the first request would bring the fleet the old burst needed.
        boolean idlePast = history.idleFor(now).compareTo(s.inactivityTimeout()) >= 0;
        if (idlePast) {
            idleStale = true;
        } else if (idleStale) {
            idleStale = false;
            staleUntil = now.plus(s.stableWindow());
        }
        boolean stale = !forecaster.seasonal() && (idlePast || now.isBefore(staleUntil));
        boolean expectsLoad = !stale && f.upperRequests() >= 1;
        int forecastNeed = forecastNeed(f, expectsLoad, perWorkerRps, r.inputs().stableRate(), s);
        int upBound = ReactivePolicy.upBound(currentActive, s);
        int wanted = Math.min(forecastNeed, upBound);
        int predicted = s.clamp(wanted);
        // The forecast may overrule the reactive scale-down only once its own errors are measured.
        boolean trusted = forecaster.errorSamples() >= forecaster.settings().minErrorSamples();

        StringBuilder forecastText = new StringBuilder()
                .append("forecast p90 ").append(num(f.upper())).append(" req/s (mean ").append(num(f.mean()))
                .append(") over the next ").append(dur(leadTime)).append(" lead time");
        if (stale && f.upper() > 0) {
            forecastText.append(idlePast ? ", stale after " + dur(history.idleFor(now)) + " idle" : ", stale until a stable"
                    + " window after waking").append(" without a daily profile,");
        } else if (!expectsLoad && f.upper() > 0) {
            forecastText.append(", under one request,");
        }

        Duration idle = history.idleFor(now);
        if (cfg.earlyZero() && trusted && !expectsLoad && s.allowsScaleToZero() && currentActive + r.desiredActive() > 0
                && (r.mode() == Mode.STABLE || r.mode() == Mode.HOLD) && !history.isEmpty()
                && idle.compareTo(cfg.earlyZeroIdle()) >= 0) {
            String reason = "predictive: idle for " + dur(idle) + " and the " + forecastText
                    + " expects no request: scaling to zero before inactivity_timeout " + dur(s.inactivityTimeout())
                    + ", to be woken a lead time before the forecast load; "
                    + ReactivePolicy.change(currentActive, 0);
            return new Decision(now, 0, ReactivePolicy.coldWorkers(0, 0, s), Mode.SCALE_TO_ZERO, reason, r.inputs(),
                    Optional.of(f));
        }

        if (cfg.followForecastDown() && trusted && r.mode() == Mode.STABLE) {
            int floor = ReactivePolicy.stableNeed(r.inputs(), s, 1, leadTime);
            int target = Math.max(floor, forecastNeed);
            int desired;
            if (target >= currentActive) {
                desired = s.clamp(Math.min(target, upBound));
            } else {
                // Down only as far as both the load and the forecast fit at 10% below target_util, so
                // noise around a worker boundary does not flap; at most max_scale_down_rate per decision.
                // (The forecast needs no such slack: it is a 5-minute mean with its own headroom.)
                int slack = Math.max(ReactivePolicy.stableNeed(r.inputs(), s, 1 - ReactivePolicy.SCALE_DOWN_TOLERANCE, leadTime),
                        forecastNeed);
                int rateFloor = Math.max(1, (int) Math.floor(currentActive / s.maxScaleDownRate()));
                desired = s.clamp(Math.max(Math.min(currentActive, Math.max(target, slack)), rateFloor));
            }
            if (desired != r.desiredActive()) {
                String reason = "predictive: " + forecastText + " needs " + forecastNeed
                        + (forecastNeed == 1 ? " worker" : " workers") + " and the stable rate "
                        + num(r.inputs().stableRate()) + " req/s needs " + floor + ", "
                        + (desired > r.desiredActive() ? "more than" : "fewer than") + " the reactive "
                        + r.desiredActive() + " (" + r.reason() + "); " + ReactivePolicy.change(currentActive, desired);
                return new Decision(now, desired, ReactivePolicy.coldWorkers(desired, desired, s), Mode.PREDICTIVE,
                        reason, r.inputs(), Optional.of(f));
            }
        } else if (predicted > r.desiredActive()) {
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

    /**
     * Workers for the forecast at {@code target_util}: {@code need(upper)} when the headroom stacks
     * ({@link PredictiveSettings#stackHeadroom}), else {@code need(peak + q max(0, peak - stable))}
     * with {@code q = upper / peak - 1}, the forecast's relative error headroom: the error margin
     * applies to the rise the forecast expects, while the steady part is covered by
     * {@code target_util}'s slack alone. No load when the forecast expects under one request, and
     * never under {@code min_load}'s need.
     */
    private int forecastNeed(Forecast f, boolean expectsLoad, double perWorkerRps, double stableRate, ScalingSettings s) {
        int minLoadNeed = Capacity.workersFor(s.minLoad(), perWorkerRps, s.targetUtil());
        if (!expectsLoad) {
            return minLoadNeed;
        }
        double demand = f.upper();
        if (!cfg.stackHeadroom() && f.peak() > 0) {
            double q = f.upper() / f.peak() - 1;
            demand = f.peak() + q * Math.max(0, f.peak() - stableRate);
        }
        return Math.max(Capacity.workersFor(demand, perWorkerRps, s.targetUtil()), minLoadNeed);
    }

    private static void requireLeadTime(Duration leadTime) {
        if (leadTime == null || leadTime.isNegative() || leadTime.isZero()) {
            throw FlotillaException.invalid("lead_time", "lead_time must be positive, got " + leadTime);
        }
    }
}
