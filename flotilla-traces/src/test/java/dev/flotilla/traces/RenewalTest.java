package dev.flotilla.traces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RenewalTest {
    @Test
    void logGammaMatchesKnownValues() {
        assertThat(Renewal.logGamma(1)).isCloseTo(0, within(1e-13));
        assertThat(Renewal.logGamma(5)).isCloseTo(Math.log(24), within(1e-13));
        assertThat(Renewal.logGamma(0.5)).isCloseTo(Math.log(Math.sqrt(Math.PI)), within(1e-13));
        assertThat(Renewal.logGamma(101)).isCloseTo(363.73937555556347, within(1e-9)); // ln(100!)
    }

    @Test
    void gammaDrawsHaveMeanAndVarianceK() {
        for (double k : new double[] {0.05, 0.3, 1, 2.5, 50}) {
            Renewal.GammaSampler g = new Renewal.GammaSampler(k);
            SplittableRandom r = new SplittableRandom(1);
            int n = 400_000;
            double sum = 0;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                double x = g.sample(r);
                sum += x;
                sq += x * x;
            }
            double mean = sum / n;
            double var = sq / n - mean * mean;
            assertThat(mean).as("mean of Gamma(%s)", k).isCloseTo(k, within(0.02 * k));
            assertThat(var).as("variance of Gamma(%s)", k).isCloseTo(k, within(0.1 * k));
        }
    }

    @Test
    void gapsAverageOneOverTheRateAndKeepTheFittedShapesCv() {
        // Gamma(k): cv = 1/sqrt(k); Weibull(k): cv^2 = Gamma(1+2/k)/Gamma(1+1/k)^2 - 1; Exponential: 1
        assertGaps(new Renewal(Renewal.Kind.GAMMA, 0.25, 4.0), 0.25, 2.0);
        assertGaps(new Renewal(Renewal.Kind.GAMMA, 9, 4.0), 0.25, 1 / 3.0);
        assertGaps(new Renewal(Renewal.Kind.WEIBULL, 0.5, 10.0), 0.1, Math.sqrt(5));
        assertGaps(new Renewal(Renewal.Kind.WEIBULL, 2, 10.0), 0.1, Math.sqrt(4 / Math.PI - 1));
        assertGaps(new Renewal(Renewal.Kind.EXPONENTIAL, 1, 0.5), 2.0, 1.0);
    }

    private static void assertGaps(Renewal renewal, double mean, double cv) {
        SplittableRandom r = new SplittableRandom(7);
        int n = 400_000;
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double g = renewal.gap(r);
            sum += g;
            sq += g * g;
        }
        double m = sum / n;
        double sd = Math.sqrt(sq / n - m * m);
        assertThat(m).isCloseTo(mean, within(0.02 * mean));
        assertThat(sd / m).isCloseTo(cv, within(0.06 * cv));
    }

    @Test
    void startingInEquilibriumMakesTheExpectedCountRateTimesLength() {
        // A bursty process (cv 2.2) started with a whole gap at each window start would average
        // about rate * T + (cv^2 - 1) / 2 = 4 arrivals in a window of 2 mean gaps, not 2.
        for (Renewal renewal : new Renewal[] {new Renewal(Renewal.Kind.GAMMA, 0.2, 1.0), new Renewal(Renewal.Kind.WEIBULL, 0.5, 1.0)}) {
            SplittableRandom r = new SplittableRandom(3);
            int windows = 200_000;
            double length = 2.0;
            long count = 0;
            for (int w = 0; w < windows; w++) {
                for (double t = renewal.first(r); t < length; t += renewal.gap(r)) {
                    count++;
                }
            }
            assertThat((double) count / windows).as("mean arrivals per window, shape %s", renewal.shape()).isCloseTo(2.0, within(0.05));
        }
    }
}
