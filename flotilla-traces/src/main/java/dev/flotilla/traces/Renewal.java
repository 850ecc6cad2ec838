package dev.flotilla.traces;

import java.util.random.RandomGenerator;

/**
 * Inter-arrival times of one client in one ServeGen window: a stationary renewal process whose gaps
 * have the fitted distribution's <em>shape</em> and whose mean is {@code 1 / rate}.
 *
 * <p>Why the fitted scale is not used: ServeGen fits the distribution to a window's gaps, and in
 * sparse windows its mean disagrees with the window's measured rate (in 7% of the m-small Gamma
 * windows by more than 10%, e.g. a mean gap of 30 s at 0.022 req/s). The rate is a count, so it is
 * kept; the shape carries the burstiness (the trace's {@code cv} column equals the fitted shape's
 * CV: {@code 1/sqrt(k)} for Gamma). So a gap is {@code X / E[X] / rate} with X of unit scale:
 * <ul>
 *   <li>Gamma(k): X ~ Gamma(k, 1), E[X] = k;
 *   <li>Weibull(k): X = E^(1/k), E ~ Exp(1), E[X] = Gamma(1 + 1/k);
 *   <li>Exponential: X ~ Exp(1) (a Poisson process; also used for a positive rate without a fit).
 * </ul>
 *
 * <p>The first arrival comes after the equilibrium residual time {@code U * X'} with {@code U}
 * uniform and X' size-biased (Gamma(k+1, 1) for Gamma; Gamma(1 + 1/k, 1)^(1/k) for Weibull;
 * Gamma(2, 1) for Exponential), so the process is stationary from the window's start and the
 * expected count in a window of length T is exactly {@code rate * T} (Cox, <em>Renewal Theory</em>,
 * 1962, §3.3; starting every window afresh with a whole gap would be off by {@code (cv^2 - 1)/2}).
 * Gamma draws: Marsaglia and Tsang, <em>A simple method for generating gamma variables</em>, ACM
 * TOMS 26(3), 2000, with {@code Gamma(k) = Gamma(k+1) * U^(1/k)} for k below 1.
 */
final class Renewal {
    enum Kind {
        GAMMA,
        WEIBULL,
        EXPONENTIAL
    }

    private final Kind kind;
    private final double shape;
    private final double invShape;
    /** log of the factor that turns X into a gap: -ln(E[X] * rate). */
    private final double logScale;
    private final double scale;
    private final GammaSampler gaps;
    private final GammaSampler sizeBiased;

    Renewal(Kind kind, double shape, double rate) {
        this.kind = kind;
        this.shape = shape;
        this.invShape = 1 / shape;
        double logMean = switch (kind) {
            case GAMMA -> Math.log(shape);
            case WEIBULL -> logGamma(1 + invShape);
            case EXPONENTIAL -> 0;
        };
        this.logScale = -logMean - Math.log(rate);
        this.scale = Math.exp(logScale);
        this.gaps = kind == Kind.GAMMA ? new GammaSampler(shape) : null;
        this.sizeBiased = new GammaSampler(switch (kind) {
            case GAMMA -> shape + 1;
            case WEIBULL -> 1 + invShape;
            case EXPONENTIAL -> 2;
        });
    }

    /** Seconds until the next arrival. */
    double gap(RandomGenerator random) {
        return switch (kind) {
            case GAMMA -> gaps.sample(random) * scale;
            // in logs: E^(1/k) overflows for small k long before the scaled gap does
            case WEIBULL -> Math.exp(invShape * Math.log(random.nextExponential()) + logScale);
            case EXPONENTIAL -> random.nextExponential() * scale;
        };
    }

    /** Seconds from the window's start to its first arrival, for a process in equilibrium. */
    double first(RandomGenerator random) {
        double u = random.nextDouble();
        return switch (kind) {
            case GAMMA, EXPONENTIAL -> u * sizeBiased.sample(random) * scale;
            case WEIBULL -> u * Math.exp(invShape * Math.log(sizeBiased.sample(random)) + logScale);
        };
    }

    double shape() {
        return shape;
    }

    /** Gamma(k, 1) draws with the constants of Marsaglia and Tsang computed once. */
    static final class GammaSampler {
        private final double d;
        private final double c;
        private final double boostExponent; // 1/k when k < 1, else 0

        GammaSampler(double k) {
            double kk = k < 1 ? k + 1 : k;
            this.d = kk - 1.0 / 3;
            this.c = 1 / Math.sqrt(9 * d);
            this.boostExponent = k < 1 ? 1 / k : 0;
        }

        double sample(RandomGenerator random) {
            double g;
            while (true) {
                double x = random.nextGaussian();
                double v = 1 + c * x;
                if (v <= 0) {
                    continue;
                }
                v = v * v * v;
                double u = random.nextDouble();
                double x2 = x * x;
                if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) {
                    g = d * v;
                    break;
                }
            }
            if (boostExponent != 0) {
                g *= Math.pow(random.nextDouble(), boostExponent);
            }
            return g;
        }
    }

    private static final double[] LANCZOS = {
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
    };

    /** ln Gamma(x) for x > 0: Lanczos approximation, g = 7, n = 9 (relative error about 1e-15). */
    static double logGamma(double x) {
        if (x < 0.5) {
            // reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
            return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
        }
        x -= 1;
        double a = LANCZOS[0];
        double t = x + 7.5;
        for (int i = 1; i < LANCZOS.length; i++) {
            a += LANCZOS[i] / (x + i);
        }
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }
}
