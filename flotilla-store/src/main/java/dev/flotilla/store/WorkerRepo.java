package dev.flotilla.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Workers of serverless endpoints, their transitions and their logs (V3 migration). */
public final class WorkerRepo {
    /** A worker's lifecycle; the first four are "active" (they hold a rental and count toward scale). */
    public enum State {
        CREATING, LOADING, BENCHMARKING, READY, DRAINING, STOPPED, FAILED, PREEMPTED;

        public boolean active() {
            return this == CREATING || this == LOADING || this == BENCHMARKING || this == READY;
        }

        /** Ended: the backend is (to be) gone and the rental released. */
        public boolean ended() {
            return this == STOPPED || this == FAILED || this == PREEMPTED;
        }

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Optional<State> parse(String s) {
            for (State v : values()) {
                if (v.wireName().equals(s)) {
                    return Optional.of(v);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * A worker's mark in the cold pool (column {@code cold}, shown as-is by the API): none, drained
     * to be parked, parked (its rental stopped), resumed by a new worker, or dropped (released).
     */
    public static final class Cold {
        public static final String NONE = "";
        public static final String PARKING = "parking";
        public static final String PARKED = "parked";
        public static final String RESUMED = "resumed";
        public static final String DROPPED = "dropped";

        private Cold() {}
    }

    /** Load as the worker's agent last reported it. */
    public record Load(int inFlight, int waiting, double kvUse, double tokensPerSecond) {
        public static final Load NONE = new Load(0, 0, 0, 0);
    }

    /** One worker row. */
    public record Worker(long id, Optional<Long> endpointId, String endpointName, long tenantId, long rentalId,
            long machineId, String gpuModelId, String gpuIndexes, String country, boolean interruptible,
            long pricePerHourMicros, State state, String reason, String url, double capacity, double requestsPerSecond,
            double tokensPerSecond, Load load, Instant createdAt, Instant stateSince, Optional<Instant> readyAt,
            Optional<Instant> lastReportAt, Optional<Long> replaces, String cold, Optional<Long> resumedFrom) {
        public Worker {
            requireNonNull(cold, "cold is null");
            requireNonNull(resumedFrom, "resumedFrom is null");
            requireNonNull(replaces, "replaces is null");
            requireNonNull(endpointId, "endpointId is null");
            requireNonNull(endpointName, "endpointName is null");
            requireNonNull(state, "state is null");
            requireNonNull(reason, "reason is null");
            requireNonNull(url, "url is null");
            requireNonNull(load, "load is null");
        }
    }

    /** One transition. */
    public record Event(long id, long workerId, Instant at, State state, String reason) {}

    /** One captured log line. */
    public record LogLine(long id, Instant at, String line) {}

    private static final String COLS = "id, endpoint_id, endpoint_name, tenant_id, rental_id, machine_id, gpu_model_id,"
            + " gpu_indexes, country, interruptible, price_per_hour, state, reason, url, capacity, requests_per_s,"
            + " tokens_per_s, load_in_flight, load_waiting, load_kv_use, load_tokens_per_s, created_at, state_since,"
            + " ready_at, last_report_at, replaces, cold, resumed_from";

    /**
     * Inserts a worker in CREATING with its first event; answers its id. {@code replaces} names the
     * worker it replaces (make before break), if any.
     */
    public long insert(Connection c, long endpointId, String endpointName, long tenantId, long rentalId, long machineId,
            String gpuModelId, String gpuIndexes, String country, boolean interruptible, long pricePerHourMicros,
            String reason, Instant now, Optional<Long> replaces) throws SQLException {
        long id = Sql.insert(c, "INSERT INTO workers (endpoint_id, endpoint_name, tenant_id, rental_id, machine_id,"
                        + " gpu_model_id, gpu_indexes, country, interruptible, price_per_hour, state, reason, created_at,"
                        + " state_since, replaces) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                endpointId, endpointName, tenantId, rentalId, machineId, gpuModelId, gpuIndexes, country, interruptible,
                pricePerHourMicros, State.CREATING.wireName(), clip(reason), now.toEpochMilli(), now.toEpochMilli(),
                replaces.orElse(null));
        event(c, id, State.CREATING, reason, now);
        return id;
    }

    public Optional<Worker> find(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM workers WHERE id = ?", WorkerRepo::map, id);
    }

    /** Locks the row for the rest of the transaction (one writer per worker at a time). */
    public Optional<Worker> lock(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM workers WHERE id = ? FOR UPDATE", WorkerRepo::map, id);
    }

    /** The endpoint's workers, newest first; ended ones only when asked. */
    public List<Worker> ofEndpoint(Connection c, long endpointId, boolean includeEnded) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM workers WHERE endpoint_id = ?"
                + (includeEnded ? "" : " AND state NOT IN ('stopped', 'failed', 'preempted')")
                + " ORDER BY id DESC", WorkerRepo::map, endpointId);
    }

    /** Every worker that has not ended, of every endpoint (the reconciler's and the gateway's view). */
    public List<Worker> live(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM workers WHERE state NOT IN ('stopped', 'failed', 'preempted')"
                + " ORDER BY id", WorkerRepo::map);
    }

