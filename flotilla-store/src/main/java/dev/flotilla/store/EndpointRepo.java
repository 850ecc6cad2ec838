package dev.flotilla.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Serverless endpoints as tenants declare them (the desired state the reconciler will act on). */
public final class EndpointRepo {
    /** One endpoint row. */
    public record Row(long id, long tenantId, String name, String backend, String model, String requirement,
            String capacity, int minWorkers, int maxWorkers, int coldWorkers, int desiredWorkers, long maxQueueMs,
            long inactivityTimeoutS, String routing, Instant createdAt, String scaleNote, Scaling scaling,
            String scaleDecision, int desiredCold) {
        public Row {
            requireNonNull(scaling, "scaling is null");
            requireNonNull(scaleDecision, "scaleDecision is null");
            requireNonNull(scaleNote, "scaleNote is null");
            requireNonNull(name, "name is null");
            requireNonNull(backend, "backend is null");
            requireNonNull(model, "model is null");
            requireNonNull(requirement, "requirement is null");
            requireNonNull(capacity, "capacity is null");
            requireNonNull(routing, "routing is null");
            requireNonNull(createdAt, "createdAt is null");
        }
    }

    /**
     * How the endpoint scales (V5): the policy that sets {@code desired_workers} and the settings it
     * reads beside the row's min/max/cold workers, queue time and inactivity timeout.
     *
     * @param policy {@code manual} (only the scale call sets the count), {@code reactive} or
     *     {@code predictive}
     * @param advisory the policy decides and its decision is shown, but nothing acts on it
     */
    public record Scaling(String policy, boolean advisory, double minLoad, double targetUtil, double coldMult,
            long targetQueueMs) {
        public Scaling {
            requireNonNull(policy, "policy is null");
        }

        /** Whether a policy sets the desired count (so the scale call must not). */
        public boolean autoscaled() {
            return !policy.equals("manual") && !advisory;
        }
    }

    private static final String COLS = "id, tenant_id, name, backend, model, requirement, capacity, min_workers,"
            + " max_workers, cold_workers, desired_workers, max_queue_ms, inactivity_timeout_s, routing, created_at, scale_note,"
            + " policy, advisory, min_load, target_util, cold_mult, target_queue_ms, scale_decision, desired_cold";

    public long insert(Connection c, Row r) throws SQLException {
        return Sql.insert(c, "INSERT INTO endpoints (tenant_id, name, backend, model, requirement, capacity, min_workers,"
                        + " max_workers, cold_workers, desired_workers, max_queue_ms, inactivity_timeout_s, routing, created_at,"
                        + " policy, advisory, min_load, target_util, cold_mult, target_queue_ms)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                r.tenantId(), r.name(), r.backend(), r.model(), r.requirement(), r.capacity(), r.minWorkers(),
                r.maxWorkers(), r.coldWorkers(), r.desiredWorkers(), r.maxQueueMs(), r.inactivityTimeoutS(), r.routing(),
                r.createdAt().toEpochMilli(), r.scaling().policy(), r.scaling().advisory(), r.scaling().minLoad(),
                r.scaling().targetUtil(), r.scaling().coldMult(), r.scaling().targetQueueMs());
    }

    public Optional<Row> find(Connection c, long tenantId, String name) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM endpoints WHERE tenant_id = ? AND name = ?", EndpointRepo::map,
                tenantId, name);
    }

    public List<Row> list(Connection c, long tenantId) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM endpoints WHERE tenant_id = ? ORDER BY name", EndpointRepo::map,
                tenantId);
    }

    public Optional<Row> findById(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM endpoints WHERE id = ?", EndpointRepo::map, id);
    }

    /** Every endpoint of every tenant, by id (the reconciler's and the gateway's view). */
    public List<Row> all(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM endpoints ORDER BY id", EndpointRepo::map);
    }

    public void setDesired(Connection c, long id, int desired) throws SQLException {
        Sql.update(c, "UPDATE endpoints SET desired_workers = ? WHERE id = ?", desired, id);
    }

    /** How many parked (cold) workers the endpoint's policy wants kept. */
    public void setDesiredCold(Connection c, long id, int cold) throws SQLException {
        Sql.update(c, "UPDATE endpoints SET desired_cold = ? WHERE id = ?", cold, id);
    }

    /**
     * Replaces what the tenant may change after creation: the bounds, queue and inactivity limits,
     * routing and scaling settings (the caller has validated them together). The desired count is
     * clamped into the new bounds in the same statement, so it is never outside them.
     */
    public void updateSettings(Connection c, Row r) throws SQLException {
        Sql.update(c, "UPDATE endpoints SET min_workers = ?, max_workers = ?, cold_workers = ?, max_queue_ms = ?,"
                        + " inactivity_timeout_s = ?, routing = ?, policy = ?, advisory = ?, min_load = ?, target_util = ?,"
                        + " cold_mult = ?, target_queue_ms = ?,"
                        + " desired_workers = CASE WHEN desired_workers < ? THEN ? WHEN desired_workers > ? THEN ?"
                        + " ELSE desired_workers END WHERE id = ?",
                r.minWorkers(), r.maxWorkers(), r.coldWorkers(), r.maxQueueMs(), r.inactivityTimeoutS(), r.routing(),
                r.scaling().policy(), r.scaling().advisory(), r.scaling().minLoad(), r.scaling().targetUtil(),
                r.scaling().coldMult(), r.scaling().targetQueueMs(), r.minWorkers(), r.minWorkers(), r.maxWorkers(),
                r.maxWorkers(), r.id());
    }

    /** Stores the scaling policy's latest decision (JSON); written only when it changes. */
    public void setScaleDecision(Connection c, long id, String json) throws SQLException {
        if (json.length() > 4000) {
            throw new IllegalArgumentException("a scale decision is at most 4000 characters, got " + json.length());
        }
        Sql.update(c, "UPDATE endpoints SET scale_decision = ? WHERE id = ? AND scale_decision <> ?", json, id, json);
    }

    /** Records what stands in the way of the desired count; written only when it changes. */
    public void setScaleNote(Connection c, long id, String note) throws SQLException {
        String clipped = note.length() > 1000 ? note.substring(0, 997) + "..." : note;
        Sql.update(c, "UPDATE endpoints SET scale_note = ? WHERE id = ? AND scale_note <> ?", clipped, id, clipped);
    }

    public boolean delete(Connection c, long tenantId, String name) throws SQLException {
        return Sql.update(c, "DELETE FROM endpoints WHERE tenant_id = ? AND name = ?", tenantId, name) == 1;
    }

    static Row map(ResultSet rs) throws SQLException {
        return new Row(rs.getLong("id"), rs.getLong("tenant_id"), rs.getString("name"), rs.getString("backend"),
                rs.getString("model"), rs.getString("requirement"), rs.getString("capacity"), rs.getInt("min_workers"),
                rs.getInt("max_workers"), rs.getInt("cold_workers"), rs.getInt("desired_workers"),
                rs.getLong("max_queue_ms"), rs.getLong("inactivity_timeout_s"), rs.getString("routing"),
                Instant.ofEpochMilli(rs.getLong("created_at")), rs.getString("scale_note"),
                new Scaling(rs.getString("policy"), rs.getBoolean("advisory"), rs.getDouble("min_load"),
                        rs.getDouble("target_util"), rs.getDouble("cold_mult"), rs.getLong("target_queue_ms")),
                rs.getString("scale_decision"), rs.getInt("desired_cold"));
    }
}
