package dev.flotilla.market.query;

import dev.flotilla.core.Money;
import dev.flotilla.market.offer.Offer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds {@link Offer} records for tests: a plausible single RTX 4090 in the US by default, so
 * a test sets only the components it is about. {@link #random} makes varied offers for the
 * index-versus-naive comparison, including the awkward cases (free offers, no end date, an
 * unreadable driver version, duplicate ids, mixed-case strings).
 */
final class TestOffers {
    private TestOffers() {}

    static Builder offer() {
        return new Builder();
    }

    /** Fluent setters for every component that tests vary; the offer id follows machine and size. */
    static final class Builder {
        private Long id;
        private long machineId = 1;
        private long hostId = 1;
        private int numGpus = 1;
        private int machineGpus = 1;
        private String gpuName = "RTX 4090";
        private String gpuModelId = "RTX_4090";
        private double gpuRamGb = 24;
        private double gpuMemBwGbs = 1008;
        private int computeCap = 890;
        private double totalFlops = 330;
        private double bwNvlinkGbs = 0;
        private double cpuCores = 16;
        private double cpuRamGb = 64;
        private String cpuArch = "x86_64";
        private double diskSpaceGb = 200;
        private double diskBwMbs = 2000;
        private int pciGen = 4;
        private double pcieBwGbs = 31.5;
        private double inetUpMbps = 500;
        private double inetDownMbps = 1000;
        private int directPortCount = 100;
        private boolean staticIp = true;
        private Money onDemand = Money.ofDollars(0.40);
        private Money reserved = Money.ofDollars(0.32);
        private Money minBid = Money.ofDollars(0.20);
        private Money storage = Money.ofDollars(0.10);
        private Money bandwidth = Money.ofDollars(5);
        private double reliability = 0.99;
        private boolean verified = true;
        private boolean datacenter = false;
        private boolean external = false;
        private String country = "US";
        private String region = "North America";
        private double cudaVersion = 12.4;
        private String driverVersion = "550.54.15";
        private double durationDays = Double.POSITIVE_INFINITY;
        private double dlperf = 50;
        private int freeSlices = 1;
        private int preemptibleSlices = 0;
        private boolean available = true;

        Builder id(long v) { id = v; return this; }
        Builder machineId(long v) { machineId = v; return this; }
        Builder hostId(long v) { hostId = v; return this; }
        Builder numGpus(int v) { numGpus = v; machineGpus = Math.max(machineGpus, v); return this; }
        Builder machineGpus(int v) { machineGpus = v; return this; }
        Builder gpu(String name, double ramGb) { gpuName = name; gpuModelId = name.replace(' ', '_'); gpuRamGb = ramGb; return this; }
        Builder gpuMemBwGbs(double v) { gpuMemBwGbs = v; return this; }
        Builder computeCap(int v) { computeCap = v; return this; }
        Builder totalFlops(double v) { totalFlops = v; return this; }
        Builder bwNvlinkGbs(double v) { bwNvlinkGbs = v; return this; }
        Builder cpuCores(double v) { cpuCores = v; return this; }
        Builder cpuRamGb(double v) { cpuRamGb = v; return this; }
        Builder cpuArch(String v) { cpuArch = v; return this; }
        Builder diskSpaceGb(double v) { diskSpaceGb = v; return this; }
        Builder diskBwMbs(double v) { diskBwMbs = v; return this; }
        Builder pci(int gen, double bwGbs) { pciGen = gen; pcieBwGbs = bwGbs; return this; }
        Builder inet(double upMbps, double downMbps) { inetUpMbps = upMbps; inetDownMbps = downMbps; return this; }
        Builder directPortCount(int v) { directPortCount = v; return this; }
        Builder staticIp(boolean v) { staticIp = v; return this; }
        Builder prices(double onDemandDph, double reservedDph, double minBidDph) {
            onDemand = Money.ofDollars(onDemandDph);
            reserved = Money.ofDollars(reservedDph);
            minBid = Money.ofDollars(minBidDph);
            return this;
        }
        Builder storagePerGbMonth(double dollars) { storage = Money.ofDollars(dollars); return this; }
        Builder reliability(double v) { reliability = v; return this; }
        Builder verified(boolean v) { verified = v; return this; }
        Builder datacenter(boolean v) { datacenter = v; return this; }
        Builder external(boolean v) { external = v; return this; }
        Builder location(String countryCode, String regionName) { country = countryCode; region = regionName; return this; }
        Builder cudaVersion(double v) { cudaVersion = v; return this; }
        Builder driverVersion(String v) { driverVersion = v; return this; }
        Builder durationDays(double v) { durationDays = v; return this; }
        Builder dlperf(double v) { dlperf = v; return this; }
        Builder slices(int free, int preemptible) { freeSlices = free; preemptibleSlices = preemptible; return this; }
        Builder available(boolean v) { available = v; return this; }

        Offer build() {
            return new Offer(id != null ? id : Offer.offerId(machineId, numGpus), machineId, hostId, numGpus, machineGpus,
                    gpuName, gpuModelId, gpuRamGb, gpuMemBwGbs, computeCap, totalFlops, bwNvlinkGbs, cpuCores, cpuRamGb,
                    cpuArch, diskSpaceGb, diskBwMbs, pciGen, pcieBwGbs, inetUpMbps, inetDownMbps, directPortCount,
                    staticIp, onDemand, reserved, minBid, storage, bandwidth, reliability, verified, datacenter, external,
                    country, region, cudaVersion, driverVersion, durationDays, dlperf, freeSlices, preemptibleSlices,
                    available);
        }
    }

    private static final String[][] GPUS = {
        {"RTX 3090", "24", "860"}, {"RTX 4090", "24", "890"}, {"rtx 4090", "24", "890"}, {"RTX 5090", "32", "1200"},
        {"A100 SXM4", "80", "800"}, {"A100 SXM4", "40", "800"}, {"H100 SXM", "80", "900"}, {"H200", "141", "900"},
        {"Tesla T4", "16", "750"},
    };
    private static final String[][] PLACES = {
        {"US", "North America"}, {"us", "North_America"}, {"CA", "North America"}, {"SE", "Europe"}, {"DE", "Europe"},
        {"TW", "Asia"}, {"JP", "Asia"}, {"BR", "South America"},
    };
    private static final String[] DRIVERS = {"535.86.05", "535.104.05", "550.54.15", "570.86.10", "unknown", "550"};

    /** {@code n} varied offers from a seeded generator; values are coarse so that ties happen. */
    static List<Offer> random(long seed, int n) {
        Random r = new Random(seed);
        List<Offer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String[] gpu = GPUS[r.nextInt(GPUS.length)];
            String[] place = PLACES[r.nextInt(PLACES.length)];
            int machineGpus = 1 << r.nextInt(4);
            int numGpus = 1 << r.nextInt(Integer.numberOfTrailingZeros(machineGpus) + 1);
            double perGpu = r.nextInt(10) == 0 ? 0 : (1 + r.nextInt(40)) * 0.05;
            // About one offer in a hundred repeats an earlier machine id, so ties on id happen too.
            long machineId = r.nextInt(100) == 0 && i > 0 ? 1 + r.nextInt(i) : i + 1;
            out.add(offer()
                    .machineId(machineId)
                    .hostId(1 + r.nextInt(50))
                    .machineGpus(machineGpus)
                    .numGpus(numGpus)
                    .gpu(gpu[0], Double.parseDouble(gpu[1]))
                    .computeCap(Integer.parseInt(gpu[2]))
                    .gpuMemBwGbs(300 + 100 * r.nextInt(40))
                    .totalFlops(numGpus * (50 + 10 * r.nextInt(90)))
                    .bwNvlinkGbs(r.nextBoolean() ? 0 : 600)
                    .cpuCores(8 << r.nextInt(4))
                    .cpuRamGb(16 * (1 + r.nextInt(32)))
                    .cpuArch(r.nextInt(10) == 0 ? "arm64" : "x86_64")
                    .diskSpaceGb(50 * (1 + r.nextInt(40)))
                    .diskBwMbs(500 * (1 + r.nextInt(14)))
                    .pci(3 + r.nextInt(3), 15.75 * (1 + r.nextInt(4)))
                    .inet(100 * (1 + r.nextInt(100)), 100 * (1 + r.nextInt(100)))
                    .directPortCount(r.nextInt(5) * 50)
                    .staticIp(r.nextBoolean())
                    .prices(perGpu * numGpus, perGpu * numGpus * 0.8, perGpu * numGpus * 0.5)
                    .storagePerGbMonth(0.05 * r.nextInt(6))
                    .reliability(r.nextInt(20) == 0 ? 0.8 : 0.9 + r.nextInt(100) / 1000.0)
                    .verified(r.nextInt(10) != 0)
                    .datacenter(r.nextInt(3) == 0)
                    .external(r.nextInt(4) == 0)
                    .location(place[0], place[1])
                    .cudaVersion(12.0 + r.nextInt(9) / 10.0)
                    .driverVersion(DRIVERS[r.nextInt(DRIVERS.length)])
                    .durationDays(r.nextInt(5) == 0 ? Double.POSITIVE_INFINITY : 1 + r.nextInt(180))
                    .dlperf(r.nextInt(10) * 10.0)
                    .slices(r.nextInt(5) == 0 ? 0 : 1, r.nextInt(4) == 0 ? 1 : 0)
                    .available(r.nextInt(30) != 0)
                    .build());
        }
        return out;
    }
}
