package dev.flotilla.sim;

import static java.util.Objects.requireNonNull;

import dev.flotilla.autoscale.Decision;
import dev.flotilla.autoscale.Forecast;
import dev.flotilla.autoscale.Forecaster;
import dev.flotilla.autoscale.LeadTimeEstimator;
import dev.flotilla.autoscale.LoadHistory;
import dev.flotilla.autoscale.LoadSample;
import dev.flotilla.autoscale.PredictivePolicy;
import dev.flotilla.autoscale.PredictiveSettings;
import dev.flotilla.autoscale.ReactivePolicy;
import dev.flotilla.autoscale.ScalingPolicy;
import dev.flotilla.autoscale.ScalingSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The production scaling policies ({@code flotilla-autoscale}) driven by the simulator exactly as
 * the control plane drives them: one {@link LoadSample} per tick into a {@link LoadHistory}, one
 * {@link Decision} per tick, the lead time learnt from the simulated start-to-ready times. Virtual
 * time 0 is a UTC midnight, so a trace's days line up with the forecaster's time of day.
 */
public final class PolicyScaler implements Scaler {
    private static final LeadTimeEstimator.Key KEY = new LeadTimeEstimator.Key("sim", "sim");

    private final ScalingPolicy policy;
    private final ScalingSettings settings;
    private final LoadHistory history;
    private final LeadTimeEstimator leadTimes;
    private final List<Decision> decisions = new ArrayList<>();

    private PolicyScaler(ScalingPolicy policy, ScalingSettings settings, Duration tick, LeadTimeEstimator leadTimes) {
        this.policy = requireNonNull(policy, "policy is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.history = LoadHistory.covering(settings.stableWindow().multipliedBy(2), tick);
        this.leadTimes = leadTimes;
    }

    public static PolicyScaler reactive(ScalingSettings settings, Duration tick) {
        return new PolicyScaler(new ReactivePolicy(), settings, tick, new LeadTimeEstimator());
    }

    public static PolicyScaler predictive(ScalingSettings settings, Duration tick) {
        return predictive(settings, tick, PredictiveSettings.defaults());
    }

    public static PolicyScaler predictive(ScalingSettings settings, Duration tick, PredictiveSettings tunables) {
        LeadTimeEstimator estimator = new LeadTimeEstimator();
        return new PolicyScaler(new PredictivePolicy(new Forecaster(), () -> estimator.leadTime(KEY), tunables), settings,
                tick, estimator);
    }

    @Override
    public String name() {
        return policy.name();
    }

    @Override
    public int desiredWorkers(Observation o, List<SimRequest> trace) {
        Instant now = Instant.EPOCH.plusNanos(o.nowMicros() * 1000);
        history.add(LoadSample.of(now, o.arrivals(), o.tick(), o.inFlight(), o.queued()));
        Decision d = policy.decide(now, history, o.ready(), o.perWorkerRps(), settings);
        decisions.add(d);
        return d.desiredActive();
    }

    @Override
    public void workerReady(long requestedMicros, long readyMicros) {
        leadTimes.observe(KEY, Duration.ofNanos((readyMicros - requestedMicros) * 1000));
    }

    @Override
    public Optional<Forecast> lastForecast() {
        return decisions.isEmpty() ? Optional.empty() : decisions.getLast().forecast();
    }

    /** Every decision with its reason, in order (the simulator's advisory log). */
    public List<Decision> decisions() {
        return List.copyOf(decisions);
    }
}
