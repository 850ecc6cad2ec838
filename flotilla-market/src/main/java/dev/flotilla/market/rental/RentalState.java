package dev.flotilla.market.rental;

/**
 * Lifecycle of a rental. GPU time is billed only while {@code RUNNING}; storage while the rental
 * exists ({@code RUNNING}, {@code PREEMPTED}, {@code STOPPED}), since the host keeps its data.
 */
public enum RentalState {
    /** Holds its GPUs. */
    RUNNING,
    /** Displaced by a higher-priority rental; data kept; resumes by itself when a slice frees. */
    PREEMPTED,
    /** Stopped by its tenant or for lack of credit; data kept; the tenant starts it again. */
    STOPPED,
    /** Destroyed; nothing is held or billed any more. */
    ENDED;

    public boolean holdsGpus() {
        return this == RUNNING;
    }

    public boolean keepsStorage() {
        return this != ENDED;
    }

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
