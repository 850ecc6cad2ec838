package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.LoadSample.seconds;
import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * One endpoint's recent {@link LoadSample}s in a bounded ring, with the window queries both
 * policies use. Pure: the caller adds samples in time order and passes {@code now} to every query.
 *
 * <p><b>Windows.</b> A query over {@code window} looks at {@code (now - window, now]}. A sample
 * that straddles the window's start counts in proportion to its overlap (arrivals are assumed
 * spread evenly over the sample's interval). Averages divide by the time the samples actually
 * cover inside the window, not by the window: a history shorter than the window (a fresh endpoint)
 * or with gaps (a missed report) reads as the rate over what was seen, rather than as a dip.
 *
 * <p><b>Inactivity</b> outlives the ring: the last arrival and the last activity are kept apart
 * from the samples, so a small ring still times a long {@code inactivity_timeout} correctly.
 *
 * <p>Not thread-safe: one control loop owns an endpoint's history.
 */
public final class LoadHistory {
    private final LoadSample[] ring;
    private int next;
    private int size;
    private Instant firstStart;
    private Instant lastArrival;
    private Instant lastActive;

    /** A ring of at most {@code capacity} samples; positive. */
    public LoadHistory(int capacity) {
        if (capacity <= 0) {
            throw FlotillaException.invalid("capacity", "capacity must be at least 1 sample, got " + capacity);
        }
        this.ring = new LoadSample[capacity];
    }

    /**
     * A ring large enough for {@code span} of samples taken every {@code sampleInterval}, plus
     * one for the sample straddling the span's start. For the reactive policy the span is the
     * stable window.
     */
    public static LoadHistory covering(Duration span, Duration sampleInterval) {
        requireNonNull(span, "span is null");
        requireNonNull(sampleInterval, "sampleInterval is null");
        if (sampleInterval.isNegative() || sampleInterval.isZero()) {
            throw FlotillaException.invalid("sample_interval", "sample_interval must be positive, got " + sampleInterval);
        }
        long n = Math.ceilDiv(span.toNanos(), sampleInterval.toNanos()) + 1;
        if (n > 10_000_000) {
            throw FlotillaException.invalid("sample_interval", "a history of " + span + " sampled every "
                    + sampleInterval + " needs " + n + " samples; at most 10,000,000 are accepted");
        }
        return new LoadHistory((int) Math.max(1, n));
    }

    /**
     * Appends a sample; its {@code at} must be after the previous sample's, so that a report
     * delivered twice is refused instead of counted twice.
     */
    public void add(LoadSample sample) {
        requireNonNull(sample, "sample is null");
        latest().ifPresent(last -> {
            if (!sample.at().isAfter(last.at())) {
                throw FlotillaException.invalid("at", "load sample at " + sample.at()
                        + " is not after the previous sample at " + last.at() + "; samples must come in time order");
            }
        });
        if (firstStart == null) {
            firstStart = sample.start();
        }
        if (sample.arrivals() > 0) {
            lastArrival = sample.at();
        }
        if (sample.active()) {
            lastActive = sample.at();
        }
        ring[next] = sample;
        next = (next + 1) % ring.length;
        size = Math.min(size + 1, ring.length);
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return ring.length;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public Optional<LoadSample> latest() {
        return size == 0 ? Optional.empty() : Optional.of(ring[Math.floorMod(next - 1, ring.length)]);
    }

    /** The samples held, oldest first. */
    public List<LoadSample> samples() {
        List<LoadSample> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(get(i));
        }
        return List.copyOf(out);
    }

    /** The samples held that end after {@code t}, oldest first. */
    public List<LoadSample> samplesAfter(Instant t) {
        requireNonNull(t, "t is null");
        int first = size;
        while (first > 0 && get(first - 1).at().isAfter(t)) {
            first--;
        }
        List<LoadSample> out = new ArrayList<>(size - first);
        for (int i = first; i < size; i++) {
            out.add(get(i));
        }
        return List.copyOf(out);
    }

