package dev.flotilla.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** Per-request usage recorded by the gateway, and its sums per endpoint (V3 migration). */
public final class UsageRepo {
    /** One request as the gateway saw it. */
    public record Record(long tenantId, long endpointId, String endpointName, long workerId, Instant at,
            long promptTokens, long completionTokens, long workerMicros, int status, boolean estimated) {}

    /** Sums over an endpoint's requests in a period. */
    public record Summary(String endpointName, long requests, long failed, long promptTokens, long completionTokens,
            long workerMicros) {}

    /** Inserts records as one JDBC batch. */
    public void insert(Connection c, List<Record> records) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO usage_records (tenant_id, endpoint_id, endpoint_name,"
                + " worker_id, at, prompt_tokens, completion_tokens, worker_micros, status, estimated)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (Record r : records) {
                ps.setLong(1, r.tenantId());
                ps.setLong(2, r.endpointId());
                ps.setString(3, r.endpointName());
                ps.setLong(4, r.workerId());
                ps.setLong(5, r.at().toEpochMilli());
                ps.setLong(6, r.promptTokens());
                ps.setLong(7, r.completionTokens());
                ps.setLong(8, r.workerMicros());
                ps.setInt(9, r.status());
                ps.setBoolean(10, r.estimated());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** The tenant's usage per endpoint name in [from, to), by name. */
    public List<Summary> summary(Connection c, long tenantId, Instant from, Instant to) throws SQLException {
        return Sql.list(c, "SELECT endpoint_name, COUNT(*) AS requests,"
                        + " SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS failed,"
                        + " SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion, SUM(worker_micros) AS micros"
                        + " FROM usage_records WHERE tenant_id = ? AND at >= ? AND at < ?"
                        + " GROUP BY endpoint_name ORDER BY endpoint_name",
                rs -> new Summary(rs.getString("endpoint_name"), rs.getLong("requests"), rs.getLong("failed"),
                        rs.getLong("prompt"), rs.getLong("completion"), rs.getLong("micros")),
                tenantId, from.toEpochMilli(), to.toEpochMilli());
    }
}
