package dev.flotilla.engine;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;

/**
 * A steady workload: mean prompt and completion lengths in tokens, the mean arrival rate, and the
 * coefficient of variation of inter-arrival times ({@code burstinessCv}: 1 for Poisson arrivals,
 * 0 for a metronome, above 1 for bursty traffic).
 */
public record Load(double meanInputTokens, double meanOutputTokens, double requestsPerSecond, double burstinessCv) {
    public Load {
        atLeast("mean_input_tokens", meanInputTokens, 1, "a prompt has at least one token");
        atLeast("mean_output_tokens", meanOutputTokens, 1, "a completion has at least one token");
        atLeast("requests_per_second", requestsPerSecond, 0, "a rate cannot be negative");
        atLeast("burstiness_cv", burstinessCv, 0, "1 is Poisson, 0 perfectly regular");
    }

    /** Poisson arrivals ({@code burstinessCv = 1}). */
    public static Load poisson(double meanInputTokens, double meanOutputTokens, double requestsPerSecond) {
        return new Load(meanInputTokens, meanOutputTokens, requestsPerSecond, 1.0);
    }

    private static void atLeast(String field, double v, double min, String hint) {
        if (!(v >= min) || Double.isInfinite(v)) {
            throw new FlotillaException(ErrorCode.INVALID_ARGUMENT, field,
                    field + " must be a finite number >= " + (min == Math.rint(min) ? Long.toString((long) min) : min)
                            + " (" + hint + "); got " + v);
        }
    }
}
