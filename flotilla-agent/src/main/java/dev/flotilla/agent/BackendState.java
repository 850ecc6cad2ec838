package dev.flotilla.agent;

/**
 * A backend's life: STARTING until its ready line and health check pass, READY while it serves,
 * STOPPING once asked to stop, then STOPPED; FAILED when it exits on its own, does not become
 * healthy in time or cannot be started. STOPPED and FAILED are final.
 */
public enum BackendState {
    STARTING,
    READY,
    STOPPING,
    STOPPED,
    FAILED;

    public boolean isFinal() {
        return this == STOPPED || this == FAILED;
    }
}
