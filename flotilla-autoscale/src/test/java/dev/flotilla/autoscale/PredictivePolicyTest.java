package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.Errors.assertField;
import static dev.flotilla.autoscale.Traffic.at;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.autoscale.Decision.Mode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The predictive policy against the reactive one on the same traffic, each driving a
 * {@link FakeFleet} whose workers serve only a lead time after they are asked for. Two days of
 * the pattern teach the forecaster; the third day is played every 2 s.
 */
class PredictivePolicyTest {
    private static final Duration LEAD = Duration.ofMinutes(5);
    private static final Duration TICK = Duration.ofSeconds(2);
    private static final double RPS = 1.0;
    private static final ScalingSettings SETTINGS = ScalingSettings.defaults().withWorkers(0, 200);

    /** 2 req/s at night; from 08:00 a 30-minute ramp to 20 req/s, held until 18:00, then back down. */
    static double workday(Instant t) {
        double m = Traffic.minuteOfDay(t);
        if (m < 480 || m >= 1110) {
            return 2;
        }
        if (m < 510) {
            return 2 + 0.6 * (m - 480);
        }
        return m < 1080 ? 20 : 20 - 0.6 * (m - 1080);
    }

    /** No request at night; 5 req/s from 07:00 to 20:00. */
    static double office(Instant t) {
        double m = Traffic.minuteOfDay(t);
        return m >= 420 && m < 1200 ? 5 : 0;
    }

    /** A forecaster that has seen the pattern from day 0 up to {@code until}, sampled every 10 s. */
    private static Forecaster warmed(ToDoubleFunction<Instant> rate, Instant until, long seed) {
        Forecaster f = new Forecaster();
        Traffic traffic = new Traffic(seed, Traffic.DAY0, Duration.ofSeconds(10), rate);
        while (traffic.now().isBefore(until)) {
            f.observe(traffic.next());
        }
        return f;
    }

    /** One policy with its fleet, and what it decided and served. */
    private static final class Run {
        final ScalingPolicy policy;
        final FakeFleet fleet;
        final List<Decision> decisions = new ArrayList<>();
        final List<Integer> ready = new ArrayList<>();
        double shortSeconds;
        double workerSeconds;

        Run(ScalingPolicy policy, int ready) {
            this.policy = policy;
            this.fleet = new FakeFleet(LEAD, ready);
        }

        void step(Instant now, LoadHistory history, double trueRate) {
            int serving = fleet.ready(now);
            workerSeconds += serving * TICK.toSeconds();
            if (serving * RPS < trueRate) {
                shortSeconds += TICK.toSeconds();
            }
            Decision d = policy.decide(now, history, serving, RPS, SETTINGS);
            fleet.apply(now, d.desiredActive());
            decisions.add(d);
            ready.add(serving);
        }

        Decision at(Instant t) {
            return decisions.stream().filter(d -> d.at().equals(t)).findFirst().orElseThrow();
        }

        /** Workers serving at {@code t}, a tick of the run. */
        int readyAt(Instant t) {
            return ready.get(decisions.indexOf(at(t)));
        }

        Instant firstAtLeast(int workers) {
            return firstAtLeast(workers, Instant.MIN);
        }

        Instant firstAtLeast(int workers, Instant after) {
            return decisions.stream().filter(d -> d.at().isAfter(after) && d.desiredActive() >= workers)
                    .findFirst().orElseThrow().at();
        }
    }

    /** Plays {@code rate} from {@code from} to {@code to}, both policies on the same samples. */
    private static void play(ToDoubleFunction<Instant> rate, Instant from, Instant to, long seed, Run... runs) {
        LoadHistory history = LoadHistory.covering(Duration.ofMinutes(2), TICK);
        Traffic traffic = new Traffic(seed, from, TICK, rate);
        while (traffic.now().isBefore(to)) {
            LoadSample sample = traffic.next();
            history.add(sample);
            for (Run r : runs) {
                r.step(sample.at(), history, rate.applyAsDouble(sample.at()));
            }
        }
    }

