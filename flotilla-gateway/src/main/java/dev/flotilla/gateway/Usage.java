package dev.flotilla.gateway;

import static java.util.Objects.requireNonNull;

/**
 * What one request used, recorded once it ends (successfully or not) if it reached a worker.
 *
 * @param tenantId the caller's tenant
 * @param endpointId the endpoint that served it
 * @param workerId the worker of the last attempt
 * @param promptTokens prompt tokens as the worker reported them (or the gateway's estimate)
 * @param completionTokens completion tokens as reported (or counted chunks when {@code estimated})
 * @param workerSeconds wall time from sending to the worker until its answer ended
 * @param status the outcome as an HTTP status: the status sent, or 502 for a stream that broke
 *     after it started, or 499 when the client went away
 * @param estimated true when the worker reported no usage and the counts are the gateway's
 */
public record Usage(
        String tenantId,
        String endpointId,
        String workerId,
        long promptTokens,
        long completionTokens,
        double workerSeconds,
        int status,
        boolean estimated) {
    public Usage {
        requireNonNull(tenantId, "tenantId is null");
        requireNonNull(endpointId, "endpointId is null");
        requireNonNull(workerId, "workerId is null");
        if (promptTokens < 0 || completionTokens < 0) {
            throw new IllegalArgumentException(
                    "token counts must be >= 0, got " + promptTokens + " and " + completionTokens);
        }
        if (!(workerSeconds >= 0)) {
            throw new IllegalArgumentException("workerSeconds must be >= 0, got " + workerSeconds);
        }
    }

    public long totalTokens() {
        return promptTokens + completionTokens;
    }
}
