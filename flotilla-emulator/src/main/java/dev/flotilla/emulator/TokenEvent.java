package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * One generated token of one request: its 0-based {@code index}, its text, the scheduler time in
 * modelled seconds at which the step that produced it ended, and, on the last token only, why the
 * sequence finished.
 */
public record TokenEvent(long requestId, int index, String text, double atSeconds, Optional<FinishReason> finish) {
    public TokenEvent {
        requireNonNull(text, "text is null");
        requireNonNull(finish, "finish is null");
        if (index < 0 || !(atSeconds >= 0)) {
            throw new IllegalArgumentException("index and time must be non-negative; got " + index + ", " + atSeconds);
        }
    }

    /** Whether this is the request's first token (its time minus arrival is the TTFT). */
    public boolean first() {
        return index == 0;
    }
}