    @Test
    void scalesUpAheadOfTheDailyRampByAboutTheLeadTime() {
        Instant morning = at(2, 6, 0);
        Run predictive = new Run(PredictivePolicy.withFixedLeadTime(warmed(PredictivePolicyTest::workday, morning, 1), LEAD), 3);
        Run reactive = new Run(new ReactivePolicy(), 3);
        play(PredictivePolicyTest::workday, morning, at(2, 10, 0), 2, predictive, reactive);

        Instant rampStart = at(2, 8, 0);
        assertThat(predictive.at(rampStart).desiredActive()).isGreaterThan(reactive.at(rampStart).desiredActive());

        // For k workers on the ramp, T_k is when the true load first needs them (k x 0.7 req/s).
        // The predictive policy asks for them about a lead time before T_k, and up to 5-6 min more:
        // the forecast reads the profile over the 5 min ahead of each instant (on this ramp, 2.5
        // min early) and adds its p90 headroom (another minute or two). (Before 07:50, with three or four workers, Poisson noise in the 6 s panic
        // window can set off a short panic, so the comparison starts there.)
        Instant watchFrom = at(2, 7, 50);
        for (int k : new int[] {6, 10, 14}) {
            Instant needed = rampStart.plusSeconds((long) Math.ceil((k * 0.7 - 2) / 0.6 * 60));
            Instant asked = predictive.firstAtLeast(k, watchFrom);
            assertThat(Duration.between(asked, needed)).as("k = %d", k)
                    .isBetween(LEAD.minusSeconds(30), LEAD.plusMinutes(6));
            // The reactive policy may ask a little before T_k (noise in the panic window), but
            // its k-th worker is never ready in time.
            assertThat(reactive.firstAtLeast(k, watchFrom).plus(LEAD)).as("k = %d", k).isAfter(needed);
        }
        Instant predictiveSix = predictive.firstAtLeast(6, watchFrom);
        assertThat(predictive.at(predictiveSix).mode()).isEqualTo(Mode.PREDICTIVE);
        assertThat(predictive.at(predictiveSix).reason()).startsWith("predictive: forecast p90 ");
        assertThat(predictive.at(predictiveSix).forecast()).isPresent();

        // What that buys: with workers ready only 5 min after being asked for, the reactive fleet
        // runs short of capacity for much of the ramp; the predictive one hardly at all.
        assertThat(reactive.shortSeconds).isGreaterThan(300);
        assertThat(predictive.shortSeconds).isLessThan(30);
    }

    @Test
    void aSurpriseSpikeTakesTheReactivePanicPath() {
        Instant noon = at(2, 12, 0);
        Instant spike = at(2, 13, 0);
        ToDoubleFunction<Instant> load = t -> !t.isBefore(spike) && t.isBefore(spike.plus(Duration.ofMinutes(10)))
                ? 60 : workday(t);
        PredictivePolicy predictive = PredictivePolicy.withFixedLeadTime(warmed(PredictivePolicyTest::workday, noon, 3), LEAD);
        ReactivePolicy twin = new ReactivePolicy();
        FakeFleet fleet = new FakeFleet(LEAD, 30);
        LoadHistory history = LoadHistory.covering(Duration.ofMinutes(2), TICK);
        Traffic traffic = new Traffic(4, noon, TICK, load);

        Decision firstPanic = null;
        Decision twinAtPanic = null;
        while (traffic.now().isBefore(spike.plusSeconds(30))) {
            LoadSample sample = traffic.next();
            history.add(sample);
            int ready = fleet.ready(sample.at());
            Decision d = predictive.decide(sample.at(), history, ready, RPS, SETTINGS);
            Decision r = twin.decide(sample.at(), history, ready, RPS, SETTINGS);
            fleet.apply(sample.at(), d.desiredActive());
            if (sample.at().isBefore(spike)) {
                assertThat(d.mode()).isNotEqualTo(Mode.PANIC);
            } else if (firstPanic == null && d.mode() == Mode.PANIC) {
                firstPanic = d;
                twinAtPanic = r;
            }
        }
        assertThat(firstPanic).isNotNull();
        assertThat(firstPanic.at()).isBeforeOrEqualTo(spike.plus(SETTINGS.panicWindow()));
        assertThat(firstPanic.desiredActive()).isEqualTo(twinAtPanic.desiredActive());
        assertThat(firstPanic.reason()).startsWith("panic: 6 s rate ").contains("reactive wins");
        assertThat(firstPanic.forecast().orElseThrow().upper()).isLessThan(30); // the forecast saw ~20 req/s
    }

