package dev.flotilla.autoscale;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;

/**
 * Online forecast of one endpoint's arrival rate: a daily profile plus a short-term model, with an
 * upper bound taken from its own recent errors. Pure and deterministic: it learns only from the
 * {@link LoadSample}s it is given, in time order, and reads no clock.
 *
 * <p><b>Steps.</b> Samples are spread over fixed steps ({@code forecast_step}, 1 min, aligned to
 * the epoch; a sample straddling a boundary is split in proportion). A step closes when a later
 * sample arrives; its rate is {@code arrivals / seconds covered}, so missing reports are gaps, not
 * zeros.
 *
 * <p><b>Daily profile.</b> One value per step of the day (UTC; 1,440 at 1 min), smoothed across
 * days when the step closes: {@code P[i] <- P[i] + gamma (x - P[i])}, the first sighting setting
 * {@code P[i] = x}. Forecasts read it through a forward window,
 * {@code S(t) = mean of P over [t, t + profile_window)} (5 min) of the steps seen: per-step noise
 * is damped, and a step up shows in the forecast up to a window early but never late (a centred
 * average would reach a new level only half a window after it began; falling steps show early,
 * and the reactive floor covers the load that is still there). Keeping the profile at step
 * resolution, rather than, say, 144 ten-minute buckets, keeps the level ratio honest where a ramp
 * starts inside a bucket; rate models constant over 600-s windows, as in ServeGen, are held
 * exactly.
 *
 * <p><b>Short term.</b> Holt's linear exponential smoothing on the step rates:
 * {@code L' = alpha x + (1 - alpha)(L + g T)}, {@code T' = beta (L' - L) / g + (1 - beta) T} with
 * {@code g} the steps since the last update; the forecast {@code h} steps ahead is
 * {@code max(0, L + h T)}.
 *
 * <p><b>Combined.</b> For the first day the forecast is Holt's. Once a day has been observed
 * (first to last step) it is {@code r S(t)}, the profile scaled by the recent level ratio
 * {@code r = (sum x c + K) / (sum P c + K)} over the steps of the last {@code level_window}
 * ({@code c}: seconds covered, {@code P}: the profile's value for that very step as it stood when
 * the step closed, {@code K = 0.1 * mean(P) * max(sum c, level_window)}, which pulls {@code r}
 * towards 1 when both sides are tiny or the window holds few steps): a busier or quieter day than usual scales the whole shape. Where no step in a
 * window has been seen (a gap in the data), Holt's forecast fills in.
 *
 * <p><b>Upper bound.</b> Each closed step is first compared with what the model forecast for it
 * before seeing it, {@code f = r P[i]} (or Holt's): {@code e = (x - f) / max(f, 1 request per
 * step)}. The {@code error_quantile}
 * (p90) of the errors over {@code error_window} gives {@code upper = peak (1 + max(0, q))}; until
 * {@code min_error_samples} errors exist, {@code q = prior_headroom}. One-step errors understate
 * errors further ahead; over provisioning lead times of minutes, with the profile doing the long
 * view, the difference is small, and the reactive policy covers surprises.
 *
 * <p>Sources: C. C. Holt, <i>Forecasting seasonals and trends by exponentially weighted moving
 * averages</i> (1957); Hyndman and Athanasopoulos, <i>Forecasting: Principles and Practice</i>,
 * ch. 8 (exponential smoothing, multiplicative seasonality).
 *
 * <p>Not thread-safe: one control loop owns an endpoint's forecaster.
 */
public final class Forecaster {
    private static final long NONE = Long.MIN_VALUE;
    /** Forecast interval points are this far apart, at most {@link #MAX_POINTS} of them. */
    private static final long POINT_SPACING_MS = 10_000;
    private static final int MAX_POINTS = 1440;

    private final ForecastSettings cfg;
    private final long stepMs;
    private final int windowSteps;

    private Instant lastAt;

    private long openStep = NONE;
    private double stepArrivals;
    private double stepCovered;

    private final double[] profile;
    private final boolean[] seen;
    private double profileSum;
    private long firstStep = NONE;

    private boolean holtReady;
    private double level;
    private double trend;
    private long lastStep = NONE;

