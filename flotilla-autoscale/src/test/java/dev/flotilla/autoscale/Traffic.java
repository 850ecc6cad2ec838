package dev.flotilla.autoscale;

import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Synthetic load, one sample per tick: seeded Poisson arrivals from a rate function of time, or
 * exact arrivals (the rate times the tick, with the fraction carried over) where a test needs
 * round numbers.
 */
final class Traffic {
    /** A Monday at midnight UTC, so time-of-day buckets line up with the hours the tests name. */
    static final Instant DAY0 = Instant.parse("2026-01-05T00:00:00Z");

    private final SplittableRandom random;
    private final ToDoubleFunction<Instant> rate;
    private final Duration tick;
    private final boolean exact;
    private double carry;
    private Instant now;

    Traffic(long seed, Instant start, Duration tick, ToDoubleFunction<Instant> rate) {
        this(seed, start, tick, rate, false);
    }

    private Traffic(long seed, Instant start, Duration tick, ToDoubleFunction<Instant> rate, boolean exact) {
        this.random = new SplittableRandom(seed);
        this.now = start;
        this.tick = tick;
        this.rate = rate;
        this.exact = exact;
    }

    static Traffic exact(Instant start, Duration tick, ToDoubleFunction<Instant> rate) {
        return new Traffic(0, start, tick, rate, true);
    }

    Instant now() {
        return now;
    }

    /** The next tick's sample: arrivals drawn for the rate at the tick's middle. */
    LoadSample next() {
        Instant end = now.plus(tick);
        double mean = rate.applyAsDouble(now.plus(tick.dividedBy(2))) * LoadSample.seconds(tick);
        now = end;
        if (exact) {
            carry += mean;
            long n = (long) Math.floor(carry + 1e-9);
            carry -= n;
            return LoadSample.arrivals(end, n, tick);
        }
        return LoadSample.arrivals(end, poisson(mean), tick);
    }

    long poisson(double mean) {
        if (mean <= 0) {
            return 0;
        }
        if (mean > 50) {
            return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.nextGaussian()));
        }
        double limit = Math.exp(-mean);
        double p = random.nextDouble();
        long k = 0;
        while (p > limit) {
            p *= random.nextDouble();
            k++;
        }
        return k;
    }

    static Instant at(int day, int hour, int minute) {
        return DAY0.plus(Duration.ofDays(day)).plus(Duration.ofHours(hour)).plus(Duration.ofMinutes(minute));
    }

    /** Minutes since midnight UTC of {@code t}, fractional. */
    static double minuteOfDay(Instant t) {
        return Math.floorMod(t.toEpochMilli(), 86_400_000L) / 60_000.0;
    }
}