    @Test
    void scalesDownOnlyOnceTheForecastAgreesWithTheReactiveRules() {
        Instant start = at(2, 13, 0);
        Instant drop = at(2, 14, 0);
        ToDoubleFunction<Instant> load = t -> t.isBefore(drop) ? workday(t) : 4;
        PredictivePolicy predictive = PredictivePolicy.withFixedLeadTime(warmed(PredictivePolicyTest::workday, start, 5), LEAD);
        ReactivePolicy twin = new ReactivePolicy();
        FakeFleet fleet = new FakeFleet(LEAD, 30);
        LoadHistory history = LoadHistory.covering(Duration.ofMinutes(2), TICK);
        Traffic traffic = new Traffic(6, start, TICK, load);
        List<Decision[]> pairs = new ArrayList<>();
        while (traffic.now().isBefore(drop.plus(Duration.ofMinutes(40)))) {
            LoadSample sample = traffic.next();
            history.add(sample);
            int ready = fleet.ready(sample.at());
            Decision d = predictive.decide(sample.at(), history, ready, RPS, SETTINGS);
            pairs.add(new Decision[] {d, twin.decide(sample.at(), history, ready, RPS, SETTINGS)});
            fleet.apply(sample.at(), d.desiredActive());
        }
        Decision[] threeMinutesIn = pairs.stream().filter(p -> p[0].at().equals(drop.plus(Duration.ofMinutes(3))))
                .findFirst().orElseThrow();
        // The reactive rules already want fewer workers; the forecast still expects ~20 req/s.
        assertThat(threeMinutesIn[1].desiredActive()).isLessThan(threeMinutesIn[0].desiredActive());
        assertThat(threeMinutesIn[0].mode()).isEqualTo(Mode.PREDICTIVE);
        // Once the level ratio has taken in the quieter load, both agree and the fleet comes down.
        assertThat(pairs.getLast()[0].desiredActive()).isLessThanOrEqualTo(12);
        assertThat(pairs).allSatisfy(p -> assertThat(p[0].desiredActive()).isGreaterThanOrEqualTo(p[1].desiredActive()));
    }

    @Test
    void wakesAnEndpointScaledToZeroBeforeTheMorningsFirstRequest() {
        Instant dawn = at(2, 6, 0);
        Run predictive = new Run(PredictivePolicy.withFixedLeadTime(warmed(PredictivePolicyTest::office, dawn, 7), LEAD), 0);
        Run reactive = new Run(new ReactivePolicy(), 0);
        play(PredictivePolicyTest::office, dawn, at(2, 7, 10), 8, predictive, reactive);

        Instant opening = at(2, 7, 0);
        // Both keep the idle endpoint at zero through the night...
        assertThat(predictive.at(at(2, 6, 50)).desiredActive()).isZero();
        // ...but the predictive one asks for workers a lead time before the first request.
        Instant woke = predictive.firstAtLeast(1);
        // (up to 4 min more: the forecast reads the profile 5 min ahead, seeing 07:00 coming)
        assertThat(woke).isBetween(opening.minus(LEAD).minusSeconds(270), opening.minus(LEAD).plusSeconds(30));
        assertThat(predictive.at(woke).mode()).isEqualTo(Mode.PREDICTIVE);
        assertThat(predictive.readyAt(opening)).isGreaterThanOrEqualTo(8); // ceil(5 / 0.7) and more
        assertThat(reactive.readyAt(opening)).isZero();
        assertThat(reactive.firstAtLeast(1)).isAfter(opening);
    }

