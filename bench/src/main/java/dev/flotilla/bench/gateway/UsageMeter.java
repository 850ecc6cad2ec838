package dev.flotilla.bench.gateway;

import dev.flotilla.gateway.Usage;
import dev.flotilla.gateway.UsageSink;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The usage path as the control plane runs it: the gateway's event loops only enqueue each
 * {@link Usage}; one background thread drains the queue every few milliseconds and aggregates
 * requests and tokens per status (where the control plane would post to the ledger). The totals
 * let the benchmark check that every request it sent through the gateway was metered.
 */
final class UsageMeter implements UsageSink, AutoCloseable {
    private static final long DRAIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ConcurrentLinkedQueue<Usage> queue = new ConcurrentLinkedQueue<>();
    private final Thread drainer;
    private volatile boolean running = true;
    // Written by the drainer only; read under the monitor.
    private final Map<Integer, long[]> byStatus = new TreeMap<>();
    private long promptTokens;
    private long completionTokens;
    private long estimated;

    UsageMeter() {
        drainer = Thread.ofPlatform().name("usage-drainer").daemon(true).start(this::run);
    }

    @Override
    public void record(Usage usage) {
        queue.add(usage);
    }

    /** Everything aggregated so far (waits for one drain so that enqueued records count). */
    synchronized Totals totals() {
        drain();
        Map<Integer, Long> requests = new TreeMap<>();
        byStatus.forEach((status, n) -> requests.put(status, n[0]));
        return new Totals(requests, promptTokens, completionTokens, estimated);
    }

    /** Requests metered, by status, and the tokens of all of them. */
    record Totals(Map<Integer, Long> requestsByStatus, long promptTokens, long completionTokens, long estimated) {
        Totals {
            requestsByStatus = Map.copyOf(requestsByStatus);
        }

        long requests() {
            return requestsByStatus.values().stream().mapToLong(Long::longValue).sum();
        }

        long ok() {
            return requestsByStatus.getOrDefault(200, 0L);
        }
    }

    private void run() {
        while (running) {
            LockSupport.parkNanos(DRAIN_INTERVAL_NANOS);
            synchronized (this) {
                drain();
            }
        }
    }

    private void drain() {
        Usage u;
        while ((u = queue.poll()) != null) {
            byStatus.computeIfAbsent(u.status(), s -> new long[1])[0]++;
            promptTokens += u.promptTokens();
            completionTokens += u.completionTokens();
            if (u.estimated()) {
                estimated++;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(drainer);
    }
}
