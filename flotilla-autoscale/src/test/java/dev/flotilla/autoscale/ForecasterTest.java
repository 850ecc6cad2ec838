package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.Errors.assertField;
import static dev.flotilla.autoscale.Traffic.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class ForecasterTest {
    private static final Duration TICK = Duration.ofSeconds(10);
    private static final Duration HORIZON = Duration.ofMinutes(5);

    /** 2 req/s at midnight, 18 req/s at noon. */
    static double daily(Instant t) {
        return 10 + 8 * Math.sin(2 * Math.PI * (Traffic.minuteOfDay(t) - 360) / 1440);
    }

    /** Mean of {@code rate} over {@code [from, from + d]}, by the same 10 s points the forecast uses. */
    static double truth(ToDoubleFunction<Instant> rate, Instant from, Duration d) {
        int n = (int) (d.toSeconds() / 10);
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            sum += rate.applyAsDouble(from.plusSeconds(10L * i)) * (i == 0 || i == n ? 0.5 : 1);
        }
        return sum / n;
    }

    /** Poisson arrivals with 5% multiplicative noise on each sample's rate. */
    private static Traffic noisy(long seed, ToDoubleFunction<Instant> rate) {
        java.util.SplittableRandom noise = new java.util.SplittableRandom(seed + 1);
        return new Traffic(seed, Traffic.DAY0, TICK, t -> rate.applyAsDouble(t) * (1 + 0.05 * noise.nextGaussian()));
    }

    private static void feed(Forecaster f, Traffic traffic, Instant until) {
        while (traffic.now().isBefore(until)) {
            f.observe(traffic.next());
        }
    }

    @Test
    void dayThreeOfADailyPatternIsForecastWithinFifteenPercent() {
        Forecaster f = new Forecaster();
        Traffic traffic = noisy(11, ForecasterTest::daily);
        feed(f, traffic, at(2, 0, 0));
        assertThat(f.seasonal()).isTrue();

        double worst = 0;
        double total = 0;
        int n = 0;
        for (Instant t = at(2, 0, 30); t.isBefore(at(3, 0, 0)); t = t.plus(Duration.ofMinutes(30))) {
            feed(f, traffic, t);
            Forecast fc = f.forecast(t, HORIZON);
            double expected = truth(ForecasterTest::daily, t, HORIZON);
            double error = Math.abs(fc.mean() - expected) / expected;
            worst = Math.max(worst, error);
            total += error;
            n++;
            assertThat(fc.upper()).isGreaterThanOrEqualTo(fc.peak()).isGreaterThanOrEqualTo(fc.mean());
            assertThat(fc.from()).isEqualTo(t);
            assertThat(fc.horizon()).isEqualTo(HORIZON);
        }
        assertThat(worst).isLessThan(0.15);
        assertThat(total / n).isLessThan(0.05);
    }

    @Test
    void aBusierDayThanUsualScalesTheWholeProfile() {
        Forecaster f = new Forecaster();
        Traffic traffic = noisy(12, t -> daily(t) * (t.isBefore(at(2, 0, 0)) ? 1 : 1.5));
        feed(f, traffic, at(2, 9, 0));
        for (int hour = 9; hour < 15; hour++) {
            Instant t = at(2, hour, 0);
            feed(f, traffic, t);
            double expected = 1.5 * truth(ForecasterTest::daily, t, HORIZON);
            assertThat(f.forecast(t, HORIZON).mean()).as("at %s", t).isCloseTo(expected, within(0.15 * expected));
        }
    }

    @Test
    void aThinFirstStepDoesNotInflateTheLevelRatioWhenTheProfileTakesOver() {
        // The simulator's first report covers the 10 s before the trace began, with no arrival: a
        // thin sample of 23:59 that once set that profile step to 0 and, at 00:00 a day later, the
        // level ratio against it to 11 (a forecast of 110 req/s for a steady 10).
        Forecaster f = new Forecaster();
        f.observe(LoadSample.arrivals(Traffic.DAY0, 0, Duration.ofSeconds(10)));
        Traffic traffic = Traffic.exact(Traffic.DAY0, Duration.ofSeconds(10), t -> 10);
        while (traffic.now().isBefore(at(1, 0, 1))) {
            f.observe(traffic.next());
        }
        assertThat(f.seasonal()).isTrue();
        assertThat(f.forecast(at(1, 0, 1), Duration.ofMinutes(1)).mean()).isCloseTo(10, within(1.0));
    }

    @Test
    void beforeAFullDayHoltFollowsALinearRamp() {
        Forecaster f = new Forecaster();
        ToDoubleFunction<Instant> ramp = t -> 2 + 0.1 * Duration.between(Traffic.DAY0, t).toSeconds() / 60.0;
        Traffic traffic = Traffic.exact(Traffic.DAY0, TICK, ramp);
        feed(f, traffic, at(0, 2, 0));
        assertThat(f.seasonal()).isFalse();
        Forecast fc = f.forecast(at(0, 2, 0), HORIZON);
        double expected = truth(ramp, at(0, 2, 0), HORIZON); // 14.25 req/s
        assertThat(fc.mean()).isCloseTo(expected, within(0.03 * expected));
        assertThat(fc.peak()).isGreaterThan(fc.mean()); // rising: the end of the horizon is its peak
    }

    @Test
    void theUpperBoundUsesThePriorHeadroomUntilErrorsAreKnown() {
        Forecaster f = new Forecaster();
        Traffic traffic = Traffic.exact(Traffic.DAY0, TICK, t -> 5);
        feed(f, traffic, at(0, 0, 10));
        Forecast early = f.forecast(at(0, 0, 10), HORIZON);
        assertThat(f.errorSamples()).isLessThan(30);
        assertThat(early.upper()).isCloseTo(early.peak() * 1.25, within(1e-9));

        feed(f, traffic, at(0, 2, 0));
        Forecast later = f.forecast(at(0, 2, 0), HORIZON);
        assertThat(f.errorSamples()).isGreaterThanOrEqualTo(30);
        assertThat(later.mean()).isCloseTo(5, within(1e-6));
        assertThat(later.upper()).isCloseTo(later.peak(), within(1e-6)); // a perfect model needs no headroom
    }

    @Test
    void theUpperBoundWidensWithNoise() {
        Forecaster f = new Forecaster();
        feed(f, new Traffic(5, Traffic.DAY0, TICK, t -> 1), at(0, 3, 0));
        Forecast fc = f.forecast(at(0, 3, 0), HORIZON);
        // One-minute counts of Poisson(60) vary by about 13%: the p90 error is well above zero.
        assertThat(fc.upper() / fc.peak()).isBetween(1.05, 1.4);
    }

    @Test
    void missingReportsAreGapsNotZeros() {
        Forecaster f = new Forecaster();
        Traffic before = Traffic.exact(Traffic.DAY0, TICK, t -> 6);
        feed(f, before, at(0, 0, 10));
        Traffic after = Traffic.exact(at(0, 0, 30), TICK, t -> 6);
        feed(f, after, at(0, 0, 40));
        assertThat(f.forecast(at(0, 0, 40), HORIZON).mean()).isCloseTo(6, within(1e-6));
    }

    @Test
    void withoutDataTheForecastIsZero() {
        Forecast fc = new Forecaster().forecast(Traffic.DAY0, HORIZON);
        assertThat(fc.mean()).isZero();
        assertThat(fc.upper()).isZero();
        assertThat(new Forecaster().lastObserved()).isEmpty();
    }

    @Test
    void samplesOutOfOrderAndNegativeHorizonsAreRefused() {
        Forecaster f = new Forecaster();
        f.observe(LoadSample.arrivals(Traffic.DAY0, 1, TICK));
        assertField(() -> f.observe(LoadSample.arrivals(Traffic.DAY0, 1, TICK)), "at");
        assertField(() -> f.forecast(Traffic.DAY0, Duration.ofSeconds(-1)), "horizon");
        assertThat(f.lastObserved()).contains(Traffic.DAY0);
    }

    @Test
    void settingsThatCannotFormADailyProfileAreRefused() {
        ForecastSettings d = ForecastSettings.defaults();
        assertField(() -> d.withProfileWindow(Duration.ofDays(2)), "profile_window");
        assertField(() -> d.withProfileWindow(Duration.ofSeconds(90)), "profile_window"); // not a multiple of 1 min
        assertField(() -> d.withSmoothing(0, 0.3, 0.1), "seasonal_smoothing");
        assertField(() -> d.withSmoothing(0.5, 1.5, 0.1), "level_smoothing");
        assertField(() -> d.withSmoothing(0.5, 0.3, -1), "trend_smoothing");
        assertField(() -> d.withErrorQuantile(1), "error_quantile");
        assertField(() -> new ForecastSettings(Duration.ofMillis(500), Duration.ofMinutes(5), Duration.ofMinutes(10),
                0.5, 0.3, 0.1, Duration.ofHours(6), 0.9, 0.25, 30), "forecast_step");
        assertField(() -> new ForecastSettings(Duration.ofSeconds(7), Duration.ofSeconds(35), Duration.ofSeconds(70),
                0.5, 0.3, 0.1, Duration.ofSeconds(700), 0.9, 0.25, 30), "forecast_step"); // 7 s does not divide a day
        assertField(() -> new ForecastSettings(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(10),
                0.5, 0.3, 0.1, Duration.ofMinutes(20), 0.9, 0.25, 30), "min_error_samples");
        assertThat(d.stepsPerDay()).isEqualTo(1440);
        assertThat(d.profileSteps()).isEqualTo(5);
    }
}