    /** End of the last sample with an arrival, even if it has left the ring. */
    public Optional<Instant> lastArrival() {
        return Optional.ofNullable(lastArrival);
    }

    /** End of the last sample with an arrival, or anything in flight or queued. */
    public Optional<Instant> lastActive() {
        return Optional.ofNullable(lastActive);
    }

    /** Start of the first sample ever added. */
    public Optional<Instant> firstStart() {
        return Optional.ofNullable(firstStart);
    }

    /**
     * How long the endpoint has been idle at {@code now}: zero while the latest sample shows
     * activity (or there is no sample), else the time since the last activity, or since the first
     * sample's start when there never was any.
     */
    public Duration idleFor(Instant now) {
        requireNonNull(now, "now is null");
        Optional<LoadSample> last = latest();
        if (last.isEmpty() || last.get().active()) {
            return Duration.ZERO;
        }
        Instant since = lastActive != null ? lastActive : firstStart;
        Duration d = Duration.between(since, now);
        return d.isNegative() ? Duration.ZERO : d;
    }

    /** Mean arrival rate over the window, requests/s; 0 when no sample covers it. */
    public double rate(Instant now, Duration window) {
        return weighted(now, window, s -> s.rate());
    }

    /** Highest single-sample arrival rate in the window, requests/s; 0 when none. */
    public double maxRate(Instant now, Duration window) {
        Instant from = windowStart(now, window);
        double max = 0;
        for (int i = size - 1; i >= 0; i--) {
            LoadSample s = get(i);
            if (!s.at().isAfter(from)) {
                break;
            }
            if (overlapSeconds(s, from, now) > 0) {
                max = Math.max(max, s.rate());
            }
        }
        return max;
    }

    /** Time-weighted mean of requests in flight over the window; 0 when none. */
    public double meanInFlight(Instant now, Duration window) {
        return weighted(now, window, LoadSample::inFlight);
    }

    /** Time-weighted mean of queued requests over the window; 0 when none. */
    public double meanQueued(Instant now, Duration window) {
        return weighted(now, window, LoadSample::queued);
    }

    /** Mean token rate over the window, tokens/s; 0 when none (or not counted). */
    public double tokenRate(Instant now, Duration window) {
        return weighted(now, window, s -> s.tokens() / seconds(s.interval()));
    }

    /** Seconds of the window covered by samples. */
    public double coveredSeconds(Instant now, Duration window) {
        Instant from = windowStart(now, window);
        double covered = 0;
        for (int i = size - 1; i >= 0; i--) {
            LoadSample s = get(i);
            if (!s.at().isAfter(from)) {
                break;
            }
            covered += overlapSeconds(s, from, now);
        }
        return covered;
    }

    private double weighted(Instant now, Duration window, ToDoubleFunction<LoadSample> value) {
        Instant from = windowStart(now, window);
        double sum = 0;
        double covered = 0;
        for (int i = size - 1; i >= 0; i--) {
            LoadSample s = get(i);
            if (!s.at().isAfter(from)) {
                break; // samples are in time order: everything older is outside too
            }
            double overlap = overlapSeconds(s, from, now);
            sum += value.applyAsDouble(s) * overlap;
            covered += overlap;
        }
        return covered > 0 ? sum / covered : 0;
    }

    private static Instant windowStart(Instant now, Duration window) {
        requireNonNull(now, "now is null");
        requireNonNull(window, "window is null");
        if (window.isNegative() || window.isZero()) {
            throw FlotillaException.invalid("window", "a query window must be positive, got " + window);
        }
        return now.minus(window);
    }

    private static double overlapSeconds(LoadSample s, Instant from, Instant to) {
        Instant a = s.start().isAfter(from) ? s.start() : from;
        Instant b = s.at().isBefore(to) ? s.at() : to;
        return b.isAfter(a) ? seconds(Duration.between(a, b)) : 0;
    }

    private LoadSample get(int i) {
        return ring[Math.floorMod(next - size + i, ring.length)];
    }
}
