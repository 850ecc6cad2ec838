package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import dev.flotilla.gateway.EndpointLoad;
import dev.flotilla.store.Database;
import dev.flotilla.store.LoadRepo;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Every replica's half of autoscaling: samples its own gateway's per-endpoint counters
 * ({@link dev.flotilla.gateway.Gateway#load()}) and writes what changed to {@code endpoint_load},
 * where the replica holding the lease reads every replica's rows ({@link Autoscaler}). So a
 * policy sees the load of all gateways behind a load balancer, not only its own.
 *
 * <p>A row is written for an endpoint that had arrivals, finished tokens, or requests in flight
 * or queued, and one more after it goes quiet: the autoscaler carries each replica's last
 * in-flight and queued counts forward until a row says otherwise, so the trailing zero row is
 * what tells it the requests ended. Not thread-safe: one periodic job calls {@link #record}.
 */
public final class LoadRecorder {
    private final Database db;
    private final InstantSource clock;
    private final String replica;
    private final Supplier<Map<String, EndpointLoad>> source;
    private final LoadRepo repo = new LoadRepo();
    private final Map<String, EndpointLoad> previous = new HashMap<>();
    private final Set<String> active = new HashSet<>();
    private Instant last;

    public LoadRecorder(Database db, InstantSource clock, String replica, Supplier<Map<String, EndpointLoad>> source) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.replica = requireNonNull(replica, "replica is null");
        this.source = requireNonNull(source, "source is null");
    }

    /** Samples the gateway and writes one row per endpoint with something to say; answers how many. */
    public int record() {
        Instant now = clock.instant();
        Map<String, EndpointLoad> current = source.get();
        Duration interval = last == null || !now.isAfter(last) ? Duration.ofMillis(1) : Duration.between(last, now);
        last = now;
        List<LoadRepo.Sample> rows = new ArrayList<>();
        for (var e : current.entrySet()) {
            Long endpointId = parseId(e.getKey());
            if (endpointId == null) {
                continue;
            }
            EndpointLoad now0 = e.getValue();
            EndpointLoad before = previous.getOrDefault(e.getKey(), new EndpointLoad(0, 0, 0, 0));
            long arrivals = Math.max(0, now0.arrivals() - before.arrivals());
            long tokens = Math.max(0, now0.tokens() - before.tokens());
            long completed = Math.max(0, now0.completed() - before.completed());
            boolean busy = arrivals > 0 || tokens > 0 || completed > 0 || now0.inFlight() > 0 || now0.queued() > 0;
            if (busy || active.contains(e.getKey())) {
                rows.add(new LoadRepo.Sample(0, endpointId, replica, now, interval, arrivals, tokens, now0.inFlight(),
                        now0.queued(), completed));
            }
            if (busy) {
                active.add(e.getKey());
            } else {
                active.remove(e.getKey());
            }
            previous.put(e.getKey(), now0);
        }
        if (!rows.isEmpty()) {
            db.inTransaction(c -> {
                repo.insert(c, rows);
                return null;
            });
        }
        return rows.size();
    }

    private static Long parseId(String id) {
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