    // Recent steps for the level ratio: arrivals, covered seconds, profile-expected arrivals.
    private final double[] recentArrivals;
    private final double[] recentCovered;
    private final double[] recentExpected;
    private int recentNext;
    private int recentSize;

    private final double[] errors;
    private int errorNext;
    private int errorSize;
    private double cachedQuantile = Double.NaN;

    public Forecaster(ForecastSettings settings) {
        this.cfg = requireNonNull(settings, "settings is null");
        this.stepMs = settings.step().toMillis();
        this.windowSteps = settings.profileSteps();
        this.profile = new double[settings.stepsPerDay()];
        this.seen = new boolean[settings.stepsPerDay()];
        this.recentArrivals = new double[settings.levelSteps()];
        this.recentCovered = new double[settings.levelSteps()];
        this.recentExpected = new double[settings.levelSteps()];
        this.errors = new double[settings.errorSteps()];
    }

    public Forecaster() {
        this(ForecastSettings.defaults());
    }

    public ForecastSettings settings() {
        return cfg;
    }

    /**
     * Learns from a sample. Samples must come in time order ({@code at} after the last one's), so
     * a sample fed twice is refused instead of counted twice.
     */
    public void observe(LoadSample sample) {
        requireNonNull(sample, "sample is null");
        if (lastAt != null && !sample.at().isAfter(lastAt)) {
            throw FlotillaException.invalid("at", "load sample at " + sample.at()
                    + " is not after the forecaster's last sample at " + lastAt + "; samples must come in time order");
        }
        lastAt = sample.at();
        long end = sample.at().toEpochMilli();
        long start = end - Math.max(1, sample.interval().toMillis());
        double total = sample.arrivals();
        double span = end - start;
        for (long t = start; t < end; ) {
            long k = Math.floorDiv(t, stepMs);
            long segEnd = Math.min(end, (k + 1) * stepMs);
            addToStep(k, total * (segEnd - t) / span, (segEnd - t) / 1000.0);
            t = segEnd;
        }
    }

    /** End of the last sample observed. */
    public Optional<Instant> lastObserved() {
        return Optional.ofNullable(lastAt);
    }

    /** Whether a whole day has been observed, so forecasts follow the daily profile. */
    public boolean seasonal() {
        return firstStep != NONE && (lastStep - firstStep + 1) * stepMs >= ForecastSettings.DAY.toMillis();
    }

    /** Relative forecast errors currently in the window. */
    public int errorSamples() {
        return errorSize;
    }

    /**
     * Forecast of the arrival rate over {@code [from, from + horizon]}: the mean and the peak of
     * point forecasts every 10 s (at most 1,440 points, evenly spread), and the upper bound of the
     * peak. All zero before any step has closed.
     */
    public Forecast forecast(Instant from, Duration horizon) {
        requireNonNull(from, "from is null");
        requireNonNull(horizon, "horizon is null");
        if (horizon.isNegative()) {
            throw FlotillaException.invalid("horizon", "a forecast horizon must not be negative, got " + horizon);
        }
        long a = from.toEpochMilli();
        long h = horizon.toMillis();
        int n = (int) Math.min(MAX_POINTS, Math.max(1, Math.ceilDiv(h, POINT_SPACING_MS)));
        double ratio = seasonal() ? levelRatio() : 1;
        double prev = point(a, ratio);
        double peak = prev;
        double mean = prev;
        if (h > 0) {
            double sum = 0;
            for (int i = 1; i <= n; i++) {
                double v = point(a + h * i / n, ratio);
                sum += (prev + v) / 2; // trapezoid rule
                peak = Math.max(peak, v);
                prev = v;
            }
            mean = Math.min(sum / n, peak); // rounding must not put the mean above the peak
        }
        double q = errorSize >= cfg.minErrorSamples() ? quantile() : cfg.priorHeadroom();
        return new Forecast(from, horizon, mean, peak, peak * (1 + Math.max(0, q)));
    }

    private void addToStep(long k, double arrivals, double covered) {
        if (openStep == NONE) {
            openStep = k;
        }
        if (k > openStep) {
            closeStep(openStep, stepArrivals, stepCovered);
            openStep = k;
            stepArrivals = 0;
            stepCovered = 0;
        }
        // k < openStep only when samples overlap; their excess lands in the open step.
        stepArrivals += arrivals;
        stepCovered += covered;
    }

