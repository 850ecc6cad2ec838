package dev.flotilla.store;

import dev.flotilla.core.Money;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.market.machine.MaintenanceWindow;
import dev.flotilla.market.machine.ReliabilityStats;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Machines, their reliability counters and maintenance windows. */
public final class MachineRepo {
    private static final String COLS = "id, host_id, gpu_model_id, num_gpus, cpu_cores, cpu_ram_gb, cpu_arch, disk_gb,"
            + " disk_bw_mbs, inet_up_mbps, inet_down_mbps, direct_port_count, static_ip, country, region, cuda_version,"
            + " driver_version, price_per_gpu_hour, min_bid_per_gpu_hour, storage_per_gb_month, bandwidth_per_tb,"
            + " reserved_discount_bps, min_gpus, ends_at, verified, datacenter, listed, online_seconds, observed_seconds,"
            + " last_heartbeat, ok_starts, failed_starts";

    public long insert(Connection c, Machine m, Instant now) throws SQLException {
        ReliabilityStats r = m.reliability();
        return Sql.insert(c, "INSERT INTO machines (host_id, gpu_model_id, num_gpus, cpu_cores, cpu_ram_gb, cpu_arch, disk_gb,"
                        + " disk_bw_mbs, inet_up_mbps, inet_down_mbps, direct_port_count, static_ip, country, region,"
                        + " cuda_version, driver_version, price_per_gpu_hour, min_bid_per_gpu_hour, storage_per_gb_month,"
                        + " bandwidth_per_tb, reserved_discount_bps, min_gpus, ends_at, verified, datacenter, listed,"
                        + " online_seconds, observed_seconds, last_heartbeat, ok_starts, failed_starts, created_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                m.hostId(), m.gpuModelId(), m.numGpus(), m.cpuCores(), m.cpuRamGb(), m.cpuArch(), m.diskGb(),
                m.diskBwMbs(), m.inetUpMbps(), m.inetDownMbps(), m.directPortCount(), m.staticIp(), m.country(),
                m.region(), m.cudaVersion(), m.driverVersion(), m.pricePerGpuHour().micros(),
                m.minBidPerGpuHour().micros(), m.storagePerGbMonth().micros(), m.bandwidthPerTb().micros(),
                m.reservedDiscountBps(), m.minGpus(), m.endsAt().map(Instant::toEpochMilli).orElse(null),
                m.verified(), m.datacenter(), m.listed(), r.onlineSeconds(), r.observedSeconds(),
                r.lastHeartbeat().map(Instant::toEpochMilli).orElse(null), r.okStarts(), r.failedStarts(),
                now.toEpochMilli());
    }

    public Optional<Machine> find(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM machines WHERE id = ?", MachineRepo::map, id);
    }

    /** Locks the machine row: every allocation on a machine is serialized by this lock. */
    public Optional<Machine> lock(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM machines WHERE id = ? FOR UPDATE", MachineRepo::map, id);
    }

    public List<Machine> listAll(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM machines ORDER BY id", MachineRepo::map);
    }

    public List<Machine> listByHost(Connection c, long hostId) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM machines WHERE host_id = ? ORDER BY id", MachineRepo::map, hostId);
    }

    public void setListed(Connection c, long id, boolean listed) throws SQLException {
        Sql.update(c, "UPDATE machines SET listed = ? WHERE id = ?", listed, id);
    }

    public void updatePrices(Connection c, long id, Money price, Money minBid, Money storage, Money bandwidth,
            Optional<Instant> endsAt) throws SQLException {
        Sql.update(c, "UPDATE machines SET price_per_gpu_hour = ?, min_bid_per_gpu_hour = ?, storage_per_gb_month = ?,"
                        + " bandwidth_per_tb = ?, ends_at = ? WHERE id = ?",
                price.micros(), minBid.micros(), storage.micros(), bandwidth.micros(),
                endsAt.map(Instant::toEpochMilli).orElse(null), id);
    }

    public void updateReliability(Connection c, long id, ReliabilityStats r) throws SQLException {
        Sql.update(c, "UPDATE machines SET online_seconds = ?, observed_seconds = ?, last_heartbeat = ?, ok_starts = ?,"
                        + " failed_starts = ? WHERE id = ?",
                r.onlineSeconds(), r.observedSeconds(), r.lastHeartbeat().map(Instant::toEpochMilli).orElse(null),
                r.okStarts(), r.failedStarts(), id);
    }

    public long addMaintenance(Connection c, long machineId, Instant start, Instant end) throws SQLException {
        return Sql.insert(c, "INSERT INTO maintenance_windows (machine_id, starts_at, ends_at) VALUES (?, ?, ?)",
                machineId, start.toEpochMilli(), end.toEpochMilli());
    }

    public List<MaintenanceWindow> maintenance(Connection c) throws SQLException {
        return Sql.list(c, "SELECT id, machine_id, starts_at, ends_at FROM maintenance_windows ORDER BY id",
                MachineRepo::mapWindow);
    }

    public List<MaintenanceWindow> maintenanceOf(Connection c, long machineId) throws SQLException {
        return Sql.list(c, "SELECT id, machine_id, starts_at, ends_at FROM maintenance_windows WHERE machine_id = ?"
                + " ORDER BY starts_at", MachineRepo::mapWindow, machineId);
    }

    static MaintenanceWindow mapWindow(ResultSet rs) throws SQLException {
        return new MaintenanceWindow(rs.getLong(1), rs.getLong(2), Instant.ofEpochMilli(rs.getLong(3)),
                Instant.ofEpochMilli(rs.getLong(4)));
    }

    static Machine map(ResultSet rs) throws SQLException {
        Long endsAt = Sql.nullableLong(rs, "ends_at");
        Long hb = Sql.nullableLong(rs, "last_heartbeat");
        return new Machine(rs.getLong("id"), rs.getLong("host_id"), rs.getString("gpu_model_id"), rs.getInt("num_gpus"),
                rs.getDouble("cpu_cores"), rs.getDouble("cpu_ram_gb"), rs.getString("cpu_arch"), rs.getDouble("disk_gb"),
                rs.getDouble("disk_bw_mbs"), rs.getDouble("inet_up_mbps"), rs.getDouble("inet_down_mbps"),
                rs.getInt("direct_port_count"), rs.getBoolean("static_ip"), rs.getString("country"),
                rs.getString("region"), rs.getDouble("cuda_version"), rs.getString("driver_version"),
                Money.ofMicros(rs.getLong("price_per_gpu_hour")), Money.ofMicros(rs.getLong("min_bid_per_gpu_hour")),
                Money.ofMicros(rs.getLong("storage_per_gb_month")), Money.ofMicros(rs.getLong("bandwidth_per_tb")),
                rs.getInt("reserved_discount_bps"), rs.getInt("min_gpus"),
                Optional.ofNullable(endsAt).map(Instant::ofEpochMilli), rs.getBoolean("verified"),
                rs.getBoolean("datacenter"), rs.getBoolean("listed"),
                new ReliabilityStats(rs.getLong("online_seconds"), rs.getLong("observed_seconds"),
                        Optional.ofNullable(hb).map(Instant::ofEpochMilli), rs.getInt("ok_starts"),
                        rs.getInt("failed_starts")));
    }

    /** Machines whose agent heartbeated at or after {@code since}: the ones that can run workers. */
    public java.util.Set<Long> heartbeatSince(Connection c, Instant since) throws SQLException {
        return java.util.Set.copyOf(Sql.list(c, "SELECT id FROM machines WHERE last_heartbeat >= ?", rs -> rs.getLong(1),
                since.toEpochMilli()));
    }
}
