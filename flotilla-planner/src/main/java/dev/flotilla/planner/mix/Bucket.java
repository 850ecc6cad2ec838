package dev.flotilla.planner.mix;

import dev.flotilla.core.FlotillaException;

/**
 * One request-size class of a workload (for example short chat prompts, or long-context prompts)
 * and the demand for it. Requests of one bucket share an SLO, so an engine model can say how many
 * of them per second one instance of a GPU configuration serves.
 *
 * @param name unique within a {@link MixProblem}; used in messages
 * @param requestsPerSecond demand to serve, finite and {@code >= 0}; a bucket with no demand needs
 *     no capacity
 */
public record Bucket(String name, double requestsPerSecond) {
    public Bucket {
        if (name == null || name.isBlank()) {
            throw FlotillaException.invalid("name", "bucket name must be a non-blank string, got " + quoted(name));
        }
        if (!Double.isFinite(requestsPerSecond) || requestsPerSecond < 0) {
            throw FlotillaException.invalid("requestsPerSecond",
                    "requestsPerSecond of bucket " + name + " must be a finite number >= 0, got " + requestsPerSecond);
        }
    }

    /** This bucket with its demand multiplied by {@code factor}, for headroom and what-if plans. */
    public Bucket scaled(double factor) {
        return new Bucket(name, requestsPerSecond * factor);
    }

    private static String quoted(String s) {
        return s == null ? "null" : "'" + s + "'";
    }
}
