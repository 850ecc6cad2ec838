package dev.flotilla.gateway;

/**
 * Receives one {@link Usage} per request that reached a worker. Called on an event-loop thread:
 * an implementation hands the record to its own writer (e.g. a queue drained into the ledger) and
 * returns at once.
 */
@FunctionalInterface
public interface UsageSink {
    void record(Usage usage);
}
