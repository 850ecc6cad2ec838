package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import dev.flotilla.store.Database;
import dev.flotilla.store.LeaseRepo;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's claim on a database lease: {@link #acquire} before each pass of the leased job
 * takes or renews it for {@code ttl}; only the holder acts. A holder that dies stops renewing and
 * another replica takes over once the lease expires; {@link #release} on a clean shutdown hands it
 * over at once. The ttl must be several job intervals, so one slow pass does not lose it.
 */
public final class Lease {
    private static final Logger LOG = LoggerFactory.getLogger(Lease.class);

    private final Database db;
    private final InstantSource clock;
    private final String name;
    private final String holder;
    private final Duration ttl;
    private final LeaseRepo repo = new LeaseRepo();
    private final AtomicBoolean held = new AtomicBoolean();

    public Lease(Database db, InstantSource clock, String name, String holder, Duration ttl) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.name = requireNonNull(name, "name is null");
        this.holder = requireNonNull(holder, "holder is null");
        this.ttl = requireNonNull(ttl, "ttl is null");
        if (holder.isBlank()) {
            throw new IllegalArgumentException("holder must be non-blank");
        }
    }

    /** Takes or renews the lease; true when this replica holds it now. */
    public boolean acquire() {
        Instant now = clock.instant();
        boolean ok = db.inTransaction(c -> repo.tryAcquire(c, name, holder, now, now.plus(ttl)));
        if (ok != held.getAndSet(ok)) {
            if (ok) {
                LOG.info("{} took the '{}' lease", holder, name);
            } else {
                LOG.info("{} lost the '{}' lease", holder, name);
            }
        }
        return ok;
    }

    public void release() {
        db.inTransaction(c -> {
            repo.release(c, name, holder);
            return null;
        });
        held.set(false);
    }

    /** Whether the last {@link #acquire} succeeded. */
    public boolean held() {
        return held.get();
    }

    public String holder() {
        return holder;
    }
}
