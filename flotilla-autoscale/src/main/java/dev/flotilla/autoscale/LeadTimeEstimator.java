package dev.flotilla.autoscale;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Learns how long it takes from asking for a worker to its serving: rental latency plus cold start
 * (download, load, benchmark), measured start-to-ready, per GPU type and model. The predictive
 * policy forecasts over this lead time so that workers are ready when the load arrives.
 *
 * <p>The estimate for a key is the {@code quantile} (p90) of its last {@code window} measurements,
 * nearest rank ({@code sorted[ceil(q n) - 1]}); a high quantile rather than the mean, because a
 * worker that is late costs SLO while one that is early costs only a little money. Until a key has
 * {@code minSamples} measurements the estimate is the {@code prior}. Cold workers resume faster
 * than fresh starts; measure them under their own key (e.g. model {@code "llama-8b (resume)"}).
 *
 * <p>Deterministic; not thread-safe.
 */
public final class LeadTimeEstimator {
    /** What lead time depends on: the GPU type and the model (its size sets the load time). */
    public record Key(String gpuType, String model) {
        public Key {
            if (gpuType == null || gpuType.isBlank()) {
                throw FlotillaException.invalid("gpu_type", "gpu_type must be non-blank in a lead-time key, got '" + gpuType + "'");
            }
            if (model == null || model.isBlank()) {
                throw FlotillaException.invalid("model", "model must be non-blank in a lead-time key, got '" + model + "'");
            }
        }
    }

    public static final Duration DEFAULT_PRIOR = Duration.ofSeconds(60);
    public static final int DEFAULT_MIN_SAMPLES = 5;
    public static final int DEFAULT_WINDOW = 50;
    public static final double DEFAULT_QUANTILE = 0.9;

    private final Duration prior;
    private final int minSamples;
    private final int window;
    private final double quantile;
    private final Map<Key, ArrayDeque<Duration>> samples = new HashMap<>();

    /** Prior 60 s, 5 samples before trusting them, the last 50 kept, p90. */
    public LeadTimeEstimator() {
        this(DEFAULT_PRIOR, DEFAULT_MIN_SAMPLES, DEFAULT_WINDOW, DEFAULT_QUANTILE);
    }

    public LeadTimeEstimator(Duration prior, int minSamples, int window, double quantile) {
        if (prior == null || prior.isNegative() || prior.isZero()) {
            throw FlotillaException.invalid("lead_time_prior", "lead_time_prior must be positive, got " + prior);
        }
        if (window < 1) {
            throw FlotillaException.invalid("lead_time_window", "lead_time_window must be >= 1, got " + window);
        }
        if (minSamples < 1 || minSamples > window) {
            throw FlotillaException.invalid("lead_time_min_samples",
                    "lead_time_min_samples must be in [1, lead_time_window = " + window + "], got " + minSamples);
        }
        if (!(quantile > 0 && quantile <= 1)) {
            throw FlotillaException.invalid("lead_time_quantile", "lead_time_quantile must be in (0, 1], got " + quantile);
        }
        this.prior = prior;
        this.minSamples = minSamples;
        this.window = window;
        this.quantile = quantile;
    }

    /** Records one measured start-to-ready duration; positive. */
    public void observe(Key key, Duration startToReady) {
        requireNonNull(key, "key is null");
        if (startToReady == null || startToReady.isNegative() || startToReady.isZero()) {
            throw FlotillaException.invalid("start_to_ready",
                    "start_to_ready (a measured start-to-ready duration) must be positive, got " + startToReady);
        }
        ArrayDeque<Duration> d = samples.computeIfAbsent(key, k -> new ArrayDeque<>());
        if (d.size() == window) {
            d.pollFirst();
        }
        d.addLast(startToReady);
    }

    /** Records a worker asked for at {@code requested} and ready at {@code ready}. */
    public void observe(Key key, Instant requested, Instant ready) {
        requireNonNull(requested, "requested is null");
        requireNonNull(ready, "ready is null");
        observe(key, Duration.between(requested, ready));
    }

    /** The lead time to plan with for {@code key}: the prior until enough samples, then their p90. */
    public Duration leadTime(Key key) {
        requireNonNull(key, "key is null");
        ArrayDeque<Duration> d = samples.get(key);
        if (d == null || d.size() < minSamples) {
            return prior;
        }
        Duration[] sorted = d.toArray(Duration[]::new);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(quantile * sorted.length - 1e-9); // 0.9 * 20 must rank 18, not 19
        return sorted[Math.max(0, rank - 1)];
    }

    /** Measurements held for {@code key}. */
    public int samples(Key key) {
        ArrayDeque<Duration> d = samples.get(requireNonNull(key, "key is null"));
        return d == null ? 0 : d.size();
    }

    public Duration prior() {
        return prior;
    }
}
