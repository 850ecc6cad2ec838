package dev.flotilla.agent;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A backend's {@code GET /load} report: sequences running, requests waiting, KV-cache use (0 to 1)
 * and recent output tokens per second, with when the agent read it.
 */
public record BackendLoad(int running, int waiting, double kvCacheUtilization, double tokensPerSecond, Instant at) {
    public BackendLoad {
        requireNonNull(at, "at is null");
        if (running < 0 || waiting < 0) {
            throw new IllegalArgumentException("running and waiting must be non-negative; got " + running + ", "
                    + waiting);
        }
        if (!(kvCacheUtilization >= 0 && kvCacheUtilization <= 1)) {
            throw new IllegalArgumentException("kv_cache_utilization must be 0 to 1; got " + kvCacheUtilization);
        }
        if (!(tokensPerSecond >= 0) || Double.isInfinite(tokensPerSecond)) {
            throw new IllegalArgumentException("tokens_per_second must be a non-negative number; got "
                    + tokensPerSecond);
        }
    }
}
