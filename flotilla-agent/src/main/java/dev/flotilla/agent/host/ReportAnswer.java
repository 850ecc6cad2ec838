package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

/**
 * The control plane's answer to a worker report: the worker's state as it now records it and
 * what it wants ({@code run} or {@code stop}), so a drain can start without waiting for the next
 * poll.
 */
public record ReportAnswer(String id, String state, String desired) {
    public ReportAnswer {
        requireNonNull(id, "id is null");
        requireNonNull(state, "state is null");
        requireNonNull(desired, "desired is null");
    }

    /** Whether the control plane asks for the worker to be drained. */
    public boolean wantsStop() {
        return "stop".equals(desired);
    }
}
