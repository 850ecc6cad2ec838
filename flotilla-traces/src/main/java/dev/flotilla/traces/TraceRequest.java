package dev.flotilla.traces;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One request of a trace: when it arrives, relative to the trace's origin, and what it asks for.
 *
 * <p>{@code prefixBlockHashes} are Mooncake's hash ids, one per 512-token block of the prompt; an id
 * is position-dependent (equal ids mean equal prompts up to and including that block), so they can
 * be handed to the router as chained block hashes unchanged. Empty when the trace has none.
 * {@code serviceSeconds} is a recorded execution time, for traces whose work is not measured in
 * tokens (GenTD's text-to-image requests); empty otherwise.
 *
 * @param arrivalMicros microseconds from the trace's origin (see {@link Trace}); never negative
 * @param inputTokens prompt tokens, {@code >= 0} (0 where the trace has no token counts)
 * @param outputTokens generated tokens, {@code >= 0}
 * @param prefixBlockHashes one hash id per 512-token prompt block (copied)
 * @param tag the client, model or request type the trace names, where it names one
 * @param serviceSeconds recorded execution time in seconds, where the trace has one
 */
public record TraceRequest(
        long arrivalMicros,
        int inputTokens,
        int outputTokens,
        long[] prefixBlockHashes,
        Optional<String> tag,
        OptionalDouble serviceSeconds) {

    static final long[] NO_HASHES = new long[0];

    public TraceRequest {
        if (arrivalMicros < 0) {
            throw FlotillaException.invalid("arrival", "arrival must be >= 0 microseconds from the trace origin, got " + arrivalMicros);
        }
        if (inputTokens < 0 || outputTokens < 0) {
            throw FlotillaException.invalid("tokens", "token counts must be >= 0, got input " + inputTokens + " and output " + outputTokens);
        }
        // An empty array is shared rather than cloned: ServeGen traces make billions of these.
        prefixBlockHashes = prefixBlockHashes == null || prefixBlockHashes.length == 0 ? NO_HASHES : prefixBlockHashes.clone();
        requireNonNull(tag, "tag is null");
        if (tag.isPresent() && tag.get().isBlank()) {
            throw FlotillaException.invalid("tag", "tag must be non-blank when present");
        }
        requireNonNull(serviceSeconds, "serviceSeconds is null");
        if (serviceSeconds.isPresent() && !(serviceSeconds.getAsDouble() >= 0 && Double.isFinite(serviceSeconds.getAsDouble()))) {
            throw FlotillaException.invalid("service-seconds", "service time must be a finite number >= 0, got " + serviceSeconds.getAsDouble());
        }
    }

    /** A request with token counts only: no prefix hashes, tag or service time. */
    public static TraceRequest of(long arrivalMicros, int inputTokens, int outputTokens) {
        return new TraceRequest(arrivalMicros, inputTokens, outputTokens, NO_HASHES, Optional.empty(), OptionalDouble.empty());
    }

    public TraceRequest withPrefix(long... blockHashes) {
        return new TraceRequest(arrivalMicros, inputTokens, outputTokens, blockHashes, tag, serviceSeconds);
    }

    public TraceRequest withTag(String newTag) {
        return new TraceRequest(arrivalMicros, inputTokens, outputTokens, prefixBlockHashes, Optional.of(newTag), serviceSeconds);
    }

    public TraceRequest withServiceSeconds(double seconds) {
        return new TraceRequest(arrivalMicros, inputTokens, outputTokens, prefixBlockHashes, tag, OptionalDouble.of(seconds));
    }

    /** The arrival as a duration from the trace's origin. */
    public Duration arrival() {
        return Duration.ofNanos(Math.multiplyExact(arrivalMicros, 1_000L));
    }

    /** A copy: the request stays immutable. Use {@link #prefixBlockCount()} to size without copying. */
    @Override
    public long[] prefixBlockHashes() {
        return prefixBlockHashes.length == 0 ? NO_HASHES : prefixBlockHashes.clone();
    }

    public int prefixBlockCount() {
        return prefixBlockHashes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TraceRequest r
                && arrivalMicros == r.arrivalMicros
                && inputTokens == r.inputTokens
                && outputTokens == r.outputTokens
                && Arrays.equals(prefixBlockHashes, r.prefixBlockHashes)
                && tag.equals(r.tag)
                && serviceSeconds.equals(r.serviceSeconds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(arrivalMicros, inputTokens, outputTokens, Arrays.hashCode(prefixBlockHashes), tag, serviceSeconds);
    }

    @Override
    public String toString() {
        return "TraceRequest[arrivalMicros=" + arrivalMicros + ", inputTokens=" + inputTokens + ", outputTokens=" + outputTokens
                + ", prefixBlocks=" + prefixBlockHashes.length + ", tag=" + tag.orElse("-")
                + (serviceSeconds.isPresent() ? ", serviceSeconds=" + serviceSeconds.getAsDouble() : "") + "]";
    }
}
