package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.autoscale.Decision;
import dev.flotilla.autoscale.Forecaster;
import dev.flotilla.autoscale.LeadTimeEstimator;
import dev.flotilla.autoscale.LoadHistory;
import dev.flotilla.autoscale.LoadSample;
import dev.flotilla.autoscale.PredictivePolicy;
import dev.flotilla.autoscale.ReactivePolicy;
import dev.flotilla.autoscale.ScalingPolicy;
import dev.flotilla.autoscale.ScalingSettings;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.server.endpoint.EndpointScaling;
import dev.flotilla.store.Database;
import dev.flotilla.store.EndpointRepo;
import dev.flotilla.store.LoadRepo;
import dev.flotilla.store.WorkerRepo;
import dev.flotilla.store.WorkerRepo.Worker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's autoscaler: every {@code serving.autoscale-interval} the replica holding the
 * lease turns every replica's load rows ({@link LoadRecorder}) into one {@link LoadSample} per
 * endpoint, asks the endpoint's policy ({@code flotilla-autoscale}, the same code the simulator
 * drives) for a {@link Decision}, stores the decision with its reason and forecast for
 * {@code flotilla endpoint show}, and, unless the endpoint is advisory, sets its desired worker
 * count for the {@link Reconciler}.
 *
 * <p><b>Inputs.</b> Active workers are the ready and the starting ones: the policies answer a count
 * relative to the workers there are, and with only the ready ones counted, a policy holding its
 * count during a cold start would cancel the worker it had just asked for (the simulator, which
 * has no such race, passes the ready ones). One worker's capacity is the mean benchmarked
 * {@code requests_per_s} of the ready workers, else the last measured value, else {@link #UNMEASURED_RPS};
 * but the benchmark uses short prompts, and a workload of long ones is served several times more
 * slowly (the Azure code trace's 2,000-token prompts: 5 req/s on a worker benchmarked at 25), so
 * while a queue stands for {@link #SATURATION} the workers' observed completions per ready worker
 * and second replace it when lower, for {@link #OBSERVED_TTL} after the last such observation. The lead time the predictive policy plans
 * with is learnt from the endpoint's workers' measured start-to-ready times ({@link
 * LeadTimeEstimator}, keyed by model). A predictive policy's forecaster is warmed from the stored
 * per-minute arrivals when the autoscaler first sees the endpoint, so a restart or a lease
 * hand-over keeps the daily profile.
 *
 * <p><b>State.</b> Policies keep short state (panic, the stabilisation window), so this object
 * lives as long as the process holds the lease; {@link #reset} drops it when the lease is lost.
 * Not thread-safe: one periodic job calls {@link #tick}.
 */
public final class Autoscaler {
    private static final Logger LOG = LoggerFactory.getLogger(Autoscaler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A worker's capacity before any worker of the endpoint has been benchmarked, requests/s. */
    static final double UNMEASURED_RPS = 1.0;
    /** How much load history warms a forecaster and is kept in {@code endpoint_load}. */
    static final Duration RETENTION = Duration.ofDays(8);
    private static final int BATCH = 5_000;
    /** How long a queue must stand before the completions measure what a worker really serves. */
    static final Duration SATURATION = Duration.ofSeconds(30);
    /** How long an observed capacity stands without a new saturation to confirm it. */
    static final Duration OBSERVED_TTL = Duration.ofMinutes(10);

    /** One endpoint's decision in a pass, and whether it changed the desired count. */
    public record Outcome(long endpointId, String endpoint, Decision decision, boolean acted) {}

    private final Database db;
    private final InstantSource clock;
    private final Duration interval;
    private final LongConsumer onChange;
    private final MeterRegistry registry;
    private final MultiGauge desiredGauge;
    private final MultiGauge activeGauge;
    private final MultiGauge rateGauge;
    private final MultiGauge queuedGauge;
    private final MultiGauge forecastGauge;
    private final EndpointRepo endpoints = new EndpointRepo();
    private final WorkerRepo workers = new WorkerRepo();
    private final LoadRepo load = new LoadRepo();
    private final LeadTimeEstimator leadTimes = new LeadTimeEstimator();
    private final Map<Long, State> states = new HashMap<>();
    private long lastRow = -1;
    private Instant lastPrune = Instant.MIN;

    /** A replica's last reported in-flight and queued requests, and when this autoscaler read them. */
    private record Carried(int inFlight, int queued, Instant seenAt) {}

    /** Intervals without a row after which a replica's carried counts are dropped. */
    static final int REPLICA_SILENCE = 3;

    /** One endpoint's policy and what it has seen. */
    private static final class State {
        final String policyName;
        final ScalingPolicy policy;
        final LoadHistory history;
        /**
         * Each replica's last in-flight and queued counts, carried until it writes again. A busy
         * replica writes every interval, so one silent for {@link #REPLICA_SILENCE} intervals is
         * gone (or stuck) and its counts no longer hold.
         */
        final Map<String, Carried> replicas = new HashMap<>();
        final Set<Long> observed = new HashSet<>();
        Instant lastSample;
        double lastRps;
        /** Since when a queue has stood with a worker ready (null: not now), and what it saw since. */
        Instant saturatedSince;
        long saturatedCompleted;
        double saturatedWorkerSeconds;
        double observedRps;
        Instant observedAt;

        State(String policyName, ScalingPolicy policy, LoadHistory history) {
            this.policyName = policyName;
            this.policy = policy;
            this.history = history;
        }
    }

    /**
     * @param interval how often {@link #tick} runs (sizes the load history)
     * @param onChange told when a pass changed an endpoint's desired count (the reconciler acts)
     */
    public Autoscaler(Database db, InstantSource clock, Duration interval, LongConsumer onChange, MeterRegistry registry) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.onChange = requireNonNull(onChange, "onChange is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.desiredGauge = MultiGauge.builder("flotilla_endpoint_desired_workers")
                .description("Workers the endpoint's policy wants serving (lease holder only)").register(registry);
        this.activeGauge = MultiGauge.builder("flotilla_endpoint_active_workers")
                .description("Ready and starting workers the policy saw").register(registry);
        this.rateGauge = MultiGauge.builder("flotilla_endpoint_arrival_rate")
                .description("Arrivals over the stable window, requests/s").register(registry);
        this.queuedGauge = MultiGauge.builder("flotilla_endpoint_queued")
                .description("Requests waiting in the gateways' queues").register(registry);
        this.forecastGauge = MultiGauge.builder("flotilla_endpoint_forecast_rate")
                .description("The predictive policy's p90 forecast over its lead time, requests/s").register(registry);
    }

    /** Forgets every policy's state (the lease went to another replica, which has its own). */
    public void reset() {
        states.clear();
        lastRow = -1;
    }

    /** One pass over every endpoint with a policy; answers each decision. */
    public List<Outcome> tick() {
        Instant now = clock.instant();
        List<Outcome> outcomes = new ArrayList<>();
        List<Long> changed = new ArrayList<>();
        db.inTransaction(c -> {
            if (lastRow < 0) {
                // A new holder starts with the last interval's rows (this pass's own included):
                // older ones are the previous holder's past, which its policies already acted on.
                lastRow = load.lastIdBefore(c, now.minus(interval));
            }
            Map<Long, List<LoadRepo.Sample>> rows = new HashMap<>();
            List<LoadRepo.Sample> batch;
            do {
                batch = load.after(c, lastRow, BATCH);
                for (LoadRepo.Sample s : batch) {
                    rows.computeIfAbsent(s.endpointId(), k -> new ArrayList<>()).add(s);
                    lastRow = s.id();
                }
            } while (batch.size() == BATCH);

            Map<Long, List<Worker>> live = new HashMap<>();
            for (Worker w : workers.live(c)) {
                w.endpointId().ifPresent(id -> live.computeIfAbsent(id, k -> new ArrayList<>()).add(w));
            }
            Set<Long> seen = new HashSet<>();
            for (EndpointRepo.Row e : endpoints.all(c)) {
                seen.add(e.id());
                if (e.scaling().policy().equals("manual")) {
                    states.remove(e.id());
                    continue;
                }
                State st = states.get(e.id());
                if (st == null || !st.policyName.equals(e.scaling().policy())) {
                    st = newState(c, e, now);
                    states.put(e.id(), st);
                }
                Optional<Outcome> o;
                try {
                    o = decide(c, e, st, rows.getOrDefault(e.id(), List.of()), live.getOrDefault(e.id(), List.of()), now);
                } catch (RuntimeException bug) {
                    // One endpoint's failure must not stop the others from scaling; its state restarts.
                    LOG.error("autoscaling endpoint {} failed; its policy starts over at the next pass", e.name(), bug);
                    states.remove(e.id());
                    continue;
                }
                o.ifPresent(outcomes::add);
                o.filter(Outcome::acted).ifPresent(x -> changed.add(x.endpointId()));
            }
            states.keySet().retainAll(seen);
            if (Duration.between(lastPrune, now).compareTo(Duration.ofHours(1)) >= 0 || lastPrune.isAfter(now)) {
                lastPrune = now;
                load.prune(c, now.minus(RETENTION));
            }
            return null;
        });
        changed.forEach(onChange::accept);
        publish(outcomes);
        return outcomes;
    }

    /** The pass's decisions as Prometheus metrics, one series per endpoint (stale endpoints drop out). */
    private void publish(List<Outcome> outcomes) {
        List<MultiGauge.Row<?>> desired = new ArrayList<>();
        List<MultiGauge.Row<?>> active = new ArrayList<>();
        List<MultiGauge.Row<?>> rate = new ArrayList<>();
        List<MultiGauge.Row<?>> queued = new ArrayList<>();
        List<MultiGauge.Row<?>> forecast = new ArrayList<>();
        for (Outcome o : outcomes) {
            Tags tags = Tags.of("endpoint_id", Long.toString(o.endpointId()), "endpoint", o.endpoint());
            Decision d = o.decision();
            desired.add(MultiGauge.Row.of(tags, d.desiredActive()));
            active.add(MultiGauge.Row.of(tags, d.inputs().currentActive()));
            rate.add(MultiGauge.Row.of(tags, d.inputs().stableRate()));
            queued.add(MultiGauge.Row.of(tags, d.inputs().queued()));
            d.forecast().ifPresent(f -> forecast.add(MultiGauge.Row.of(tags, f.upper())));
            Counter.builder("flotilla_autoscaler_decisions").description("Scaling decisions by mode; acted = changed the count")
                    .tags(tags.and("mode", d.mode().name().toLowerCase(java.util.Locale.ROOT), "acted",
                            Boolean.toString(o.acted())))
                    .register(registry).increment();
        }
        desiredGauge.register(desired, true);
        activeGauge.register(active, true);
        rateGauge.register(rate, true);
        queuedGauge.register(queued, true);
        forecastGauge.register(forecast, true);
    }

    private State newState(java.sql.Connection c, EndpointRepo.Row e, Instant now) throws java.sql.SQLException {
        // Sized for samples at least every second: tests call tick() by hand under a long interval.
        Duration sampling = interval.compareTo(Duration.ofSeconds(1)) < 0 ? interval : Duration.ofSeconds(1);
        LoadHistory history = LoadHistory.covering(ScalingSettings.DEFAULT_STABLE_WINDOW.multipliedBy(2), sampling);
        String name = e.scaling().policy();
        if (name.equals("predictive")) {
            Forecaster forecaster = new Forecaster();
            // Whole minutes only: the minute in progress is fed from the live samples instead.
            Instant thisMinute = Instant.ofEpochSecond(now.getEpochSecond() / 60 * 60);
            for (LoadRepo.Minute m : load.minutes(c, e.id(), now.minus(RETENTION))) {
                Instant end = m.start().plusSeconds(60);
                if (!end.isAfter(thisMinute)) {
                    forecaster.observe(LoadSample.arrivals(end, m.arrivals(), Duration.ofMinutes(1)).withTokens(m.tokens()));
                }
            }
            LeadTimeEstimator.Key key = leadKey(e);
            return new State(name, new PredictivePolicy(forecaster, () -> leadTimes.leadTime(key)), history);
        }
        return new State(name, new ReactivePolicy(), history);
    }

    private static LeadTimeEstimator.Key leadKey(EndpointRepo.Row e) {
        return new LeadTimeEstimator.Key("any", e.backend() + ":" + e.model());
    }

    private Optional<Outcome> decide(java.sql.Connection c, EndpointRepo.Row e, State st, List<LoadRepo.Sample> rows,
            List<Worker> live, Instant now) throws java.sql.SQLException {
        if (st.lastSample != null && !now.isAfter(st.lastSample)) {
            return Optional.empty(); // the clock has not moved (a test's fake clock): nothing new to decide
        }
        long arrivals = 0;
        long tokens = 0;
        long completed = 0;
        for (LoadRepo.Sample s : rows) {
            arrivals += s.arrivals();
            tokens += s.tokens();
            completed += s.completed();
            st.replicas.put(s.replica(), new Carried(s.inFlight(), s.queued(), now));
        }
        Instant silentSince = now.minus(interval.multipliedBy(REPLICA_SILENCE));
        st.replicas.values().removeIf(r -> r.seenAt().isBefore(silentSince));
        int inFlight = 0;
        int queued = 0;
        for (Carried r : st.replicas.values()) {
            inFlight += r.inFlight();
            queued += r.queued();
        }
        Duration span = st.lastSample == null ? interval : Duration.between(st.lastSample, now);
        st.lastSample = now;
        st.history.add(new LoadSample(now, arrivals, span, inFlight, queued, tokens));

        int active = 0;
        int ready = 0;
        double rps = 0;
        int measured = 0;
        for (Worker w : live) {
            if (w.state().active()) {
                active++;
            }
            if (w.state() == WorkerRepo.State.READY) {
                ready++;
                if (w.requestsPerSecond() > 0) {
                    rps += w.requestsPerSecond();
                    measured++;
                }
            }
            // A start measured as zero (clock granularity) teaches nothing; the estimator refuses it.
            if (w.readyAt().isPresent() && st.observed.add(w.id()) && w.readyAt().get().isAfter(w.createdAt())) {
                leadTimes.observe(leadKey(e), w.createdAt(), w.readyAt().get());
            }
        }
        if (measured > 0) {
            st.lastRps = rps / measured;
        }
        observeSaturation(st, now, span, completed, queued, ready);
        double benchmark = st.lastRps > 0 ? st.lastRps : UNMEASURED_RPS;
        boolean observed = st.observedAt != null && Duration.between(st.observedAt, now).compareTo(OBSERVED_TTL) < 0
                && (st.lastRps <= 0 || st.observedRps < st.lastRps);
        double perWorkerRps = observed ? st.observedRps : benchmark;

        ScalingSettings settings;
        try {
            settings = EndpointScaling.settings(e);
        } catch (FlotillaException bad) {
            // Validated on every write, so only a hand-edited row gets here; say so where it shows.
            LOG.warn("endpoint {} has contradictory scaling settings; not scaling it: {}", e.name(), bad.getMessage());
            endpoints.setScaleNote(c, e.id(), "scaling settings contradict each other: " + bad.getMessage());
            return Optional.empty();
        }
        Decision d = st.policy.decide(now, st.history, active, perWorkerRps, settings);
        int desired = settings.clamp(d.desiredActive());
        boolean acted = !e.scaling().advisory() && desired != e.desiredWorkers();
        if (acted) {
            endpoints.setDesired(c, e.id(), desired);
            LOG.info("endpoint {}: {} -> {} workers ({})", e.name(), e.desiredWorkers(), desired, d.reason());
        }
        // The cold reserve follows the decision too; it changes workers only at the next scale-down
        // (parking) or scale-up (resuming), so it is not an action of its own.
        if (!e.scaling().advisory() && d.desiredCold() != e.desiredCold()) {
            endpoints.setDesiredCold(c, e.id(), d.desiredCold());
        }
        Optional<Duration> lead = st.policy instanceof PredictivePolicy ? Optional.of(leadTimes.leadTime(leadKey(e)))
                : Optional.empty();
        endpoints.setScaleDecision(c, e.id(), json(d, e, desired, acted, lead, benchmark,
                observed ? Optional.of(st.observedRps) : Optional.empty()));
        return Optional.of(new Outcome(e.id(), e.name(), d, acted));
    }

    /**
     * Under a standing queue with a worker ready, completions per ready-worker-second are what a
     * worker really serves for this workload; measured over {@link #SATURATION} at a time.
     */
    private static void observeSaturation(State st, Instant now, Duration span, long completed, int queued, int ready) {
        if (queued == 0 || ready == 0) {
            st.saturatedSince = null;
            return;
        }
        if (st.saturatedSince == null) {
            st.saturatedSince = now; // this interval's completions may predate the queue: start after it
            st.saturatedCompleted = 0;
            st.saturatedWorkerSeconds = 0;
            return;
        }
        st.saturatedCompleted += completed;
        st.saturatedWorkerSeconds += ready * (span.toMillis() / 1000.0);
        if (Duration.between(st.saturatedSince, now).compareTo(SATURATION) >= 0 && st.saturatedWorkerSeconds > 0) {
            st.observedRps = Math.max(st.saturatedCompleted / st.saturatedWorkerSeconds, 0.01);
            st.observedAt = now;
            st.saturatedSince = now;
            st.saturatedCompleted = 0;
            st.saturatedWorkerSeconds = 0;
        }
    }

    /** The decision as {@code flotilla endpoint show} and the API show it. */
    static String json(Decision d, EndpointRepo.Row e, int desired, boolean acted, Optional<Duration> leadTime,
            double benchmarkRps, Optional<Double> observedRps) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("at", d.at().toString());
        m.put("policy", e.scaling().policy());
        m.put("advisory", e.scaling().advisory());
        m.put("mode", d.mode().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        m.put("desired_workers", desired);
        m.put("desired_cold", d.desiredCold());
        m.put("acted", acted);
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("active_workers", d.inputs().currentActive());
        in.put("stable_rate", round(d.inputs().stableRate()));
        in.put("panic_rate", round(d.inputs().panicRate()));
        in.put("queued", d.inputs().queued());
        in.put("per_worker_rps", round(d.inputs().perWorkerRps()));
        in.put("benchmark_rps", round(benchmarkRps));
        in.put("observed_rps", observedRps.map(Autoscaler::round).orElse(null));
        m.put("inputs", in);
        m.put("forecast", d.forecast().map(f -> {
            Map<String, Object> fm = new LinkedHashMap<>();
            fm.put("from", f.from().toString());
            fm.put("horizon_s", f.horizon().toMillis() / 1000.0);
            fm.put("mean", round(f.mean()));
            fm.put("peak", round(f.peak()));
            fm.put("upper", round(f.upper()));
            return fm;
        }).orElse(null));
        m.put("lead_time_s", leadTime.map(l -> l.toMillis() / 1000.0).orElse(null));
        String reason = d.reason();
        m.put("reason", reason);
        try {
            String out = JSON.writeValueAsString(m);
            if (out.length() > 4000) {
                m.put("reason", reason.substring(0, Math.max(0, reason.length() - (out.length() - 4000) - 3)) + "...");
                out = JSON.writeValueAsString(m);
            }
            return out;
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot write a scale decision as JSON", ex);
        }
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
