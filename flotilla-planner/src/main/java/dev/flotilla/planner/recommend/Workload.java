package dev.flotilla.planner.recommend;

import dev.flotilla.core.FlotillaException;

/**
 * What a deployment must serve: mean prompt and output lengths in tokens, the request rate, and
 * its burstiness (coefficient of variation of inter-arrival times: 1 for Poisson, higher for
 * bursty traffic such as the Azure code trace).
 */
public record Workload(double meanInputTokens, double meanOutputTokens, double requestsPerSecond, double burstinessCv) {
    public Workload {
        positive("input_tokens", meanInputTokens);
        positive("output_tokens", meanOutputTokens);
        positive("rps", requestsPerSecond);
        if (!(burstinessCv >= 0) || burstinessCv > 20) {
            throw FlotillaException.invalid("burstiness", "burstiness (CV of inter-arrival times) must be between 0 and 20,"
                    + " got " + burstinessCv);
        }
    }

    static void positive(String field, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw FlotillaException.invalid(field, field + " must be a positive number, got " + v);
        }
    }

    /** Tokens processed per second (prompt and output), the denominator of cost per million tokens. */
    public double tokensPerSecond() {
        return requestsPerSecond * (meanInputTokens + meanOutputTokens);
    }
}
