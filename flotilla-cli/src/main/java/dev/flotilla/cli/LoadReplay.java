package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import dev.flotilla.traces.TraceRequest;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * Replays a trace in wall-clock time: request {@code i} is sent {@code (arrival_i - arrival_0) /
 * speedup} after the start, whatever happened to the ones before (an open-loop load, as real
 * clients make; a closed loop would slow down exactly when the server does and hide it). At most
 * {@code maxConcurrency} requests are in flight: one due while the bound is full is counted as
 * skipped, never queued, so that a slow server cannot make the client's memory or the later send
 * times grow without bound. A send that is late (the client could not keep up) goes out at once
 * and its lag is reported. Nothing is retried: a retry would be load the trace did not have.
 *
 * <pre>
 *   LoadReplay replay = new LoadReplay(settings, LoadClock.system(), client, progressLine -> out.println(progressLine));
 *   LoadReport report = replay.run(traceStream, setup);
 * </pre>
 *
 * <p>One thread schedules, prints progress and drains; {@link Sender} answers on threads of its
 * own. The clock is injected: tests drive the schedule with a fake one and a fake sender.
 */
final class LoadReplay {
    /** How often the drain loop looks whether the last requests finished. */
    static final long DRAIN_POLL_NANOS = 20_000_000L;

    /** Sends one request; the future completes with how it ended and must not fail (a failure is counted as a client error). */
    interface Sender {
        CompletableFuture<LoadOutcome> send(long index, TraceRequest request);
    }

    /**
     * The replay's knobs.
     *
     * @param speedup trace time / wall time, finite and > 0
     * @param maxConcurrency requests in flight at most, >= 1
     * @param limit trace requests to replay at most (sent or skipped), >= 1
     * @param duration wall time after which no request is sent; requests in flight still finish
     * @param progressEvery time between progress lines; empty for none
     * @param drainTimeout how long to wait for the requests in flight after the last send
     */
    record Settings(double speedup, int maxConcurrency, long limit, Optional<Duration> duration,
            Optional<Duration> progressEvery, Duration drainTimeout) {
        Settings {
            if (!(speedup > 0) || !Double.isFinite(speedup)) {
                throw new IllegalArgumentException("speedup must be finite and > 0, got " + speedup);
            }
            if (maxConcurrency < 1 || limit < 1) {
                throw new IllegalArgumentException("maxConcurrency and limit must be >= 1, got " + maxConcurrency + ", " + limit);
            }
            requireNonNull(duration, "duration is null");
            requireNonNull(progressEvery, "progressEvery is null");
            requireNonNull(drainTimeout, "drainTimeout is null");
        }

        /** When {@code r} is due, in nanoseconds after the start, given the first replayed arrival. */
        long offsetNanos(long firstArrivalMicros, TraceRequest r) {
            return Math.round((r.arrivalMicros() - firstArrivalMicros) * 1_000.0 / speedup);
        }

        /** Whether a request due {@code offsetNanos} after the start is still inside {@link #duration}. */
        boolean withinDuration(long offsetNanos) {
            return duration.isEmpty() || offsetNanos < duration.get().toNanos();
        }
    }

    /** What a replay of a trace selects, without sending: for the header line and to find bad rows before the start. */
    record Selection(long requests, long spanNanos) {}

    private final Settings settings;
    private final LoadClock clock;
    private final Sender sender;
    private final Consumer<String> progress;
    private final LoadStats stats = new LoadStats();
    private volatile boolean stopped;
    private volatile Thread runner;
    private Optional<FlotillaException> traceError = Optional.empty();
    // the progress schedule; touched by the runner thread only
    private long start;
    private long progressNanos;
    private long nextProgress;
    private long lastProgress;

