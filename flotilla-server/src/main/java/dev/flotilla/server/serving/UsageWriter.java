package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import dev.flotilla.gateway.Usage;
import dev.flotilla.gateway.UsageSink;
import dev.flotilla.store.Database;
import dev.flotilla.store.UsageRepo;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's {@link UsageSink}: the event loop only enqueues; {@link #flush} (on a timer and at
 * close) writes what is queued as one batch, so metering costs the request path no database
 * round trip. A batch that fails to write goes back to the queue for the next flush.
 */
public final class UsageWriter implements UsageSink {
    private static final Logger LOG = LoggerFactory.getLogger(UsageWriter.class);
    private static final int MAX_BATCH = 5000;

    private final Database db;
    private final InstantSource clock;
    private final ServingDirectory directory;
    private final UsageRepo repo = new UsageRepo();
    private final ConcurrentLinkedQueue<UsageRepo.Record> queue = new ConcurrentLinkedQueue<>();

    public UsageWriter(Database db, InstantSource clock, ServingDirectory directory) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.directory = requireNonNull(directory, "directory is null");
    }

    @Override
    public void record(Usage u) {
        queue.add(new UsageRepo.Record(Long.parseLong(u.tenantId()), Long.parseLong(u.endpointId()),
                directory.endpointName(u.endpointId()).orElse("endpoint-" + u.endpointId()), Long.parseLong(u.workerId()),
                clock.instant(), u.promptTokens(), u.completionTokens(), Math.round(u.workerSeconds() * 1e6), u.status(),
                u.estimated()));
    }

    /** Writes what is queued; returns how many records were written. */
    public synchronized int flush() {
        int written = 0;
        while (!queue.isEmpty()) {
            List<UsageRepo.Record> batch = new ArrayList<>();
            UsageRepo.Record r;
            while (batch.size() < MAX_BATCH && (r = queue.poll()) != null) {
                batch.add(r);
            }
            try {
                db.inTransaction(c -> {
                    repo.insert(c, batch);
                    return null;
                });
                written += batch.size();
            } catch (RuntimeException e) {
                queue.addAll(batch);
                LOG.warn("could not write {} usage record(s); retrying at the next flush: {}", batch.size(), e.getMessage());
                break;
            }
        }
        return written;
    }
}
