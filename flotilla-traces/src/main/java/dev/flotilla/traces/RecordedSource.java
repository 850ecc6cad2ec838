package dev.flotilla.traces;

import dev.flotilla.core.FlotillaException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The requests of a recorded trace in arrival order, moved to the trace's origin and cut to the
 * options' range. Streams row by row when the file is sorted (and stops reading at {@code until});
 * with {@code sortUnsorted} it reads the whole file first, since the first arrival may be last.
 */
final class RecordedSource implements Source {
    private final RecordParser parser;
    private final long from;
    private final long until;
    private final boolean absolute;
    private final long origin;
    // streaming
    private TraceRequest pending;
    private long previous;
    private int previousLine;
    // sorted
    private final List<TraceRequest> sorted;
    private int index;
    private boolean done;

    RecordedSource(RecordParser parser, boolean absoluteTimes, ReadOptions options) {
        this.parser = parser;
        this.absolute = absoluteTimes;
        this.from = options.fromMicros();
        this.until = options.untilMicros();
        TraceRequest first = parser.next();
        if (first == null) {
            parser.close();
            throw FlotillaException.invalid("trace", "trace file " + parser.lines.file() + " has no data rows");
        }
        if (options.sortUnsorted()) {
            List<TraceRequest> all = new ArrayList<>();
            for (TraceRequest r = first; r != null; r = parser.next()) {
                all.add(r);
            }
            parser.close();
            all.sort(Comparator.comparingLong(TraceRequest::arrivalMicros)); // stable: ties keep file order
            this.sorted = all;
            this.origin = absoluteTimes ? all.getFirst().arrivalMicros() : 0;
        } else {
            this.sorted = null;
            this.pending = first;
            this.previous = first.arrivalMicros();
            this.previousLine = parser.line();
            this.origin = absoluteTimes ? first.arrivalMicros() : 0;
        }
    }

    /** The origin as an instant, for formats with wall-clock times. */
    Optional<Instant> start() {
        return absolute ? Optional.of(Instant.EPOCH.plus(origin, ChronoUnit.MICROS)) : Optional.empty();
    }

    @Override
    public TraceRequest next() {
        while (!done) {
            TraceRequest raw = sorted != null ? nextSorted() : nextStreamed();
            if (raw == null) {
                done = true;
                close();
                return null;
            }
            long offset = raw.arrivalMicros() - origin;
            if (offset >= until) {
                done = true; // sorted: nothing later can be in range
                close();
                return null;
            }
            if (offset >= from) {
                return at(raw, offset);
            }
        }
        return null;
    }

    private TraceRequest nextSorted() {
        return index < sorted.size() ? sorted.get(index++) : null;
    }

    private TraceRequest nextStreamed() {
        if (pending != null) {
            TraceRequest r = pending;
            pending = null;
            return r;
        }
        TraceRequest r = parser.next();
        if (r == null) {
            return null;
        }
        if (r.arrivalMicros() < previous) {
            throw FlotillaException.invalid("trace", parser.where() + " line " + parser.line() + ": time " + parser.describe(r.arrivalMicros())
                    + " is earlier than line " + previousLine + "'s " + parser.describe(previous)
                    + "; rows must be sorted by time (or read with sort-unsorted to sort them)");
        }
        previous = r.arrivalMicros();
        previousLine = parser.line();
        return r;
    }

    private static TraceRequest at(TraceRequest raw, long offset) {
        if (offset == raw.arrivalMicros()) {
            return raw;
        }
        return new TraceRequest(offset, raw.inputTokens(), raw.outputTokens(), raw.prefixBlockHashes(), raw.tag(), raw.serviceSeconds());
    }

    @Override
    public void close() {
        parser.close();
    }
}
