package dev.flotilla.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** What happened to a tenant's rentals (created, preempted, resumed, stopped...), newest last. */
public final class EventRepo {
    /** One event as a tenant sees it. */
    public record Event(long id, long rentalId, Instant at, String kind, String detail) {}

    public void add(Connection c, long rentalId, long tenantId, Instant at, String kind, String detail) throws SQLException {
        Sql.update(c, "INSERT INTO rental_events (rental_id, tenant_id, at, kind, detail) VALUES (?, ?, ?, ?, ?)",
                rentalId, tenantId, at.toEpochMilli(), kind, detail.length() > 400 ? detail.substring(0, 400) : detail);
    }

    public List<Event> list(Connection c, long tenantId, long afterId, int limit) throws SQLException {
        return Sql.list(c, "SELECT id, rental_id, at, kind, detail FROM rental_events WHERE tenant_id = ? AND id > ?"
                        + " ORDER BY id LIMIT " + limit,
                rs -> new Event(rs.getLong(1), rs.getLong(2), Instant.ofEpochMilli(rs.getLong(3)), rs.getString(4),
                        rs.getString(5)), tenantId, afterId);
    }

    public List<Event> listForRental(Connection c, long rentalId) throws SQLException {
        return Sql.list(c, "SELECT id, rental_id, at, kind, detail FROM rental_events WHERE rental_id = ? ORDER BY id",
                rs -> new Event(rs.getLong(1), rs.getLong(2), Instant.ofEpochMilli(rs.getLong(3)), rs.getString(4),
                        rs.getString(5)), rentalId);
    }
}