    LoadReplay(Settings settings, LoadClock clock, Sender sender, Consumer<String> progress) {
        this.settings = requireNonNull(settings, "settings is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.sender = requireNonNull(sender, "sender is null");
        this.progress = requireNonNull(progress, "progress is null");
    }

    /** Counts what {@link #run} would replay of {@code trace}, applying the same limit and duration. */
    static Selection select(Iterator<TraceRequest> trace, Settings settings) {
        long n = 0;
        long first = -1;
        long span = 0;
        while (n < settings.limit() && trace.hasNext()) {
            TraceRequest r = trace.next();
            if (first < 0) {
                first = r.arrivalMicros();
            }
            long offset = settings.offsetNanos(first, r);
            if (!settings.withinDuration(offset)) {
                break;
            }
            span = offset;
            n++;
        }
        return new Selection(n, span);
    }

    /**
     * Replays {@code trace} and returns the report once the requests in flight finished (or the
     * drain timeout passed). A malformed row met on the way stops the sending; the report says
     * so and the exception is rethrown to the caller through {@link #traceError()}.
     */
    LoadReport run(Iterator<TraceRequest> trace, LoadReport.Setup setup) {
        runner = Thread.currentThread();
        Semaphore slots = new Semaphore(settings.maxConcurrency());
        start = clock.nanos();
        progressNanos = settings.progressEvery().map(Duration::toNanos).orElse(Long.MAX_VALUE);
        nextProgress = progressNanos == Long.MAX_VALUE ? Long.MAX_VALUE : start + progressNanos;
        lastProgress = start;
        long first = -1;
        long replayed = 0;
        long scheduledSpan = 0;
        long sendSpan = 0;
        LoadReport.StopReason why = LoadReport.StopReason.END_OF_TRACE;
        try {
            while (true) {
                if (stopped) {
                    why = LoadReport.StopReason.INTERRUPTED;
                    break;
                }
                if (replayed >= settings.limit()) {
                    why = LoadReport.StopReason.LIMIT;
                    break;
                }
                TraceRequest r;
                try {
                    if (!trace.hasNext()) {
                        break;
                    }
                    r = trace.next();
                } catch (FlotillaException e) {
                    traceError = Optional.of(e);
                    why = LoadReport.StopReason.TRACE_ERROR;
                    break;
                }
                if (first < 0) {
                    first = r.arrivalMicros();
                }
                long offset = settings.offsetNanos(first, r);
                if (!settings.withinDuration(offset)) {
                    why = LoadReport.StopReason.DURATION;
                    break;
                }
                long due = start + offset;
                long now = waitUntil(due);
                replayed++;
                scheduledSpan = offset;
                sendSpan = now - start;
                if (!slots.tryAcquire()) {
                    stats.skipped();
                    continue;
                }
                stats.sent(now - due);
                dispatch(replayed - 1, r, slots);
            }
            drain();
        } catch (InterruptedException e) {
            why = LoadReport.StopReason.INTERRUPTED;
        } finally {
            runner = null;
            if (stopped) {
                Thread.interrupted(); // the stop's interrupt was for the sleep; the caller goes on to print the report
            }
        }
        long end = clock.nanos();
        return stats.report(new LoadReport.Schedule(setup, settings.speedup(), settings.maxConcurrency(), scheduledSpan, sendSpan,
                end - start, why));
    }

    /** The malformed row that stopped the last {@link #run}, if one did. */
    Optional<FlotillaException> traceError() {
        return traceError;
    }

    /** Asks a running replay to stop sending at once and not to wait for the requests in flight (Ctrl-C). */
    void stop() {
        stopped = true;
        Thread t = runner;
        if (t != null) {
            t.interrupt();
        }
    }

    private void dispatch(long index, TraceRequest r, Semaphore slots) {
        CompletableFuture<LoadOutcome> f;
        try {
            f = sender.send(index, r);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((outcome, failure) -> {
            try {
                stats.completed(outcome != null ? outcome
                        : LoadOutcome.noResponse("client_error", String.valueOf(failure), 0));
            } finally {
                slots.release();
            }
        });
    }

    /** Sleeps until {@code due}, printing the progress lines that fall due on the way; returns the time it woke. */
    private long waitUntil(long due) throws InterruptedException {
        while (true) {
            long now = clock.nanos();
            if (now >= nextProgress) {
                printProgress(now);
                continue;
            }
            if (now >= due) {
                return now;
            }
            if (stopped) {
                throw new InterruptedException("stopped");
            }
            clock.sleepUntil(Math.min(due, nextProgress));
        }
    }

    private void drain() throws InterruptedException {
        long deadline = clock.nanos() + settings.drainTimeout().toNanos();
        while (stats.inFlight() > 0 && !stopped) {
            long now = clock.nanos();
            if (now >= nextProgress) {
                printProgress(now);
                continue;
            }
            if (now >= deadline) {
                return;
            }
            clock.sleepUntil(Math.min(Math.min(now + DRAIN_POLL_NANOS, deadline), nextProgress));
        }
    }

    private void printProgress(long now) {
        long interval = now - lastProgress;
        progress.accept(progressLine(stats.progress(now - start, interval), interval));
        lastProgress = now;
        // a progress line that came late (a long sleep) does not make the next ones pile up
        while (nextProgress <= now) {
            nextProgress += progressNanos;
        }
    }

    /** {@code [   1m00s] sent 612 (10.2/s) ok 598 errors 6 (429 x4, 503 x2) skipped 0 in flight 8 | last 10s: p50 812 ms p99 2.41 s} */
    static String progressLine(LoadStats.Progress p, long intervalNanos) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "[%8s] sent %d (%s/s) ok %d errors %d", LoadReport.elapsed(p.elapsedNanos()),
                p.sent(), LoadReport.number(p.intervalSentPerSecond()), p.ok(), p.errorTotal()));
        if (!p.errors().isEmpty()) {
            b.append(" (");
            b.append(String.join(", ", p.errors().entrySet().stream().map(e -> e.getKey() + " x" + e.getValue()).toList()));
            b.append(')');
        }
        b.append(" skipped ").append(p.skipped()).append(" in flight ").append(p.inFlight());
        b.append(" | last ").append(LoadReport.elapsed(intervalNanos)).append(": p50 ").append(LoadReport.millis(p.intervalP50Nanos()))
                .append(" p99 ").append(LoadReport.millis(p.intervalP99Nanos()));
        return b.toString();
    }
}