    /** A history of {@code minutes} of {@code rate} up to {@code now}, sampled every tick. */
    private static LoadHistory steady(Instant now, int minutes, double rate) {
        LoadHistory history = LoadHistory.covering(Duration.ofMinutes(2), TICK);
        Traffic traffic = Traffic.exact(now.minus(Duration.ofMinutes(minutes)), TICK, t -> rate);
        while (traffic.now().isBefore(now)) {
            history.add(traffic.next());
        }
        return history;
    }

    @Test
    void byDefaultTheForecastOnlyAddsToTheReactiveDecision() {
        Instant now = at(2, 14, 0);
        ToDoubleFunction<Instant> four = t -> 4;
        LoadHistory history = steady(now, 2, 4);
        PredictivePolicy predictive = PredictivePolicy.withFixedLeadTime(warmed(four, now.minusSeconds(120), 9), LEAD);
        Decision d = predictive.decide(now, history, 30, RPS, SETTINGS);
        // A fresh reactive policy holds 30 workers until it has watched a whole stable window.
        assertThat(d.desiredActive()).isEqualTo(30);
        assertThat(d.mode()).isEqualTo(Mode.STABLE);
    }

    @Test
    void followingTheForecastDownSkipsTheReactiveStabilisationButNotTheScaleDownRate() {
        Instant now = at(2, 14, 0);
        ToDoubleFunction<Instant> four = t -> 4;
        LoadHistory history = steady(now, 2, 4);
        PredictiveSettings down = new PredictiveSettings(false, Duration.ofMinutes(1), true, true);
        PredictivePolicy predictive = new PredictivePolicy(warmed(four, now.minusSeconds(120), 9), () -> LEAD, down);

        Decision d = predictive.decide(now, history, 30, RPS, SETTINGS);

        // The load (4 req/s at 1 req/s per worker and 70%) and the forecast need 6-7 workers; the
        // reactive rules still hold 30; one decision halves at most (max_scale_down_rate 2).
        assertThat(d.desiredActive()).isEqualTo(15);
        assertThat(d.mode()).isEqualTo(Mode.PREDICTIVE);
        assertThat(d.reason()).contains("fewer than the reactive 30").contains("scaling 30 -> 15");
        Decision next = predictive.decide(now.plus(TICK), history, 15, RPS, SETTINGS);
        assertThat(next.desiredActive()).isBetween(6, 8);
    }

    @Test
    void leanSettingsScaleAnIdleEndpointToZeroWhenTheForecastExpectsNothing() {
        Instant night = at(2, 2, 0);
        LoadHistory history = steady(night, 2, 0);
        PredictivePolicy lean = new PredictivePolicy(warmed(PredictivePolicyTest::office, night.minusSeconds(120), 11),
                () -> LEAD, PredictiveSettings.lean());
        PredictivePolicy standard = PredictivePolicy.withFixedLeadTime(
                warmed(PredictivePolicyTest::office, night.minusSeconds(120), 11), LEAD);

        // Idle for 2 min: past early_zero_idle (1 min), well within inactivity_timeout (5 min).
        Decision d = lean.decide(night, history, 1, RPS, SETTINGS);
        assertThat(d.desiredActive()).isZero();
        assertThat(d.mode()).isEqualTo(Mode.SCALE_TO_ZERO);
        assertThat(d.reason()).startsWith("predictive: idle for 2 min").contains("before inactivity_timeout 5 min");
        assertThat(standard.decide(night, history, 1, RPS, SETTINGS).desiredActive()).isEqualTo(1);

        // Not while the forecast expects load within the lead time (06:58, the office opens at 07:00).
        Instant beforeOpening = at(2, 6, 58);
        PredictivePolicy morning = new PredictivePolicy(
                warmed(PredictivePolicyTest::office, beforeOpening.minusSeconds(120), 11), () -> LEAD,
                PredictiveSettings.lean());
        assertThat(morning.decide(beforeOpening, steady(beforeOpening, 2, 0), 1, RPS, SETTINGS).desiredActive())
                .isPositive();
    }

