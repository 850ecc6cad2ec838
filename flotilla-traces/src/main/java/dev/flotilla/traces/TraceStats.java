package dev.flotilla.traces;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Summary of a trace, the figures quoted in {@code shared/data/README.md}.
 *
 * <p>{@code span} runs from the first to the last arrival; {@code meanRatePerSecond} is
 * {@code requests / span} (0 when the span is 0). {@code peakToMeanPerMinute} counts arrivals in
 * 60-s bins starting at the first arrival, and divides the busiest bin by the mean over all bins up
 * to the last arrival, idle ones included (Azure code: 4.2, GenTD: 79, Mooncake: 1.2).
 */
public record TraceStats(
        long requests,
        Duration span,
        double meanRatePerSecond,
        double peakToMeanPerMinute,
        double meanInputTokens,
        double meanOutputTokens) {

    public TraceStats {
        requireNonNull(span, "span is null");
        if (requests < 0 || span.isNegative()) {
            throw FlotillaException.invalid("stats", "requests and span must be >= 0, got " + requests + " and " + span);
        }
    }

    /** Folds requests in arrival order into stats, in constant memory but for one counter per minute. */
    public static final class Accumulator {
        private static final long MINUTE_MICROS = 60_000_000L;
        private long count;
        private long first = -1;
        private long last = -1;
        private double inputSum;
        private double outputSum;
        private long[] perMinute = new long[64];

        public Accumulator add(TraceRequest r) {
            long t = r.arrivalMicros();
            if (first < 0) {
                first = t;
            }
            if (t < last) {
                throw FlotillaException.invalid("trace", "requests must come in arrival order: " + t + " us after " + last + " us");
            }
            last = t;
            count++;
            inputSum += r.inputTokens();
            outputSum += r.outputTokens();
            long bin = (t - first) / MINUTE_MICROS;
            if (bin >= perMinute.length) {
                perMinute = Arrays.copyOf(perMinute, (int) Math.max(bin + 1, 2L * perMinute.length));
            }
            perMinute[(int) bin]++;
            return this;
        }

        public TraceStats result() {
            if (count == 0) {
                return new TraceStats(0, Duration.ZERO, 0, 0, 0, 0);
            }
            long spanMicros = last - first;
            long bins = spanMicros / MINUTE_MICROS + 1;
            long peak = 0;
            for (int i = 0; i < bins; i++) {
                peak = Math.max(peak, perMinute[i]);
            }
            double rate = spanMicros == 0 ? 0 : count / (spanMicros / 1e6);
            return new TraceStats(count, Duration.ofNanos(spanMicros * 1_000L), rate, peak / ((double) count / bins),
                    inputSum / count, outputSum / count);
        }
    }

    public static TraceStats of(Iterable<TraceRequest> requests) {
        Accumulator acc = new Accumulator();
        requests.forEach(acc::add);
        return acc.result();
    }
}
