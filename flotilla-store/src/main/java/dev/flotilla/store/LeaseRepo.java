package dev.flotilla.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/** Named leases in the database (V4 migration): one holder at a time, until it expires. */
public final class LeaseRepo {
    /** Who holds a lease and until when. */
    public record Held(String holder, Instant expiresAt) {}

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

    public Optional<Held> find(Connection c, String name) throws SQLException {
        return Sql.one(c, "SELECT holder, expires_at FROM leases WHERE name = ?",
                rs -> new Held(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2))), name);
    }
}
