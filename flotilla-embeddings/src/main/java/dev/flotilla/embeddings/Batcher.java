package dev.flotilla.embeddings;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Collects the inputs of concurrent requests into batches and runs each batch as one call of a
 * {@link BatchFunction} on a single worker thread, then completes each request's future with its
 * own slice of the outputs, in order. When a batch closes is the {@link BatchPolicy}'s call.
 *
 * <p>One worker thread, because the model call is the scarce resource: ONNX Runtime already uses
 * every core inside one call, so two calls at once would only fight over them. A request with more
 * inputs than {@code maxBatchSize} is cut into pieces that queue like separate requests (FIFO), so
 * no batch ever exceeds the policy and a huge request cannot make one giant tensor.
 *
 * <p>Arrival times and the window come from the injected {@link InstantSource}; the worker comes
 * from the injected {@link ThreadFactory}.
 *
 * <pre>{@code
 * Batcher<TokenizedText, float[]> batcher = new Batcher<>(
 *         batch -> Arrays.asList(model.embedTokenized(batch)), BatchPolicy.DEFAULT,
 *         InstantSource.system(), Thread.ofPlatform().name("embeddings-batcher").factory());
 * List<float[]> vectors = batcher.submit(model.tokenize(texts)).join();
 * }</pre>
 */
public final class Batcher<I, O> implements AutoCloseable {

    /** The batched work: one output per input, in order. */
    @FunctionalInterface
    public interface BatchFunction<I, O> {
        List<O> apply(List<I> batch) throws Exception;
    }

    /** Counters since start: {@code batches} calls of the function over {@code inputs} inputs. */
    public record Stats(long batches, long inputs) {}

    private record Piece<I, O>(List<I> inputs, CompletableFuture<List<O>> result, Instant arrival) {}

    private final BatchFunction<I, O> function;
    private final BatchPolicy policy;
    private final InstantSource clock;
    private final BlockingQueue<Piece<I, O>> queue = new LinkedBlockingQueue<>();
    private final Object submitLock = new Object();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong inputs = new AtomicLong();
    // Queued by close() behind every accepted request: the worker finishes those, then stops.
    private final Piece<I, O> poison = new Piece<>(List.of(), new CompletableFuture<>(), Instant.EPOCH);
    private final Thread worker;
    private boolean closed; // guarded by submitLock
    private Piece<I, O> carried; // worker thread only: the piece that did not fit the last batch

    public Batcher(BatchFunction<I, O> function, BatchPolicy policy, InstantSource clock, ThreadFactory threads) {
        this.function = requireNonNull(function, "function is null");
        this.policy = requireNonNull(policy, "policy is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.worker = requireNonNull(threads, "threads is null").newThread(this::runLoop);
        worker.start();
    }

    /**
     * Queues {@code items}; the future completes with one output per item, in order, or fails
     * with whatever the batch function threw for a batch holding any of them.
     */
    public CompletableFuture<List<O>> submit(List<I> items) {
        List<I> copy = List.copyOf(items);
        if (copy.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        Instant arrival = clock.instant();
        List<CompletableFuture<List<O>>> parts = new ArrayList<>();
        synchronized (submitLock) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("batcher is closed"));
            }
            for (int from = 0; from < copy.size(); from += policy.maxBatchSize()) {
                List<I> slice = copy.subList(from, Math.min(copy.size(), from + policy.maxBatchSize()));
                CompletableFuture<List<O>> part = new CompletableFuture<>();
                queue.add(new Piece<>(slice, part, arrival));
                parts.add(part);
            }
        }
        if (parts.size() == 1) {
            return parts.getFirst();
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<O> all = new ArrayList<>(copy.size());
            parts.forEach(part -> all.addAll(part.join()));
            return List.copyOf(all);
        });
    }

    public Stats stats() {
        return new Stats(batches.get(), inputs.get());
    }

    private void runLoop() {
        try {
            while (true) {
                Piece<I, O> first = carried != null ? carried : queue.take();
                carried = null;
                if (first == poison) {
                    return;
                }
                List<Piece<I, O>> pieces = new ArrayList<>();
                pieces.add(first);
                int size = first.inputs().size();
                // The window is anchored at the oldest request's arrival, so a request carried
                // over from a full batch does not wait a second window.
                Instant deadline = first.arrival().plus(policy.maxWait());
                while (size < policy.maxBatchSize()) {
                    Piece<I, O> next = queue.poll();
                    // The injected clock, not the poll timeout, decides when the window is over:
                    // a poll that times out early by the clock's reckoning just polls again.
                    while (next == null) {
                        long waitNanos = Duration.between(clock.instant(), deadline).toNanos();
                        if (waitNanos <= 0) {
                            break;
                        }
                        next = queue.poll(waitNanos, TimeUnit.NANOSECONDS);
                    }
                    if (next == null) {
                        break;
                    }
                    if (next == poison || size + next.inputs().size() > policy.maxBatchSize()) {
                        carried = next;
                        break;
                    }
                    pieces.add(next);
                    size += next.inputs().size();
                }
                run(pieces, size);
            }
        } catch (InterruptedException e) {
            // Nobody but the JVM interrupts the worker; fail whatever is still queued.
            Thread.currentThread().interrupt();
        } finally {
            IllegalStateException closing = new IllegalStateException("batcher is closed");
            if (carried != null && carried != poison) {
                carried.result().completeExceptionally(closing);
            }
            List<Piece<I, O>> left = new ArrayList<>();
            queue.drainTo(left);
            left.forEach(piece -> piece.result().completeExceptionally(closing));
        }
    }

    private void run(List<Piece<I, O>> pieces, int size) {
        List<I> batch = new ArrayList<>(size);
        pieces.forEach(piece -> batch.addAll(piece.inputs()));
        List<List<O>> slices = new ArrayList<>(pieces.size());
        try {
            List<O> outputs = function.apply(batch);
            if (outputs.size() != size) {
                throw new IllegalStateException(
                        "batch function returned " + outputs.size() + " outputs for " + size + " inputs");
            }
            int from = 0;
            for (Piece<I, O> piece : pieces) {
                int to = from + piece.inputs().size();
                slices.add(List.copyOf(outputs.subList(from, to)));
                from = to;
            }
        } catch (Throwable e) {
            // Throwable, not Exception: an OutOfMemoryError on one oversized batch must fail that
            // batch's requests, not kill the only worker and leave every later request hanging.
            pieces.forEach(piece -> piece.result().completeExceptionally(e));
            return;
        } finally {
            batches.incrementAndGet();
            inputs.addAndGet(size);
        }
        for (int i = 0; i < pieces.size(); i++) {
            pieces.get(i).result().complete(slices.get(i));
        }
    }

    /**
     * Refuses new requests, lets the worker finish every request already accepted, then stops it.
     * The model call is never interrupted: ONNX Runtime would not notice anyway.
     */
    @Override
    public void close() {
        synchronized (submitLock) {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(poison);
        }
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
