package dev.flotilla.traces;

import java.time.Instant;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A trace read one request at a time, in arrival order, for traces too long to hold (ServeGen's
 * 14 days) or to start replaying before the file is read. Close it (try-with-resources) to release
 * the file; it closes itself at the end. A malformed row surfaces as a
 * {@link dev.flotilla.core.FlotillaException} from {@link #next()} when it is reached.
 *
 * <pre>{@code
 * try (TraceStream s = TraceReader.open(path, TraceFormat.SERVEGEN, ReadOptions.defaults().withRateScale(0.01))) {
 *     while (s.hasNext()) {
 *         TraceRequest r = s.next();
 *         ...
 *     }
 * }
 * }</pre>
 */
public final class TraceStream implements Iterator<TraceRequest>, AutoCloseable {
    private final String name;
    private final TraceFormat format;
    private final Optional<Instant> start;
    private final OptionalDouble expected;
    private final Source source;
    private TraceRequest next;
    private boolean ended;

    TraceStream(String name, TraceFormat format, Optional<Instant> start, OptionalDouble expected, Source source) {
        this.name = name;
        this.format = format;
        this.start = start;
        this.expected = expected;
        this.source = source;
    }

    public String name() {
        return name;
    }

    public TraceFormat format() {
        return format;
    }

    /** The origin of the arrival offsets as an instant, for formats with wall-clock times. */
    public Optional<Instant> start() {
        return start;
    }

    /**
     * For ServeGen, the expected number of arrivals of the selection (sum of rate x rate-scale x
     * window length), known before generating any: use it to pick a rate scale. Empty for recorded
     * traces, whose count is known only once read.
     */
    public OptionalDouble expectedRequests() {
        return expected;
    }

    @Override
    public boolean hasNext() {
        if (next == null && !ended) {
            next = source.next();
            if (next == null) {
                ended = true;
                source.close();
            }
        }
        return next != null;
    }

    @Override
    public TraceRequest next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the trace " + name + " has no more requests");
        }
        TraceRequest r = next;
        next = null;
        return r;
    }

    /** The remaining requests as an ordered, sequential stream that closes this one when closed. */
    public Stream<TraceRequest> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(this::close);
    }

    @Override
    public void close() {
        ended = true;
        next = null;
        source.close();
    }
}
