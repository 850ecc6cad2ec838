package dev.flotilla.market.machine;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Money;
import java.time.Instant;
import java.util.Optional;

/**
 * A GPU machine as its host lists it. Prices are per GPU-hour ({@code pricePerGpuHour} on demand,
 * {@code minBidPerGpuHour} the lowest interruptible bid), per GB-month of storage and per TB of
 * bandwidth. {@code reservedDiscountBps} is the discount, in basis points, that a reserved
 * (prepaid) rental gets off the on-demand price. {@code minGpus} is the smallest slice the host
 * rents out. {@code endsAt} is the date after which the host no longer offers the machine.
 */
public record Machine(
        long id,
        long hostId,
        String gpuModelId,
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
        boolean verified,
        boolean datacenter,
        boolean listed,
        ReliabilityStats reliability) {
    public Machine {
        requireNonNull(gpuModelId, "gpuModelId is null");
        requireNonNull(cpuArch, "cpuArch is null");
        requireNonNull(country, "country is null");
        requireNonNull(region, "region is null");
        requireNonNull(driverVersion, "driverVersion is null");
        requireNonNull(pricePerGpuHour, "pricePerGpuHour is null");
        requireNonNull(minBidPerGpuHour, "minBidPerGpuHour is null");
        requireNonNull(storagePerGbMonth, "storagePerGbMonth is null");
        requireNonNull(bandwidthPerTb, "bandwidthPerTb is null");
        requireNonNull(endsAt, "endsAt is null");
        requireNonNull(reliability, "reliability is null");
    }
}
