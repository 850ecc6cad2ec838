package dev.flotilla.market.offer;

import dev.flotilla.core.Money;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.market.machine.MaintenanceWindow;
import dev.flotilla.market.machine.PerfScore;
import dev.flotilla.market.machine.Reliability;
import dev.flotilla.market.rental.Hold;
import dev.flotilla.market.rental.Priority;
import dev.flotilla.market.rental.SliceAllocator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Turns a machine, its holds and its maintenance windows into offers, one per slice size. Pure:
 * the caller passes the instant. Free and preemptible slice counts are those seen by guaranteed
 * (on-demand) demand: a slice held by an interruptible rental stays on offer to it.
 */
public final class OfferBuilder {
    private final GpuCatalog catalog;
    private final Duration heartbeatTimeout;

    public OfferBuilder(GpuCatalog catalog, Duration heartbeatTimeout) {
        this.catalog = catalog;
        this.heartbeatTimeout = heartbeatTimeout;
    }

    public List<Offer> offers(
            Machine m, boolean external, Collection<Hold> holds, Collection<MaintenanceWindow> windows, Instant now) {
        GpuSpec gpu = catalog.byId(m.gpuModelId())
                .orElseThrow(() -> new IllegalStateException("machine " + m.id() + " has unknown GPU " + m.gpuModelId()));
        boolean inMaintenance = windows.stream().anyMatch(w -> w.covers(now));
        boolean expired = m.endsAt().map(e -> !now.isBefore(e)).orElse(false);
        boolean available = m.listed() && !inMaintenance && !expired;
        double durationDays = m.endsAt()
                .map(e -> Math.max(0, Duration.between(now, e).toSeconds() / 86_400.0))
                .orElse(Double.POSITIVE_INFINITY);
        double reliability = Reliability.score(m.reliability(), now, heartbeatTimeout);
        List<Offer> out = new ArrayList<>();
        for (int n : SliceAllocator.sliceSizes(m.numGpus(), m.minGpus())) {
            SliceAllocator.SliceCounts c = SliceAllocator.count(m.numGpus(), holds, n, Priority.GUARANTEED);
            double frac = n / (double) m.numGpus();
            Money onDemand = m.pricePerGpuHour().times(n);
            Money reserved = Money.ofMicros(onDemand.micros() * (10_000L - m.reservedDiscountBps()) / 10_000L);
            out.add(new Offer(
                    Offer.offerId(m.id(), n),
                    m.id(),
                    m.hostId(),
                    n,
                    m.numGpus(),
                    gpu.marketName(),
                    gpu.id(),
                    gpu.memoryGb(),
                    gpu.memBandwidthGbs(),
                    gpu.computeCap(),
                    gpu.fp16TflopsDense() * n,
                    gpu.nvlinkGbs(),
                    m.cpuCores(),
                    m.cpuRamGb() * frac,
                    m.cpuArch(),
                    m.diskGb() * frac,
                    m.diskBwMbs(),
                    gpu.pciGen(),
                    gpu.pcieBandwidthGbs(),
                    m.inetUpMbps(),
                    m.inetDownMbps(),
                    m.directPortCount(),
                    m.staticIp(),
                    onDemand,
                    reserved,
                    m.minBidPerGpuHour().times(n),
                    m.storagePerGbMonth(),
                    m.bandwidthPerTb(),
                    reliability,
                    m.verified(),
                    m.datacenter(),
                    external,
                    m.country(),
                    m.region(),
                    m.cudaVersion(),
                    m.driverVersion(),
                    durationDays,
                    PerfScore.dlperf(gpu, n),
                    c.free(),
                    c.preemptible(),
                    available));
        }
        return out;
    }
}
