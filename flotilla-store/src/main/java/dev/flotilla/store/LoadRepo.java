package dev.flotilla.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Endpoint load samples (V5 {@code endpoint_load}): every replica's gateway writes what it saw per
 * interval, the replica holding the autoscaler's lease reads them all. Rows are read in id order,
 * not by their timestamps, so replicas' clocks need not agree.
 */
public final class LoadRepo {
    /** One replica's interval for one endpoint. */
    public record Sample(long id, long endpointId, String replica, Instant at, Duration interval, long arrivals,
            long tokens, int inFlight, int queued, long completed) {}

    /** Arrivals per minute, for warming a forecaster after a restart or a lease hand-over. */
    public record Minute(Instant start, long arrivals, long tokens) {}

    /**
     * Inserts the samples; one for an endpoint deleted meanwhile is dropped (the gateway may still
     * count requests to it), so a deletion never fails a replica's whole batch.
     */
    public void insert(Connection c, List<Sample> samples) throws SQLException {
        for (Sample s : samples) {
            Sql.update(c, "INSERT INTO endpoint_load (endpoint_id, replica, at, interval_ms, arrivals, tokens, in_flight,"
                            + " queued, completed) SELECT id, ?, ?, ?, ?, ?, ?, ?, ? FROM endpoints WHERE id = ?",
                    s.replica(), s.at().toEpochMilli(), s.interval().toMillis(), s.arrivals(), s.tokens(),
                    s.inFlight(), s.queued(), s.completed(), s.endpointId());
        }
    }

    /** Rows written after row {@code afterId}, oldest first, at most {@code limit}. */
    public List<Sample> after(Connection c, long afterId, int limit) throws SQLException {
        return Sql.list(c, "SELECT id, endpoint_id, replica, at, interval_ms, arrivals, tokens, in_flight, queued, completed"
                        + " FROM endpoint_load WHERE id > ? ORDER BY id LIMIT " + limit,
                rs -> new Sample(rs.getLong(1), rs.getLong(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)),
                        Duration.ofMillis(rs.getLong(5)), rs.getLong(6), rs.getLong(7), rs.getInt(8), rs.getInt(9),
                        rs.getLong(10)),
                afterId);
    }

    /** The newest row id of a row stamped before {@code t} (0 when there is none): where a new reader starts. */
    public long lastIdBefore(Connection c, Instant t) throws SQLException {
        return Sql.scalarLong(c, "SELECT COALESCE(MAX(id), 0) FROM endpoint_load WHERE at < ?", t.toEpochMilli());
    }

    /** The endpoint's arrivals summed per minute since {@code since}, oldest first. */
    public List<Minute> minutes(Connection c, long endpointId, Instant since) throws SQLException {
        return Sql.list(c, "SELECT at / 60000 AS m, SUM(arrivals), SUM(tokens) FROM endpoint_load"
                        + " WHERE endpoint_id = ? AND at >= ? GROUP BY at / 60000 ORDER BY m",
                rs -> new Minute(Instant.ofEpochMilli(rs.getLong(1) * 60_000), rs.getLong(2), rs.getLong(3)),
                endpointId, since.toEpochMilli());
    }

    /** Deletes rows older than {@code before}; returns how many. */
    public int prune(Connection c, Instant before) throws SQLException {
        return Sql.update(c, "DELETE FROM endpoint_load WHERE at < ?", before.toEpochMilli());
    }
}
