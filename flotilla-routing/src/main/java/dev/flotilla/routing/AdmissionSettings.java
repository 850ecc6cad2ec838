package dev.flotilla.routing;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;

/**
 * Limits of one endpoint's {@link AdmissionQueue}.
 *
 * @param maxQueueLength requests that may wait at once; positive
 * @param maxQueueTime how long a request may wait before it is expired; positive
 * @param serviceRateWindow how far back completions count towards the service rate used for
 *     Retry-After; positive. Default one minute.
 */
public record AdmissionSettings(int maxQueueLength, Duration maxQueueTime, Duration serviceRateWindow) {
    public static final Duration DEFAULT_SERVICE_RATE_WINDOW = Duration.ofMinutes(1);

    public AdmissionSettings {
        if (maxQueueLength <= 0) {
            throw FlotillaException.invalid(
                    "max-queue-length", "max-queue-length must be positive, got " + maxQueueLength);
        }
        requirePositive(maxQueueTime, "max-queue-time");
        requirePositive(serviceRateWindow, "service-rate-window");
    }

    public static AdmissionSettings of(int maxQueueLength, Duration maxQueueTime) {
        return new AdmissionSettings(maxQueueLength, maxQueueTime, DEFAULT_SERVICE_RATE_WINDOW);
    }

    private static void requirePositive(Duration d, String field) {
        if (d == null) {
            throw FlotillaException.invalid(field, field + " is required");
        }
        if (d.isNegative() || d.isZero()) {
            throw FlotillaException.invalid(field, field + " must be positive, got " + d);
        }
    }
}
