package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.Set;

/**
 * One endpoint's admission control: a bounded FIFO queue with deadlines in front of the endpoint's
 * workers. Pure: every operation takes the current instant, nothing reads a clock or sleeps, so
 * the gateway drives it with wall time and the simulator with virtual time.
 *
 * <p><b>Slots.</b> The gateway tells the queue how many requests the endpoint's ready workers can
 * take at once ({@link #setCapacity}, e.g. the sum of their benchmarked capacities; 0 while the
 * endpoint is cold). {@link #offer} admits a request at once when a slot is free and no live
 * request is waiting; otherwise the request waits until {@code now + max-queue-time}, or is
 * rejected when {@code max-queue-length} live requests already wait. Admitted requests hold a slot
 * until {@link #release}; when one frees (or capacity grows) the gateway calls {@link #poll} for
 * the next waiting request, oldest first.
 *
 * <p><b>Status codes.</b> Queue full → 429 {@link ErrorCode#RATE_LIMITED} with Retry-After (as the
 * design says: the caller should slow down). Deadline passed → 503 {@link ErrorCode#UNAVAILABLE}
 * with Retry-After: the request was accepted but the endpoint lacked capacity in time, which is
 * the server's condition, not the caller's rate (RFC 9110 §15.6.4 allows Retry-After on 503).
 *
 * <p><b>Retry-After.</b> By Little's law a newcomer behind {@code q} waiting requests waits about
 * {@code (q + 1) / μ}, where {@code μ} is the recent service rate: completions ({@link #release})
 * in the last {@code service-rate-window} divided by the window. So {@code Retry-After =
 * max(1, ceil((q + 1) / μ))} seconds; with no completion in the window (cold start) it is
 * {@code ceil(max-queue-time)}. Early in the endpoint's life the window is not yet full, which
 * under-counts μ and errs towards waiting longer.
 *
 * <p>Instants passed in must not go backwards. Methods are synchronised so one queue may be shared
 * by a gateway's request threads.
 */
public final class AdmissionQueue {
    /** A request that left the queue: by {@link #poll} (to route) or by {@link #expire}. */
    public record Waiter(String requestId, Instant enqueuedAt, Instant deadline) {
        public Waiter {
            requireNonNull(requestId, "requestId is null");
            requireNonNull(enqueuedAt, "enqueuedAt is null");
            requireNonNull(deadline, "deadline is null");
        }

        public Duration waited(Instant now) {
            return Duration.between(enqueuedAt, now);
        }
    }

    /** A request whose deadline passed: answer {@code code} (503) with {@code retryAfterSeconds}. */
    public record Expired(Waiter waiter, ErrorCode code, long retryAfterSeconds, String message) {
        public Expired {
            requireNonNull(waiter, "waiter is null");
            requireNonNull(code, "code is null");
            requireNonNull(message, "message is null");
        }
    }

    private final String endpointId;
    private final AdmissionSettings settings;
    private final SequencedMap<String, Waiter> waiting = new LinkedHashMap<>();
    private final Set<String> inService = new HashSet<>();
    private final Deque<Instant> completions = new ArrayDeque<>();
    private int capacity;

    public AdmissionQueue(String endpointId, AdmissionSettings settings, int initialCapacity) {
        WorkerState.requireNonBlank(endpointId, "endpoint-id");
        this.endpointId = endpointId;
        this.settings = requireNonNull(settings, "settings is null");
        setCapacity(initialCapacity);
    }

    /** Concurrent requests the endpoint's ready workers take now; 0 while cold. */
    public synchronized void setCapacity(int slots) {
        if (slots < 0) {
            throw FlotillaException.invalid("capacity", "capacity must be >= 0, got " + slots);
        }
        this.capacity = slots;
    }

