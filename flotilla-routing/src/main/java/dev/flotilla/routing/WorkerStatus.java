package dev.flotilla.routing;

/**
 * Lifecycle state of a worker as the gateway sees it. Only {@link #READY} is routable: a starting
 * worker has not passed its health check and benchmark, a draining one finishes what it has but
 * takes nothing new, and an unhealthy or stopped one is gone.
 */
public enum WorkerStatus {
    STARTING,
    READY,
    DRAINING,
    UNHEALTHY,
    STOPPED
}
