package dev.flotilla.sim;

/**
 * One request as the simulator replays it.
 *
 * @param arrivalMicros arrival, microseconds from the start of the trace
 * @param inputTokens prompt tokens (at least 1 is served)
 * @param outputTokens tokens to generate (at least 1 is served)
 */
public record SimRequest(long arrivalMicros, int inputTokens, int outputTokens) {
    public SimRequest {
        if (arrivalMicros < 0 || inputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("arrival and token counts must be >= 0, got " + arrivalMicros + ", "
                    + inputTokens + ", " + outputTokens);
        }
    }
}