    private void closeStep(long k, double arrivals, double covered) {
        if (covered <= 0) {
            return;
        }
        double x = arrivals / covered;
        int i = index(k * stepMs);
        double expected = seasonal() && seen[i] ? profile[i] : Double.NaN;
        if (holtReady) {
            double f = Double.isNaN(expected) ? holt(k * stepMs + stepMs / 2) : levelRatio() * expected;
            pushError((x - f) / Math.max(f, 1000.0 / stepMs)); // floor: one request per step
        }

        if (!holtReady) {
            level = x;
            trend = 0;
            holtReady = true;
            firstStep = k;
        } else {
            long g = Math.max(1, k - lastStep);
            double prior = level + g * trend;
            double next = cfg.levelSmoothing() * x + (1 - cfg.levelSmoothing()) * prior;
            trend = cfg.trendSmoothing() * (next - level) / g + (1 - cfg.trendSmoothing()) * trend;
            level = next;
        }
        lastStep = k;

        recentArrivals[recentNext] = arrivals;
        recentCovered[recentNext] = covered;
        recentExpected[recentNext] = Double.isNaN(expected) ? Double.NaN : expected * covered;
        recentNext = (recentNext + 1) % recentArrivals.length;
        recentSize = Math.min(recentSize + 1, recentArrivals.length);

        // Forecasts read forward from now, so today's update is next read tomorrow. A step covered
        // for less than half its length (the first or last of a trace, the edge of a gap) is too
        // thin a sample of its time of day to enter the profile: a 10-s sample of nothing before
        // a trace began once set a profile step to 0, and the level ratio against it to 11.
        if (covered >= stepMs / 2000.0) {
            double old = profile[i];
            profile[i] = seen[i] ? old + cfg.seasonalSmoothing() * (x - old) : x;
            seen[i] = true;
            profileSum += profile[i] - old;
        }
    }

    /** Recent load over what the profile expected for the same steps, shrunk towards 1. */
    private double levelRatio() {
        double actual = 0;
        double expected = 0;
        double covered = 0;
        for (int i = 0; i < recentSize; i++) {
            if (!Double.isNaN(recentExpected[i])) {
                actual += recentArrivals[i];
                expected += recentExpected[i];
                covered += recentCovered[i];
            }
        }
        // The prior weighs as a tenth of a whole level window even while few steps are in it, so
        // that one step just after the profile took over cannot set the ratio alone.
        double k = 0.1 * Math.max(0, profileSum / profile.length) * Math.max(covered, recentArrivals.length * stepMs / 1000.0);
        return expected + k > 0 ? (actual + k) / (expected + k) : 1;
    }

    /** Mean of the profile over the steps seen in {@code [i, i + window)}; NaN when none was seen. */
    private double ahead(int i) {
        double sum = 0;
        int n = 0;
        for (int d = 0; d < windowSteps; d++) {
            int j = (i + d) % profile.length;
            if (seen[j]) {
                sum += profile[j];
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private double point(long t, double ratio) {
        if (!holtReady) {
            return 0;
        }
        if (seasonal()) {
            double s = ahead(index(t));
            if (!Double.isNaN(s)) {
                return Math.max(0, ratio * s);
            }
        }
        return holt(t);
    }

    private double holt(long t) {
        double center = lastStep * stepMs + stepMs / 2.0;
        double h = Math.max(0, (t - center) / stepMs);
        return Math.max(0, level + h * trend);
    }

    private int index(long epochMs) {
        return (int) Math.floorMod(Math.floorDiv(epochMs, stepMs), (long) profile.length);
    }

    private void pushError(double e) {
        errors[errorNext] = e;
        errorNext = (errorNext + 1) % errors.length;
        errorSize = Math.min(errorSize + 1, errors.length);
        cachedQuantile = Double.NaN;
    }

    /** Nearest-rank quantile of the errors in the window. */
    private double quantile() {
        if (Double.isNaN(cachedQuantile)) {
            double[] sorted = Arrays.copyOf(errors, errorSize);
            Arrays.sort(sorted);
            int rank = (int) Math.ceil(cfg.errorQuantile() * errorSize - 1e-9);
            cachedQuantile = sorted[Math.max(0, rank - 1)];
        }
        return cachedQuantile;
    }
}
