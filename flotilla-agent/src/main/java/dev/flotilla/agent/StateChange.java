package dev.flotilla.agent;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** One transition of a backend, with why it happened; the agent reports these to the control plane. */
public record StateChange(BackendState state, String reason, Instant at) {
    public StateChange {
        requireNonNull(state, "state is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(at, "at is null");
    }
}
