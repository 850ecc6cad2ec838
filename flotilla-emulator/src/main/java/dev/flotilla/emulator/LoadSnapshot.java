package dev.flotilla.emulator;

/**
 * The scheduler's state after its latest step or command, published for {@code GET /load}:
 * sequences running, requests queued, and the KV cache's tokens in use out of its capacity.
 */
public record LoadSnapshot(int running, int waiting, long kvUsedTokens, long kvCapacityTokens, long steps) {
    public LoadSnapshot {
        if (running < 0 || waiting < 0 || kvUsedTokens < 0 || kvCapacityTokens < 1 || steps < 0) {
            throw new IllegalArgumentException("load figures must be non-negative with a positive capacity");
        }
    }

    /** KV-cache utilization, 0 to 1. */
    public double kvUtilization() {
        return Math.min(1.0, (double) kvUsedTokens / kvCapacityTokens);
    }
}
