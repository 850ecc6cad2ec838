package dev.flotilla.sim;

/**
 * One request as the simulator replays it.
 *
 * @param arrivalMicros arrival, microseconds from the start of the trace
 * @param inputTokens prompt tokens (at least 1 is served)
 * @param outputTokens tokens to generate (at least 1 is served)
 * @param serviceMicros a measured service time (GenTD's image generation), or -1 to time the
 *     request with the engine model from its tokens
 */
public record SimRequest(long arrivalMicros, int inputTokens, int outputTokens, long serviceMicros) {
    public SimRequest {
        if (arrivalMicros < 0 || inputTokens < 0 || outputTokens < 0 || serviceMicros < -1) {
            throw new IllegalArgumentException("arrival, token counts and service time must be >= 0, got " + arrivalMicros
                    + ", " + inputTokens + ", " + outputTokens + ", " + serviceMicros);
        }
    }

    /** A request timed by the engine model. */
    public SimRequest(long arrivalMicros, int inputTokens, int outputTokens) {
        this(arrivalMicros, inputTokens, outputTokens, -1);
    }

    public boolean measuredService() {
        return serviceMicros >= 0;
    }
}
