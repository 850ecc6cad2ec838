package dev.flotilla.embeddings;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * When the {@link Batcher} closes a batch: as soon as it holds {@code maxBatchSize} inputs, or
 * {@code maxWait} after the oldest request in it arrived, whichever comes first. A lone request
 * therefore pays at most {@code maxWait} of extra latency; under load batches fill up and the
 * model runs fewer, larger calls.
 */
public record BatchPolicy(int maxBatchSize, Duration maxWait) {
    /** 32 inputs or 2 ms: on a small CPU a 32-wide batch is already past the throughput knee. */
    public static final BatchPolicy DEFAULT = new BatchPolicy(32, Duration.ofMillis(2));

    public BatchPolicy {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize is " + maxBatchSize + "; it must be at least 1");
        }
        requireNonNull(maxWait, "maxWait is null");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait is " + maxWait + "; it must be zero or positive");
        }
    }
}