    public synchronized Admission offer(String requestId, Instant now) {
        WorkerState.requireNonBlank(requestId, "request-id");
        requireNonNull(now, "now is null");
        if (waiting.containsKey(requestId) || inService.contains(requestId)) {
            throw new FlotillaException(
                    ErrorCode.CONFLICT, "request-id", "request " + requestId + " is already queued or in service");
        }
        int live = liveWaiting(now);
        if (live == 0 && inService.size() < capacity) {
            inService.add(requestId);
            return new Admission.Admitted(requestId);
        }
        if (live >= settings.maxQueueLength()) {
            long retryAfter = retryAfterSeconds(live, now);
            return new Admission.Rejected(
                    requestId,
                    ErrorCode.RATE_LIMITED,
                    retryAfter,
                    "endpoint " + endpointId + " is at capacity and its queue is full (" + live + " waiting); retry after "
                            + retryAfter + " s");
        }
        Instant deadline = now.plus(settings.maxQueueTime());
        waiting.put(requestId, new Waiter(requestId, now, deadline));
        return new Admission.Queued(requestId, deadline, live + 1);
    }

    /**
     * The oldest live waiter, now holding a slot, when a slot is free; empty otherwise. Waiters past
     * their deadline are skipped but stay for {@link #expire} to report.
     */
    public synchronized Optional<Waiter> poll(Instant now) {
        requireNonNull(now, "now is null");
        if (inService.size() >= capacity) {
            return Optional.empty();
        }
        for (Iterator<Waiter> it = waiting.values().iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (now.isBefore(w.deadline())) {
                it.remove();
                inService.add(w.requestId());
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }

    /** Removes and returns the waiters whose deadline is at or before {@code now}, oldest first. */
    public synchronized List<Expired> expire(Instant now) {
        requireNonNull(now, "now is null");
        List<Waiter> gone = new ArrayList<>();
        for (Iterator<Waiter> it = waiting.values().iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (!now.isBefore(w.deadline())) {
                it.remove();
                gone.add(w);
            }
        }
        if (gone.isEmpty()) {
            return List.of();
        }
        long retryAfter = retryAfterSeconds(liveWaiting(now), now);
        return gone.stream()
                .map(w -> new Expired(
                        w,
                        ErrorCode.UNAVAILABLE,
                        retryAfter,
                        "no capacity on endpoint " + endpointId + " within " + settings.maxQueueTime().toMillis()
                                + " ms; retry after " + retryAfter + " s"))
                .toList();
    }

    /** Drops a waiting request whose client went away; false when it was not waiting. */
    public synchronized boolean cancel(String requestId) {
        return waiting.remove(requestId) != null;
    }

    /**
     * Frees the slot of an admitted request and counts a completion towards the service rate;
     * false (and no effect) when the request holds no slot, so calling it twice is harmless.
     */
    public synchronized boolean release(String requestId, Instant now) {
        requireNonNull(now, "now is null");
        if (!inService.remove(requestId)) {
            return false;
        }
        completions.addLast(now);
        prune(now);
        return true;
    }

    /** The Retry-After a newcomer would get now, in whole seconds. */
    public synchronized long retryAfterSeconds(Instant now) {
        return retryAfterSeconds(liveWaiting(now), now);
    }

    /** Completions per second over the service-rate window ending at {@code now}. */
    public synchronized double serviceRatePerSecond(Instant now) {
        prune(now);
        return completions.size() / seconds(settings.serviceRateWindow());
    }

    public synchronized int waitingCount() {
        return waiting.size();
    }

    public synchronized int inServiceCount() {
        return inService.size();
    }

    public synchronized int capacity() {
        return capacity;
    }

    private long retryAfterSeconds(int queued, Instant now) {
        double rate = serviceRatePerSecond(now);
        double seconds = rate > 0 ? (queued + 1) / rate : seconds(settings.maxQueueTime());
        return Math.max(1, (long) Math.ceil(seconds));
    }

    private int liveWaiting(Instant now) {
        int live = 0;
        for (Waiter w : waiting.values()) {
            if (now.isBefore(w.deadline())) {
                live++;
            }
        }
        return live;
    }

    private void prune(Instant now) {
        Instant cutoff = now.minus(settings.serviceRateWindow());
        while (!completions.isEmpty() && !completions.peekFirst().isAfter(cutoff)) {
            completions.removeFirst();
        }
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
