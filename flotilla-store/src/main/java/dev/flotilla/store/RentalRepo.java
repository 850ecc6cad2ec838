package dev.flotilla.store;

import dev.flotilla.core.Money;
import dev.flotilla.market.billing.Meter;
import dev.flotilla.market.offer.RentalType;
import dev.flotilla.market.rental.Rental;
import dev.flotilla.market.rental.RentalState;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Rentals and their per-second meters. */
public final class RentalRepo {
    private static final String COLS = "id, tenant_id, machine_id, host_id, offer_id, rental_type, state, state_reason,"
            + " num_gpus, first_gpu, priority, price_per_hour, prepaid, reserved_until, disk_gb, storage_per_gb_month,"
            + " bandwidth_per_tb, created_at, ended_at, metered_until, gpu_billable_from, gpu_seconds, gpu_charged,"
            + " storage_seconds, storage_charged, bandwidth_bytes, bandwidth_charged";

    public long insert(Connection c, Rental r) throws SQLException {
        Meter m = r.meter();
        return Sql.insert(c, "INSERT INTO rentals (tenant_id, machine_id, host_id, offer_id, rental_type, state, state_reason,"
                        + " num_gpus, first_gpu, priority, price_per_hour, prepaid, reserved_until, disk_gb,"
                        + " storage_per_gb_month, bandwidth_per_tb, created_at, ended_at, metered_until, gpu_billable_from,"
                        + " gpu_seconds, gpu_charged, storage_seconds, storage_charged, bandwidth_bytes, bandwidth_charged)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                r.tenantId(), r.machineId(), r.hostId(), r.offerId(), r.type().wireName(), r.state().wireName(),
                r.stateReason(), r.numGpus(), r.firstGpu().isPresent() ? (Object) r.firstGpu().getAsInt() : null,
                r.priority(), r.pricePerHour().micros(), r.prepaid().micros(),
                r.reservedUntil().map(Instant::toEpochMilli).orElse(null), r.diskGb(), r.storagePerGbMonth().micros(),
                r.bandwidthPerTb().micros(), r.createdAt().toEpochMilli(), r.endedAt().map(Instant::toEpochMilli).orElse(null),
                m.meteredUntil().toEpochMilli(), m.gpuBillableFrom().toEpochMilli(), m.gpuSeconds(), m.gpuChargedMicros(),
                m.storageSeconds(), m.storageChargedMicros(), r.bandwidthBytes(), r.bandwidthChargedMicros());
    }

    public Optional<Rental> find(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM rentals WHERE id = ?", RentalRepo::map, id);
    }

    public Optional<Rental> lock(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM rentals WHERE id = ? FOR UPDATE", RentalRepo::map, id);
    }

    public List<Rental> listByTenant(Connection c, long tenantId, boolean includeEnded) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM rentals WHERE tenant_id = ?"
                + (includeEnded ? "" : " AND state <> 'ended'") + " ORDER BY id", RentalRepo::map, tenantId);
    }

    public List<Rental> listByHost(Connection c, long hostId) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM rentals WHERE host_id = ? AND state <> 'ended' ORDER BY id",
                RentalRepo::map, hostId);
    }

    /** Rentals on a machine that hold or wait for its GPUs (running or preempted). */
    public List<Rental> listLiveOnMachine(Connection c, long machineId) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM rentals WHERE machine_id = ? AND state IN ('running', 'preempted')"
                + " ORDER BY id", RentalRepo::map, machineId);
    }

    /** Every rental that holds GPUs, for building offers. */
    public List<Rental> listRunning(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM rentals WHERE state = 'running'", RentalRepo::map);
    }

    public List<Long> listUnendedIds(Connection c) throws SQLException {
        return Sql.list(c, "SELECT id FROM rentals WHERE state <> 'ended' ORDER BY id", rs -> rs.getLong(1));
    }

    public void update(Connection c, Rental r) throws SQLException {
        Meter m = r.meter();
        Sql.update(c, "UPDATE rentals SET state = ?, state_reason = ?, first_gpu = ?, rental_type = ?, ended_at = ?,"
                        + " metered_until = ?, gpu_seconds = ?, gpu_charged = ?, storage_seconds = ?, storage_charged = ?,"
                        + " bandwidth_bytes = ?, bandwidth_charged = ? WHERE id = ?",
                r.state().wireName(), r.stateReason(), r.firstGpu().isPresent() ? (Object) r.firstGpu().getAsInt() : null,
                r.type().wireName(), r.endedAt().map(Instant::toEpochMilli).orElse(null), m.meteredUntil().toEpochMilli(),
                m.gpuSeconds(), m.gpuChargedMicros(), m.storageSeconds(), m.storageChargedMicros(), r.bandwidthBytes(),
                r.bandwidthChargedMicros(), r.id());
    }

    static Rental map(ResultSet rs) throws SQLException {
        Long reservedUntil = Sql.nullableLong(rs, "reserved_until");
        Long endedAt = Sql.nullableLong(rs, "ended_at");
        int first = rs.getInt("first_gpu");
        OptionalInt firstGpu = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(first);
        Meter meter = new Meter(rs.getLong("price_per_hour"),
                rs.getLong("storage_per_gb_month") * rs.getInt("disk_gb"),
                Instant.ofEpochMilli(rs.getLong("gpu_billable_from")), Instant.ofEpochMilli(rs.getLong("metered_until")),
                rs.getLong("gpu_seconds"), rs.getLong("gpu_charged"), rs.getLong("storage_seconds"),
                rs.getLong("storage_charged"));
        return new Rental(rs.getLong("id"), rs.getLong("tenant_id"), rs.getLong("machine_id"), rs.getLong("host_id"),
                rs.getLong("offer_id"), RentalType.parse("rental_type", rs.getString("rental_type")),
                RentalState.valueOf(rs.getString("state").toUpperCase(java.util.Locale.ROOT)), rs.getString("state_reason"),
                rs.getInt("num_gpus"), firstGpu, rs.getLong("priority"), Money.ofMicros(rs.getLong("price_per_hour")),
                Money.ofMicros(rs.getLong("prepaid")), Optional.ofNullable(reservedUntil).map(Instant::ofEpochMilli),
                rs.getInt("disk_gb"), Money.ofMicros(rs.getLong("storage_per_gb_month")),
                Money.ofMicros(rs.getLong("bandwidth_per_tb")), Instant.ofEpochMilli(rs.getLong("created_at")),
                Optional.ofNullable(endedAt).map(Instant::ofEpochMilli), meter, rs.getLong("bandwidth_bytes"),
                rs.getLong("bandwidth_charged"));
    }
}
