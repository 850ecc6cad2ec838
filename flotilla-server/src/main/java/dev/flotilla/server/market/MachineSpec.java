package dev.flotilla.server.market;

import dev.flotilla.core.Money;
import java.time.Instant;
import java.util.Optional;

/**
 * What a host says when it lists a machine; validated by {@link MarketService#listMachine}.
 * {@code gpuName} may be a market name ({@code RTX 4090}) or catalog id ({@code RTX_4090});
 * {@code gpuRamGb} picks between variants that share a market name.
 */
public record MachineSpec(
        String gpuName,
        Optional<Double> gpuRamGb,
        int numGpus,
        double cpuCores,
        double cpuRamGb,
        String cpuArch,
        double diskGb,
        double diskBwMbs,
        double inetUpMbps,
        double inetDownMbps,
        int directPortCount,
        boolean staticIp,
        String country,
        String region,
        double cudaVersion,
        String driverVersion,
        Money pricePerGpuHour,
        Money minBidPerGpuHour,
        Money storagePerGbMonth,
        Money bandwidthPerTb,
        int reservedDiscountBps,
        int minGpus,
        Optional<Instant> endsAt,
        boolean datacenter) {}
