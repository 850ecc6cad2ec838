package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link BatchScheduler} on one dedicated thread in wall time: each step sleeps its
 * modelled duration times {@code timeScale}, then hands every token to its request's sink through
 * the request's executor (its Vert.x context). One thread posts all of a request's tokens to one
 * executor in order, so each response sees its tokens in order with no locking.
 *
 * <p>Submissions and cancellations are commands queued to the loop thread, which alone touches
 * the scheduler; they take effect at the next step boundary, as arrivals do in a real server.
 * Sleeps aim at absolute deadlines, so short sleeps that overshoot do not add up to drift.
 */
public final class SchedulerLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SchedulerLoop.class);

    private final BatchScheduler scheduler;
    private final double timeScale;
    private final ThroughputMeter meter;
    private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final Map<Long, Subscriber> subscribers = new HashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile LoadSnapshot load;
    private long steps;

    private record Subscriber(Executor executor, Consumer<TokenEvent> sink) {}

    public SchedulerLoop(BatchScheduler scheduler, double timeScale, ThroughputMeter meter) {
        this.scheduler = requireNonNull(scheduler, "scheduler is null");
        this.meter = requireNonNull(meter, "meter is null");
        if (!(timeScale > 0) || Double.isInfinite(timeScale)) {
            throw new IllegalArgumentException("time scale must be a positive finite number; got " + timeScale);
        }
        this.timeScale = timeScale;
        publish();
        this.thread = Thread.ofPlatform().name("emulator-scheduler").daemon(true).unstarted(this::run);
        this.thread.setUncaughtExceptionHandler((t, e) -> LOG.error("scheduler loop died", e));
    }

    /** Starts the loop thread. */
    public SchedulerLoop start() {
        thread.start();
        return this;
    }

    /** Queues {@code request}; its tokens go to {@code sink}, run on {@code executor}, in order. */
    public void submit(SequenceRequest request, Executor executor, Consumer<TokenEvent> sink) {
        requireNonNull(request, "request is null");
        Subscriber subscriber = new Subscriber(requireNonNull(executor, "executor is null"),
                requireNonNull(sink, "sink is null"));
        commands.add(() -> {
            subscribers.put(request.id(), subscriber);
            scheduler.submit(request);
        });
    }

    /** Drops a request and frees its KV cache; tokens already posted may still arrive. */
    public void cancel(long requestId) {
        commands.add(() -> {
            subscribers.remove(requestId);
            scheduler.cancel(requestId);
        });
    }

    /** The state after the latest step or command. */
    public LoadSnapshot load() {
        return load;
    }

    /** Generated tokens per second over the meter's window. */
    public double tokensPerSecond() {
        return meter.tokensPerSecond();
    }

    private void run() {
        long deadline = System.nanoTime();
        while (!closed) {
            try {
                drainCommands(false);
                Optional<StepResult> step = scheduler.step();
                if (step.isEmpty()) {
                    publish();
                    drainCommands(true);
                    deadline = System.nanoTime();
                    continue;
                }
                deadline += (long) (step.get().seconds() * timeScale * 1e9);
                long wait;
                while (!closed && (wait = deadline - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                // A loop that fell behind (a GC pause) restarts its schedule rather than
                // running steps back to back to catch up.
                deadline = Math.max(deadline, System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(50));
                steps++;
                dispatch(step.get().events());
                meter.record(step.get().events().size());
                publish();
            } catch (RuntimeException e) {
                LOG.error("scheduler step failed", e);
            }
        }
    }

    private void drainCommands(boolean block) {
        try {
            Runnable first = block ? commands.poll(100, TimeUnit.MILLISECONDS) : commands.poll();
            for (Runnable c = first; c != null; c = commands.poll()) {
                c.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    private void dispatch(List<TokenEvent> events) {
        for (TokenEvent e : events) {
            Subscriber s = e.finish().isPresent() ? subscribers.remove(e.requestId()) : subscribers.get(e.requestId());
            if (s != null) {
                s.executor().execute(() -> s.sink().accept(e));
            }
        }
    }

    private void publish() {
        load = new LoadSnapshot(scheduler.runningCount(), scheduler.waitingCount(), scheduler.kvUsedTokens(),
                scheduler.kvCapacityTokens(), steps);
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
