package dev.flotilla.traces;

/** Where a {@link TraceStream} pulls its requests from. */
interface Source extends AutoCloseable {
    /** The next request in arrival order, or null when there is none. */
    TraceRequest next();

    @Override
    void close();
}
