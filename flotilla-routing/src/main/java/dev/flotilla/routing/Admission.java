package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import java.time.Instant;

/** The answer of {@link AdmissionQueue#offer}: admitted now, queued until a deadline, or rejected. */
public sealed interface Admission {
    String requestId();

    /** A slot was free and nobody was waiting: route the request now. */
    record Admitted(String requestId) implements Admission {
        public Admitted {
            requireNonNull(requestId, "requestId is null");
        }
    }

    /**
     * The request waits; it leaves the queue through {@link AdmissionQueue#poll}, {@link
     * AdmissionQueue#expire} or {@link AdmissionQueue#cancel}.
     *
     * @param position 1-based place in the queue
     */
    record Queued(String requestId, Instant deadline, int position) implements Admission {
        public Queued {
            requireNonNull(requestId, "requestId is null");
            requireNonNull(deadline, "deadline is null");
        }
    }

    /**
     * The queue was full: answer {@link ErrorCode#RATE_LIMITED} (429) with a {@code Retry-After}
     * of {@code retryAfterSeconds}.
     */
    record Rejected(String requestId, ErrorCode code, long retryAfterSeconds, String message) implements Admission {
        public Rejected {
            requireNonNull(requestId, "requestId is null");
            requireNonNull(code, "code is null");
            requireNonNull(message, "message is null");
        }
    }
}
