package dev.flotilla.planner.recommend;

import dev.flotilla.core.FlotillaException;

/**
 * Latency targets at a percentile: time to first token and time per output token, in ms.
 */
public record Slo(double ttftMs, double tpotMs, int percentile) {
    public Slo {
        Workload.positive("ttft_ms", ttftMs);
        Workload.positive("tpot_ms", tpotMs);
        if (percentile != 50 && percentile != 90 && percentile != 99) {
            throw FlotillaException.invalid("percentile", "percentile must be 50, 90 or 99, got " + percentile);
        }
    }
}
