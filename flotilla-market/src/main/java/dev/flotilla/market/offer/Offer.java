package dev.flotilla.market.offer;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Money;

/**
 * One rentable unit of the marketplace: {@code numGpus} GPUs of one machine (a slice of 1, 2, 4
 * or 8 GPUs, or the whole machine). The offer id is {@code machineId * 100 + numGpus}, so it is
 * stable while the machine is listed and says which slice size it is.
 *
 * <p>Units are the ones GPU-marketplace users query in: GB for memory and disk (per offer, that is
 * the machine's share for {@code numGpus}), GB/s for bandwidths, TFLOPS for compute, Mb/s for the
 * network, days for {@code durationDays} (infinite when the machine has no end date). Prices are
 * exact {@link Money}: {@code onDemandPerHour}, {@code reservedPerHour} and {@code minBidPerHour}
 * are for the whole slice, {@code storagePerGbMonth} per GB-month, {@code bandwidthPerTb} per TB
 * moved.
 *
 * <p>{@code freeSlices} counts the aligned slices of this size that nobody holds;
 * {@code preemptibleSlices} those held only by interruptible rentals, which on-demand, reserved
 * and higher bids can take. {@code available} is false while the machine is unlisted, in a
 * maintenance window or past its end date.
 */
public record Offer(
        long id,
        long machineId,
        long hostId,
        int numGpus,
        int machineGpus,
        String gpuName,
        String gpuModelId,
        double gpuRamGb,
        double gpuMemBwGbs,
        int computeCap,
        double totalFlops,
        double bwNvlinkGbs,
        double cpuCores,
        double cpuRamGb,
        String cpuArch,
        double diskSpaceGb,
        double diskBwMbs,
        int pciGen,
        double pcieBwGbs,
        double inetUpMbps,
        double inetDownMbps,
        int directPortCount,
        boolean staticIp,
        Money onDemandPerHour,
        Money reservedPerHour,
        Money minBidPerHour,
        Money storagePerGbMonth,
        Money bandwidthPerTb,
        double reliability,
        boolean verified,
        boolean datacenter,
        boolean external,
        String country,
        String region,
        double cudaVersion,
        String driverVersion,
        double durationDays,
        double dlperf,
        int freeSlices,
        int preemptibleSlices,
        boolean available) {
    public Offer {
        requireNonNull(gpuName, "gpuName is null");
        requireNonNull(gpuModelId, "gpuModelId is null");
        requireNonNull(cpuArch, "cpuArch is null");
        requireNonNull(onDemandPerHour, "onDemandPerHour is null");
        requireNonNull(reservedPerHour, "reservedPerHour is null");
        requireNonNull(minBidPerHour, "minBidPerHour is null");
        requireNonNull(storagePerGbMonth, "storagePerGbMonth is null");
        requireNonNull(bandwidthPerTb, "bandwidthPerTb is null");
        requireNonNull(country, "country is null");
        requireNonNull(region, "region is null");
        requireNonNull(driverVersion, "driverVersion is null");
        if (numGpus < 1 || numGpus > machineGpus) {
            throw new IllegalArgumentException("numGpus " + numGpus + " outside 1.." + machineGpus);
        }
    }

    public static long offerId(long machineId, int numGpus) {
        return machineId * 100 + numGpus;
    }

    public static long machineIdOf(long offerId) {
        return offerId / 100;
    }

    public static int numGpusOf(long offerId) {
        return (int) (offerId % 100);
    }

    /** Share of the machine's GPUs this offer holds; CPU, RAM and disk are split by it. */
    public double gpuFrac() {
        return numGpus / (double) machineGpus;
    }

    public double cpuCoresEffective() {
        return cpuCores * gpuFrac();
    }

    public double gpuTotalRamGb() {
        return gpuRamGb * numGpus;
    }

    /** The slice's hourly price for a rental of the given type. */
    public Money pricePerHour(RentalType type) {
        return switch (type) {
            case ON_DEMAND -> onDemandPerHour;
            case RESERVED -> reservedPerHour;
            case BID -> minBidPerHour;
        };
    }

    /**
     * Hourly price including storage for {@code diskGb} of disk, as {@code dph_total} shows it.
     * A month is 30 days (720 hours) for storage prices.
     */
    public Money totalPerHour(RentalType type, double diskGb) {
        long storageMicros = Math.round(storagePerGbMonth.micros() * diskGb / 720.0);
        return pricePerHour(type).plus(Money.ofMicros(storageMicros));
    }

    /** Rentable now by a rental of the given type: listed, in service, and a slice obtainable. */
    public boolean rentable() {
        return available && (freeSlices + preemptibleSlices) > 0;
    }

    /** Every obtainable slice is occupied (only preemptible capacity is left). */
    public boolean rented() {
        return freeSlices == 0;
    }
}