    @Test
    void headroomOnRisesOnlyProvisionsLessForASteadyLoad() {
        Instant now = at(2, 14, 0);
        ToDoubleFunction<Instant> twenty = t -> 20;
        LoadHistory history = steady(now, 2, 20);
        PredictiveSettings risesOnly = new PredictiveSettings(false, Duration.ofMinutes(1), false, false);
        Decision stacked = PredictivePolicy.withFixedLeadTime(warmed(twenty, now.minusSeconds(120), 13), LEAD)
                .decide(now, history, 29, RPS, SETTINGS);
        Decision lean = new PredictivePolicy(warmed(twenty, now.minusSeconds(120), 13), () -> LEAD, risesOnly)
                .decide(now, history, 29, RPS, SETTINGS);

        // ceil(20 / 0.7) = 29 covers the steady load (30 for a forecast a little above 20 req/s);
        // the stacked p90 headroom asks for several more.
        assertThat(stacked.forecast().orElseThrow().upper()).isGreaterThan(21);
        assertThat(lean.desiredActive()).isBetween(29, 30);
        assertThat(stacked.desiredActive()).isGreaterThan(lean.desiredActive() + 1);
    }

    @Test
    void aBacklogIsDrainedOverTheLeadTimeNotTheTargetQueueTime() {
        // 300 queued with 2 workers at 1 req/s each: 150 s of work, past max_queue_time (panic).
        LoadHistory history = LoadHistory.covering(Duration.ofMinutes(1), Duration.ofSeconds(10));
        history.add(LoadSample.of(Traffic.DAY0, 60, Duration.ofSeconds(10), 2, 300));
        Decision reactive = new ReactivePolicy().decide(Traffic.DAY0, history, 2, RPS, SETTINGS);
        Decision predictive = PredictivePolicy.withFixedLeadTime(new Forecaster(), LEAD)
                .decide(Traffic.DAY0, history, 2, RPS, SETTINGS);

        // Reactive: (6 + 300 / 2 s) / 0.7 = 223, capped at 200 workers; new workers serve only
        // after the lead time, so the predictive policy drains over it: (6 + 300 / 300 s) / 0.7 = 10.
        assertThat(reactive.desiredActive()).isEqualTo(200);
        assertThat(predictive.desiredActive()).isEqualTo(10);
        assertThat(predictive.mode()).isEqualTo(Mode.PANIC);
        assertThat(predictive.reason()).contains("adding 1.0 req/s to drain them over the 5 min lead time");
    }

    @Test
    void predictiveSettingsRejectANegativeIdle() {
        assertField(() -> new PredictiveSettings(true, Duration.ofSeconds(-1), false, true), "early_zero_idle");
    }

    @Test
    void aFreshForecasterAddsNothingToTheReactiveDecision() {
        PredictivePolicy predictive = PredictivePolicy.withFixedLeadTime(new Forecaster(), LEAD);
        LoadHistory history = LoadHistory.covering(Duration.ofMinutes(1), TICK);
        history.add(LoadSample.arrivals(Traffic.DAY0, 0, TICK));
        Decision d = predictive.decide(Traffic.DAY0, history, 2, RPS, SETTINGS);
        assertThat(d.mode()).isEqualTo(Mode.STABLE);
        assertThat(d.desiredActive()).isEqualTo(2);
        assertThat(d.reason()).endsWith("; forecast p90 0.0 req/s (mean 0.0) over the next 5 min lead time needs 0,"
                + " reactive wins");
        assertThat(predictive.forecaster().lastObserved()).contains(Traffic.DAY0);
    }

