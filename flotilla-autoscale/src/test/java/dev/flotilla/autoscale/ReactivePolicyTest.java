package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.Errors.assertField;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.autoscale.Decision.Mode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Drives the reactive policy one second at a time: a sample of the last second goes into the
 * history, the policy decides, and the fleet follows the decision at once (the lead time is the
 * predictive policy's business).
 */
class ReactivePolicyTest {
    private static final Instant T0 = Instant.parse("2026-01-05T12:00:00Z");
    private static final Duration SECOND = Duration.ofSeconds(1);
    /** Each worker sustains 1 req/s, so needs read as load / 0.7. */
    private static final double RPS = 1.0;

    private ScalingSettings settings = ScalingSettings.defaults().withWorkers(0, 100);
    private final ReactivePolicy policy = new ReactivePolicy();
    private final LoadHistory history = LoadHistory.covering(Duration.ofMinutes(2), SECOND);
    private int current;

    /** One second of load from {@code traffic}, then a decision the fleet obeys. */
    private Decision tick(Traffic traffic) {
        LoadSample sample = traffic.next();
        history.add(sample);
        return decide(sample.at());
    }

    private Decision decide(Instant now) {
        Decision d = policy.decide(now, history, current, RPS, settings);
        current = d.desiredActive();
        return d;
    }

    private List<Decision> run(Traffic traffic, Duration d) {
        List<Decision> out = new ArrayList<>();
        for (long i = 0; i < d.toSeconds(); i++) {
            out.add(tick(traffic));
        }
        return out;
    }

    private static ToDoubleFunction<Instant> step(Instant at, double before, double after) {
        return t -> t.isBefore(at) ? before : after;
    }

    @Test
    void steadyLoadSettlesOnTheStableNeed() {
        current = 3;
        Traffic traffic = Traffic.exact(T0, SECOND, t -> 10);
        Decision last = run(traffic, Duration.ofMinutes(2)).getLast();
        assertThat(last.desiredActive()).isEqualTo(15); // ceil(10 / (1 * 0.7))
        assertThat(last.mode()).isEqualTo(Mode.STABLE);
        assertThat(last.reason()).isEqualTo(
                "stable: 60 s rate 10.0 req/s needs 15 workers at 1.0 req/s each and 70% target utilisation; holding 15");
        assertThat(last.inputs().stableRate()).isEqualTo(10);
        assertThat(last.forecast()).isEmpty();
    }

    @Test
    void aThreefoldStepPanicsWithinThePanicWindowAndScalesUp() {
        Instant stepAt = T0.plus(Duration.ofMinutes(2));
        Traffic traffic = Traffic.exact(T0, SECOND, step(stepAt, 5, 15));
        current = 8;
        run(traffic, Duration.ofMinutes(2));
        assertThat(current).isEqualTo(8); // ceil(5 / 0.7)

        List<Decision> after = run(traffic, Duration.ofSeconds(6));
        Decision firstPanic = after.stream().filter(d -> d.mode() == Mode.PANIC).findFirst().orElseThrow();
        // 6 s rate 11.7 >= 2 x (8 workers x 1 req/s x 0.7) = 11.2 after 4 s of the step.
        assertThat(firstPanic.at()).isEqualTo(stepAt.plusSeconds(4));
        assertThat(firstPanic.reason()).isEqualTo("panic: 6 s rate 11.7 req/s is 2.1x current capacity 5.6 req/s"
                + " (8 x 1.0 req/s at 70%) needs 17 workers; scaling 8 -> 17");
        // By the end of the panic window the whole step is in it: ceil(15 / 0.7).
        assertThat(after.getLast().desiredActive()).isEqualTo(22);
        // The stable window alone would still see (15 x 6 + 5 x 54) / 60 = 6 req/s: 9 workers.
        assertThat(after.getLast().inputs().stableRate()).isCloseTo(6, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(Capacity.workersFor(6, RPS, 0.7)).isEqualTo(9);
    }

    @Test
    void panicNeverScalesDownUntilAStableWindowPassesWithoutABurst() {
        Instant stepAt = T0.plus(Duration.ofMinutes(2));
        Instant back = stepAt.plusSeconds(20);
        Traffic traffic = Traffic.exact(T0, SECOND, t -> t.isBefore(stepAt) || !t.isBefore(back) ? 5 : 15);
        current = 8;
        run(traffic, Duration.ofMinutes(2));
        List<Decision> burst = run(traffic, Duration.ofSeconds(120));

        int peak = 0;
        Instant lastPanic = null;
        for (Decision d : burst) {
            if (d.mode() == Mode.PANIC) {
                assertThat(d.desiredActive()).as("no scale-down in panic, at %s", d.at()).isGreaterThanOrEqualTo(peak);
                peak = d.desiredActive();
                lastPanic = d.at();
            }
        }
        assertThat(peak).isEqualTo(22);
        // The last trigger was 4 s into the burst (22 workers are not overloaded by 15 req/s).
        assertThat(lastPanic).isEqualTo(stepAt.plusSeconds(4 + 59));
        Decision after = burst.stream().filter(d -> d.at().isAfter(stepAt.plusSeconds(64))).findFirst().orElseThrow();
        assertThat(after.mode()).isEqualTo(Mode.STABLE);
        assertThat(after.desiredActive()).isLessThan(22);
    }

    @Test
    void noiseAroundAWorkerBoundaryDoesNotFlap() {
        // 10.4 req/s needs 14.9 workers: Poisson noise in a 60 s window crosses 15 -> 16 all the time.
        Traffic traffic = new Traffic(42, T0, SECOND, t -> 10.4);
        current = 15;
        run(traffic, Duration.ofMinutes(2));
        List<Decision> hour = run(traffic, Duration.ofHours(1));

        int changes = 0;
        int naiveChanges = 0;
        int previousNaive = -1;
        for (int i = 1; i < hour.size(); i++) {
            if (hour.get(i).desiredActive() != hour.get(i - 1).desiredActive()) {
                changes++;
            }
            int naive = Capacity.workersFor(hour.get(i).inputs().stableRate(), RPS, 0.7);
            if (previousNaive >= 0 && naive != previousNaive) {
                naiveChanges++;
            }
            previousNaive = naive;
        }
        assertThat(naiveChanges).as("the plain stable-window need flaps").isGreaterThan(100);
        // 60 s means of Poisson(10.4) still wander +-8% now and then: a handful of changes an hour.
        assertThat(changes).isLessThanOrEqualTo(8);
        assertThat(hour).allSatisfy(d -> assertThat(d.desiredActive()).isBetween(15, 17));
        assertThat(hour).allSatisfy(d -> assertThat(d.mode()).isEqualTo(Mode.STABLE));
    }

    @Test
    void scaleDownIsBoundedByTheScaleDownRateAndNeverReachesZeroByLoadAlone() {
        Instant dropAt = T0.plus(Duration.ofMinutes(2));
        Traffic traffic = Traffic.exact(T0, SECOND, step(dropAt, 20, 0.5));
        current = 29;
        run(traffic, Duration.ofMinutes(2));
        assertThat(current).isEqualTo(29);
        // Let the lower need outlast the stabilisation window without deciding, then decide each second.
        for (int i = 0; i < 130; i++) {
            history.add(traffic.next());
        }
        List<Integer> steps = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Decision d = tick(traffic);
            steps.add(d.desiredActive());
            reasons.add(d.reason());
        }
        assertThat(steps).containsExactly(14, 7, 3, 1, 1, 1);
        assertThat(reasons.getFirst()).endsWith("scaling 29 -> 14 (max_scale_down_rate 2.0)");
    }

    @Test
    void aFasterScaleDownRateTakesBiggerSteps() {
        settings = settings.withScaleRates(1000, 4);
        Instant dropAt = T0.plus(Duration.ofMinutes(2));
        Traffic traffic = Traffic.exact(T0, SECOND, step(dropAt, 20, 0.5));
        current = 29;
        run(traffic, Duration.ofMinutes(2));
        for (int i = 0; i < 130; i++) {
            history.add(traffic.next());
        }
        assertThat(run(traffic, Duration.ofSeconds(3))).extracting(Decision::desiredActive).containsExactly(7, 1, 1);
    }

    @Test
    void scaleUpIsBoundedByTheScaleUpRate() {
        settings = settings.withScaleRates(2, 2);
        current = 2;
        history.add(LoadSample.arrivals(T0, 30, SECOND));
        Decision d = decide(T0);
        assertThat(d.desiredActive()).isEqualTo(4);
        assertThat(d.reason()).contains("scaling 2 -> 4 (max_scale_up_rate 2.0)");
    }

    @Test
    void scalesToZeroOnlyAfterTheInactivityTimeoutPlusTheGrace() {
        Instant stopAt = T0.plus(Duration.ofMinutes(2));
        Traffic traffic = Traffic.exact(T0, SECOND, step(stopAt, 2, 0));
        current = 3;
        run(traffic, Duration.ofMinutes(2));
        List<Decision> idle = run(traffic, Duration.ofMinutes(6));

        Decision beforeTimeout = at(idle, stopAt.plus(Duration.ofMinutes(5)).minusSeconds(1));
        assertThat(beforeTimeout.mode()).isEqualTo(Mode.STABLE);
        assertThat(beforeTimeout.desiredActive()).isEqualTo(1);

        Decision inGrace = at(idle, stopAt.plus(Duration.ofMinutes(5)).plusSeconds(29));
        assertThat(inGrace.mode()).isEqualTo(Mode.HOLD);
        assertThat(inGrace.desiredActive()).isEqualTo(1);
        assertThat(inGrace.reason()).isEqualTo("idle for 329 s, past inactivity_timeout 5 min; scaling to zero once"
                + " scale_to_zero_grace 30 s has also passed; holding 1");

        Decision zero = at(idle, stopAt.plus(Duration.ofMinutes(5)).plusSeconds(30));
        assertThat(zero.mode()).isEqualTo(Mode.SCALE_TO_ZERO);
        assertThat(zero.desiredActive()).isZero();
        assertThat(zero.reason()).isEqualTo("idle for 330 s (no request since " + stopAt
                + "), past inactivity_timeout 5 min + scale_to_zero_grace 30 s; scaling 1 -> 0");
        assertThat(idle.getLast().desiredActive()).isZero();

        // The next request wakes it at once: with no active worker any arrival is a panic.
        history.add(LoadSample.arrivals(traffic.now().plusSeconds(1), 3, SECOND));
        Decision wake = decide(traffic.now().plusSeconds(1));
        assertThat(wake.mode()).isEqualTo(Mode.PANIC);
        // Three requests in the last second of an otherwise empty 6 s window.
        assertThat(wake.desiredActive()).isEqualTo(1);
        assertThat(wake.reason()).startsWith("panic: 6 s rate 0.50 req/s with no active workers needs 1 worker");
    }

    @Test
    void requestsStillInFlightKeepTheEndpointAwake() {
        current = 1;
        history.add(LoadSample.arrivals(T0, 1, SECOND));
        for (int i = 1; i <= 900; i++) {
            history.add(LoadSample.of(T0.plusSeconds(i), 0, SECOND, 1, 0)); // one 15-minute generation
            decide(T0.plusSeconds(i));
        }
        assertThat(current).isEqualTo(1);
    }

    @Test
    void minWorkersIsKeptWithoutLoadAndNeverScaledToZero() {
        settings = settings.withWorkers(2, 4);
        current = 2;
        Traffic traffic = Traffic.exact(T0, SECOND, t -> 0);
        Decision last = run(traffic, Duration.ofMinutes(20)).getLast();
        assertThat(last.desiredActive()).isEqualTo(2);
        assertThat(last.mode()).isEqualTo(Mode.STABLE);
        assertThat(last.reason()).endsWith("holding 2 (raised to min_workers 2)");
    }

    @Test
    void maxWorkersCapsEvenAPanic() {
        settings = settings.withWorkers(0, 4);
        current = 2;
        history.add(LoadSample.arrivals(T0, 100, SECOND));
        Decision d = decide(T0);
        assertThat(d.mode()).isEqualTo(Mode.PANIC);
        assertThat(d.desiredActive()).isEqualTo(4);
        assertThat(d.reason()).endsWith("scaling 2 -> 4 (capped at max_workers 4)");
    }

    @Test
    void minLoadProvisionsForThatRateWithoutTrafficAndKeepsTheEndpointUp() {
        settings = settings.withMinLoad(3);
        current = 0;
        Traffic traffic = Traffic.exact(T0, SECOND, t -> 0);
        List<Decision> ds = run(traffic, Duration.ofMinutes(10));
        assertThat(ds).allSatisfy(d -> assertThat(d.desiredActive()).isEqualTo(5)); // ceil(3 / 0.7)
        assertThat(ds.getLast().reason()).contains("60 s rate 0.0 req/s (min_load 3.0 req/s) needs 5 workers");
    }

    @Test
    void queuedWorkBeyondTheTargetQueueTimeAddsCapacity() {
        current = 3;
        Traffic traffic = Traffic.exact(T0, SECOND, t -> 2);
        run(traffic, Duration.ofMinutes(2));
        assertThat(current).isEqualTo(3);

        // 10 queued at 3 req/s is 3.3 s of work, over the 2 s target: drain at 10 / 2 = 5 req/s more.
        Instant now = traffic.now().plusSeconds(1);
        history.add(LoadSample.of(now, 2, SECOND, 3, 10));
        Decision d = decide(now);
        assertThat(d.mode()).isEqualTo(Mode.STABLE);
        assertThat(d.desiredActive()).isEqualTo(10); // ceil((2 + 5) / 0.7)
        assertThat(d.inputs().queued()).isEqualTo(10);
        assertThat(d.reason()).contains("with 10 queued (about 3.3 s of work > target_queue_time 2 s) adding 5.0 req/s");
    }

    @Test
    void aShortQueueWithinTheTargetAddsNothing() {
        current = 3;
        Traffic traffic = Traffic.exact(T0, SECOND, t -> 2);
        run(traffic, Duration.ofMinutes(2));
        Instant now = traffic.now().plusSeconds(1);
        history.add(LoadSample.of(now, 2, SECOND, 3, 5)); // 1.7 s of work
        assertThat(decide(now).desiredActive()).isEqualTo(3);
    }

    @Test
    void aQueueThatWouldOutwaitMaxQueueTimePanics() {
        current = 3;
        Traffic traffic = Traffic.exact(T0, SECOND, t -> 2);
        run(traffic, Duration.ofMinutes(2));
        Instant now = traffic.now().plusSeconds(1);
        history.add(LoadSample.of(now, 2, SECOND, 3, 120)); // 40 s of work
        Decision d = decide(now);
        assertThat(d.mode()).isEqualTo(Mode.PANIC);
        assertThat(d.reason()).startsWith("panic: 120 queued requests would wait 40.0 s, over max_queue_time 30 s");
        assertThat(d.desiredActive()).isEqualTo(89); // ceil((2 + 120 / 2) / 0.7)
    }

    @Test
    void coldWorkersFollowColdMultBoundedByColdWorkersAndMaxWorkers() {
        ScalingSettings s = ScalingSettings.defaults().withWorkers(0, 10).withCold(2.0, 3);
        assertThat(ReactivePolicy.coldWorkers(2, 2, s)).isEqualTo(2); // ceil(2 x 2) - 2
        assertThat(ReactivePolicy.coldWorkers(6, 6, s)).isEqualTo(3); // 6, bounded by cold_workers
        assertThat(ReactivePolicy.coldWorkers(9, 9, s)).isEqualTo(1); // 9, bounded by max_workers - active
        assertThat(ReactivePolicy.coldWorkers(0, 0, s)).isEqualTo(2); // idle: a reserve as if 1 were needed
        assertThat(ReactivePolicy.coldWorkers(3, 3, s.withColdMult(1.5))).isEqualTo(2); // ceil(4.5) - 3
        assertThat(ReactivePolicy.coldWorkers(3, 3, s.withColdWorkers(0))).isZero();

        settings = s;
        current = 2;
        Traffic traffic = Traffic.exact(T0, SECOND, t -> 1);
        Decision d = run(traffic, Duration.ofMinutes(2)).getLast();
        assertThat(d.desiredActive()).isEqualTo(2);
        assertThat(d.desiredCold()).isEqualTo(2);
    }

    @Test
    void holdsWhatThereIsBeforeTheFirstSample() {
        current = 2;
        Decision d = decide(T0);
        assertThat(d.mode()).isEqualTo(Mode.HOLD);
        assertThat(d.desiredActive()).isEqualTo(2);
        assertThat(d.reason()).isEqualTo("no load samples yet; holding 2");
    }

    @Test
    void theSameInputsGiveTheSameDecisions() {
        List<Decision> first = replay(7);
        List<Decision> second = replay(7);
        assertThat(second).isEqualTo(first);
        assertThat(replay(8)).isNotEqualTo(first);
    }

    private static List<Decision> replay(long seed) {
        ReactivePolicy p = new ReactivePolicy();
        LoadHistory h = LoadHistory.covering(Duration.ofMinutes(1), SECOND);
        Traffic traffic = new Traffic(seed, T0, SECOND, t -> Traffic.minuteOfDay(t) % 10 < 5 ? 3 : 12);
        ScalingSettings s = ScalingSettings.defaults().withWorkers(0, 50);
        List<Decision> out = new ArrayList<>();
        int active = 0;
        for (int i = 0; i < 1800; i++) {
            LoadSample sample = traffic.next();
            h.add(sample);
            Decision d = p.decide(sample.at(), h, active, 1.5, s);
            active = d.desiredActive();
            out.add(d);
        }
        return out;
    }

    @Test
    void invalidInputsAreRejectedWithTheFieldNamed() {
        assertField(() -> policy.decide(T0, history, 1, 0, settings), "per_worker_rps");
        assertField(() -> policy.decide(T0, history, 1, Double.NaN, settings), "per_worker_rps");
        assertField(() -> policy.decide(T0, history, -1, 1, settings), "current_active");
    }

    private static Decision at(List<Decision> ds, Instant t) {
        return ds.stream().filter(d -> d.at().equals(t)).findFirst().orElseThrow();
    }
}
