package dev.flotilla.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;

/** Named leases in the database (V4 migration): one holder at a time, until it expires. */
public final class LeaseRepo {
    /**
     * Takes or renews the lease for {@code holder} until {@code until} when it is free, expired at
     * {@code now}, or already {@code holder}'s. One statement: two replicas can never both succeed.
     */
    public boolean tryAcquire(Connection c, String name, String holder, Instant now, Instant until) throws SQLException {
        return Sql.update(c, "UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND (holder = ? OR expires_at <= ?)",
                holder, until.toEpochMilli(), name, holder, now.toEpochMilli()) == 1;
    }

    /** Gives the lease up at once if {@code holder} has it (a clean shutdown hands over without waiting). */
    public void release(Connection c, String name, String holder) throws SQLException {
        Sql.update(c, "UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?", name, holder);
    }
}