    @Test
    void aBurstWithoutADailyProfileDoesNotHoldWorkersPastTheInactivityTimeout() {
        // one minute at 80 req/s, then nothing: the trend-only forecast decays by the minute, but
        // once the endpoint has been idle past inactivity_timeout it no longer keeps a worker
        ScalingSettings s = ScalingSettings.defaults().withWorkers(0, 4).withInactivityTimeout(Duration.ofMinutes(2));
        PredictivePolicy predictive = PredictivePolicy.withFixedLeadTime(new Forecaster(), Duration.ofSeconds(60));
        LoadHistory history = LoadHistory.covering(Duration.ofMinutes(2), TICK);
        Instant t = Traffic.DAY0;
        int active = 0;
        Decision d = null;
        Instant zeroAt = null;
        for (int i = 0; i < 600 && zeroAt == null; i++) {
            t = t.plus(TICK);
            boolean burst = i < 30;
            history.add(LoadSample.arrivals(t, burst ? 160 : 0, TICK));
            d = predictive.decide(t, history, active, 5, s);
            active = d.desiredActive();
            if (!burst && active == 0) {
                zeroAt = t;
            }
        }
        assertThat(zeroAt).as("scaled to zero; last decision %s", d).isNotNull();
        // 2 min idle + 30 s grace after the burst's last request, within a panic window's slack
        assertThat(Duration.between(Traffic.DAY0.plus(TICK.multipliedBy(30)), zeroAt)).isLessThan(Duration.ofMinutes(4));
        assertThat(d.mode()).isEqualTo(Mode.SCALE_TO_ZERO);
        assertThat(predictive.forecaster().seasonal()).isFalse();

        // one request wakes it: one worker for it, not the fleet the old burst's level would ask for
        t = t.plus(TICK);
        history.add(LoadSample.arrivals(t, 1, TICK));
        d = predictive.decide(t, history, 0, 5, s);
        assertThat(d.desiredActive()).as(d.reason()).isEqualTo(1);
        assertThat(d.reason()).contains("stale until a stable window after waking");
    }

    @Test
    void theLeadTimeComesFromTheSupplierAtEachDecision() {
        LeadTimeEstimator estimator = new LeadTimeEstimator();
        LeadTimeEstimator.Key key = new LeadTimeEstimator.Key("L4", "llama-3.1-8b");
        PredictivePolicy predictive = new PredictivePolicy(new Forecaster(), () -> estimator.leadTime(key));
        LoadHistory history = LoadHistory.covering(Duration.ofMinutes(1), TICK);
        history.add(LoadSample.arrivals(Traffic.DAY0, 0, TICK));
        assertThat(predictive.decide(Traffic.DAY0, history, 1, RPS, SETTINGS).forecast().orElseThrow().horizon())
                .isEqualTo(Duration.ofSeconds(60));
        for (int i = 0; i < 5; i++) {
            estimator.observe(key, Duration.ofSeconds(150));
        }
        assertThat(predictive.decide(Traffic.DAY0, history, 1, RPS, SETTINGS).forecast().orElseThrow().horizon())
                .isEqualTo(Duration.ofSeconds(150));
        assertThat(predictive.name()).isEqualTo("predictive");
    }

    @Test
    void aLeadTimeMustBePositive() {
        assertField(() -> PredictivePolicy.withFixedLeadTime(new Forecaster(), Duration.ZERO), "lead_time");
        PredictivePolicy p = PredictivePolicy.withFixedLeadTime(new Forecaster(), LEAD);
        assertField(() -> p.decide(Traffic.DAY0, new LoadHistory(1), 0, RPS, Duration.ofSeconds(-1), SETTINGS),
                "lead_time");
    }
}
