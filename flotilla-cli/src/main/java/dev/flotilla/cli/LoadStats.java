package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a replay has done so far, fed by the scheduler (sent, skipped) and by the requests'
 * completions (on their own threads), read by the progress line and the final report. One lock:
 * at the rates a single client drives, contention is nothing next to an HTTP exchange.
 *
 * <p>Latencies are kept exactly (8 bytes a request: an hour at 1,000 requests/s is 29 MB) so that
 * the percentiles are exact: nearest rank, {@code sorted[ceil(p * n) - 1]}.
 */
final class LoadStats {
    /** A send later than this after its scheduled time counts as late: the client could not keep up. */
    static final long LATE_NANOS = 100_000_000L;

    private long sent;
    private long skipped;
    private long completed;
    private long ok;
    private long promptTokens;
    private long completionTokens;
    private long maxLagNanos;
    private long lateSends;
    private final Map<String, Map<String, Long>> errors = new TreeMap<>();
    private final Map<String, String> errorExamples = new LinkedHashMap<>();
    private final LongList latencies = new LongList();
    private final LongList ttfts = new LongList();
    private LongList intervalLatencies = new LongList();
    private long intervalSent;

    synchronized void sent(long lagNanos) {
        sent++;
        intervalSent++;
        maxLagNanos = Math.max(maxLagNanos, lagNanos);
        if (lagNanos > LATE_NANOS) {
            lateSends++;
        }
    }

    synchronized void skipped() {
        skipped++;
    }

    synchronized void completed(LoadOutcome o) {
        requireNonNull(o, "o is null");
        completed++;
        if (o.ok()) {
            ok++;
            latencies.add(o.latencyNanos());
            intervalLatencies.add(o.latencyNanos());
            o.ttftNanos().ifPresent(ttfts::add);
            promptTokens += o.promptTokens();
            completionTokens += o.completionTokens();
            return;
        }
        errors.computeIfAbsent(o.errorKey(), k -> new TreeMap<>()).merge(o.code(), 1L, Long::sum);
        if (!o.detail().isEmpty()) {
            errorExamples.putIfAbsent(o.errorKey() + " " + o.code(), o.detail());
        }
    }

    synchronized long inFlight() {
        return sent - completed;
    }

    /** The counts since the start and the interval since the last call, which starts a new interval. */
    synchronized Progress progress(long elapsedNanos, long intervalNanos) {
        long[] interval = intervalLatencies.sorted();
        Progress p = new Progress(elapsedNanos, sent, ok, errorCounts(), skipped, sent - completed,
                intervalSent / Math.max(1e-9, intervalNanos / 1e9), percentile(interval, 0.50), percentile(interval, 0.99));
        intervalLatencies = new LongList();
        intervalSent = 0;
        return p;
    }

    private Map<String, Long> errorCounts() {
        Map<String, Long> counts = new TreeMap<>();
        errors.forEach((key, codes) -> counts.put(key, codes.values().stream().mapToLong(Long::longValue).sum()));
        return counts;
    }

    /** The whole run so far; {@code schedule} says what was intended and how the run ended. */
    synchronized LoadReport report(LoadReport.Schedule schedule) {
        long[] lat = latencies.sorted();
        long[] ttft = ttfts.sorted();
        Map<String, Map<String, Long>> errorCopy = new TreeMap<>();
        errors.forEach((k, v) -> errorCopy.put(k, Map.copyOf(v)));
        return new LoadReport(schedule, sent, ok, errorCopy, Map.copyOf(errorExamples), skipped, sent - completed,
                new LoadReport.Percentiles(percentile(lat, 0.50), percentile(lat, 0.90), percentile(lat, 0.99),
                        lat.length == 0 ? -1 : lat[lat.length - 1]),
                new LoadReport.Percentiles(percentile(ttft, 0.50), percentile(ttft, 0.90), percentile(ttft, 0.99),
                        ttft.length == 0 ? -1 : ttft[ttft.length - 1]),
                promptTokens, completionTokens, maxLagNanos, lateSends);
    }

    /** Nearest rank of sorted {@code values}; -1 when there are none. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
    }

    /**
     * One progress line's numbers.
     *
     * @param intervalSentPerSecond requests sent per second in the interval
     * @param intervalP50Nanos latency of the interval's OK completions; -1 when there were none
     */
    record Progress(long elapsedNanos, long sent, long ok, Map<String, Long> errors, long skipped, long inFlight,
            double intervalSentPerSecond, long intervalP50Nanos, long intervalP99Nanos) {
        Progress {
            errors = java.util.Collections.unmodifiableMap(new TreeMap<>(errors));
        }

        long errorTotal() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** A growable array of longs: a latency list without boxing. */
    static final class LongList {
        private long[] values = new long[64];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        long[] sorted() {
            long[] copy = Arrays.copyOf(values, size);
            Arrays.sort(copy);
            return copy;
        }
    }
}
