package dev.flotilla.traces;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A trace held in memory: its requests sorted by arrival, with summary stats.
 *
 * <p>Arrivals are offsets from the trace's <em>origin</em>: the first recorded request for formats
 * with wall-clock times (Azure, GenTD; {@code start} is that instant, read as UTC), the trace's own
 * zero for the others (Mooncake's millisecond 0; ServeGen's second 0, which ServeGen's README
 * treats as midnight). Selecting a range with {@link ReadOptions} never moves the origin, so a
 * ServeGen day 3 still starts at offset 48 h and keeps its time of day.
 *
 * @param name the file's name without extensions, or {@code category/model} for ServeGen
 * @param format the format it was read as
 * @param start the origin as an instant, for formats with wall-clock times
 * @param requests sorted by arrival (copied)
 * @param stats summary of {@code requests}
 */
public record Trace(String name, TraceFormat format, Optional<Instant> start, List<TraceRequest> requests, TraceStats stats) {

    public Trace {
        requireNonNull(name, "name is null");
        requireNonNull(format, "format is null");
        requireNonNull(start, "start is null");
        requests = List.copyOf(requests);
        requireNonNull(stats, "stats is null");
        for (int i = 1; i < requests.size(); i++) {
            if (requests.get(i).arrivalMicros() < requests.get(i - 1).arrivalMicros()) {
                throw FlotillaException.invalid("trace", "requests must be sorted by arrival; request " + i + " at "
                        + requests.get(i).arrivalMicros() + " us comes after one at " + requests.get(i - 1).arrivalMicros() + " us");
            }
        }
        if (stats.requests() != requests.size()) {
            throw FlotillaException.invalid("stats", "stats count " + stats.requests() + " requests, the trace has " + requests.size());
        }
    }

    /** A trace whose stats are computed from {@code requests}. */
    public static Trace of(String name, TraceFormat format, Optional<Instant> start, List<TraceRequest> requests) {
        return new Trace(name, format, start, requests, TraceStats.of(requests));
    }

    public int size() {
        return requests.size();
    }
}