    /** The machine's workers that have not ended (what its agent must run or drain). */
    public List<Worker> liveOnMachine(Connection c, long machineId) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM workers WHERE machine_id = ? AND state NOT IN ('stopped', 'failed',"
                + " 'preempted') ORDER BY id", WorkerRepo::map, machineId);
    }

    /**
     * Ended workers whose rental has not ended: the reconciler releases those rentals (or stops
     * them, for a worker being parked cold). Parked workers keep theirs, and a resumed one has
     * handed its rental to the worker that resumed it.
     */
    public List<Worker> endedWithLiveRental(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLS.replaceAll("(^|, )", "$1w.") + " FROM workers w JOIN rentals r ON r.id = w.rental_id"
                + " WHERE w.state IN ('stopped', 'failed', 'preempted') AND r.state <> 'ended'"
                + " AND w.cold NOT IN ('" + Cold.PARKED + "', '" + Cold.RESUMED + "')"
                + " ORDER BY w.id", WorkerRepo::map);
    }

    /** Parked (cold) workers of every endpoint, oldest first: a stopped rental each, kept for a resume. */
    public List<Worker> parked(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM workers WHERE cold = '" + Cold.PARKED + "' ORDER BY id", WorkerRepo::map);
    }

    /** Sets the worker's cold-pool mark ({@code '' | parking | parked | resumed | dropped}). */
    public void setCold(Connection c, long id, String cold) throws SQLException {
        Sql.update(c, "UPDATE workers SET cold = ? WHERE id = ?", cold, id);
    }

    /** Records that {@code id} runs on the rental of parked worker {@code parked}. */
    public void setResumedFrom(Connection c, long id, long parked) throws SQLException {
        Sql.update(c, "UPDATE workers SET resumed_from = ? WHERE id = ?", parked, id);
    }

    /** Endpoints with a worker preempted at or after {@code since}: their replacements go on demand for a while. */
    public java.util.Set<Long> endpointsPreemptedSince(Connection c, Instant since) throws SQLException {
        return java.util.Set.copyOf(Sql.list(c, "SELECT DISTINCT endpoint_id FROM workers WHERE state = 'preempted'"
                + " AND state_since >= ? AND endpoint_id IS NOT NULL", rs -> rs.getLong(1), since.toEpochMilli()));
    }

    /** Moves the worker to {@code state} with its reason and records the event. */
    public void transition(Connection c, long id, State state, String reason, Instant now) throws SQLException {
        Sql.update(c, "UPDATE workers SET state = ?, reason = ?, state_since = ?"
                        + (state == State.READY ? ", ready_at = ?" : "") + " WHERE id = ?",
                state == State.READY
                        ? new Object[] {state.wireName(), clip(reason), now.toEpochMilli(), now.toEpochMilli(), id}
                        : new Object[] {state.wireName(), clip(reason), now.toEpochMilli(), id});
        event(c, id, state, reason, now);
    }

    /** Stores what the agent measured and where the worker listens. */
    public void setBenchmark(Connection c, long id, String url, double capacity, double requestsPerSecond,
            double tokensPerSecond) throws SQLException {
        Sql.update(c, "UPDATE workers SET url = ?, capacity = ?, requests_per_s = ?, tokens_per_s = ? WHERE id = ?",
                url, capacity, requestsPerSecond, tokensPerSecond, id);
    }

    public void setUrl(Connection c, long id, String url) throws SQLException {
        Sql.update(c, "UPDATE workers SET url = ? WHERE id = ?", url, id);
    }

    public void setLoad(Connection c, long id, Load load, Instant now) throws SQLException {
        Sql.update(c, "UPDATE workers SET load_in_flight = ?, load_waiting = ?, load_kv_use = ?, load_tokens_per_s = ?,"
                        + " last_report_at = ? WHERE id = ?",
                load.inFlight(), load.waiting(), load.kvUse(), load.tokensPerSecond(), now.toEpochMilli(), id);
    }

    public void touch(Connection c, long id, Instant now) throws SQLException {
        Sql.update(c, "UPDATE workers SET last_report_at = ? WHERE id = ?", now.toEpochMilli(), id);
    }

    public List<Event> events(Connection c, long workerId) throws SQLException {
        return Sql.list(c, "SELECT id, worker_id, at, state, reason FROM worker_events WHERE worker_id = ? ORDER BY id",
                rs -> new Event(rs.getLong("id"), rs.getLong("worker_id"), Instant.ofEpochMilli(rs.getLong("at")),
                        State.parse(rs.getString("state")).orElseThrow(), rs.getString("reason")),
                workerId);
    }

    /** Appends log lines, then keeps only the newest {@code keep} of this worker. */
    public void appendLog(Connection c, long workerId, List<String> lines, Instant now, int keep) throws SQLException {
        for (String line : lines) {
            Sql.update(c, "INSERT INTO worker_logs (worker_id, at, line) VALUES (?, ?, ?)", workerId, now.toEpochMilli(),
                    line.length() > 2000 ? line.substring(0, 2000) : line);
        }
        long newest = Sql.scalarLong(c, "SELECT COALESCE(MAX(id), 0) FROM worker_logs WHERE worker_id = ?", workerId);
        long count = Sql.scalarLong(c, "SELECT COUNT(*) FROM worker_logs WHERE worker_id = ?", workerId);
        if (count > keep) {
            Sql.update(c, "DELETE FROM worker_logs WHERE worker_id = ? AND id <= ?", workerId, newest - keep);
        }
    }

    /** The newest {@code limit} log lines, oldest first. */
    public List<LogLine> log(Connection c, long workerId, int limit) throws SQLException {
        List<LogLine> newestFirst = Sql.list(c, "SELECT id, at, line FROM worker_logs WHERE worker_id = ? ORDER BY id DESC"
                        + " LIMIT ?",
                rs -> new LogLine(rs.getLong("id"), Instant.ofEpochMilli(rs.getLong("at")), rs.getString("line")),
                workerId, limit);
        return newestFirst.reversed();
    }

    private static void event(Connection c, long workerId, State state, String reason, Instant now) throws SQLException {
        Sql.update(c, "INSERT INTO worker_events (worker_id, at, state, reason) VALUES (?, ?, ?, ?)", workerId,
                now.toEpochMilli(), state.wireName(), clip(reason));
    }

    private static String clip(String reason) {
        return reason.length() > 1000 ? reason.substring(0, 997) + "..." : reason;
    }

    static Worker map(ResultSet rs) throws SQLException {
        Long endpoint = Sql.nullableLong(rs, "endpoint_id");
        Long ready = Sql.nullableLong(rs, "ready_at");
        Long report = Sql.nullableLong(rs, "last_report_at");
        return new Worker(rs.getLong("id"), Optional.ofNullable(endpoint), rs.getString("endpoint_name"),
                rs.getLong("tenant_id"), rs.getLong("rental_id"), rs.getLong("machine_id"), rs.getString("gpu_model_id"),
                rs.getString("gpu_indexes"), rs.getString("country"), rs.getBoolean("interruptible"),
                rs.getLong("price_per_hour"), State.parse(rs.getString("state")).orElseThrow(), rs.getString("reason"),
                rs.getString("url"), rs.getDouble("capacity"), rs.getDouble("requests_per_s"), rs.getDouble("tokens_per_s"),
                new Load(rs.getInt("load_in_flight"), rs.getInt("load_waiting"), rs.getDouble("load_kv_use"),
                        rs.getDouble("load_tokens_per_s")),
                Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("state_since")),
                Optional.ofNullable(ready).map(Instant::ofEpochMilli), Optional.ofNullable(report).map(Instant::ofEpochMilli),
                Optional.ofNullable(Sql.nullableLong(rs, "replaces")), rs.getString("cold"),
                Optional.ofNullable(Sql.nullableLong(rs, "resumed_from")));
    }
}
