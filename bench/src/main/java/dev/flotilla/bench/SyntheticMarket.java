package dev.flotilla.bench;

import dev.flotilla.core.Money;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import dev.flotilla.market.offer.Offer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * A seeded, plausible marketplace for benchmarks: machines of 1, 2, 4 or 8 GPUs drawn from the
 * {@link GpuCatalog#defaultCatalog() default catalog}, weighted toward consumer cards (RTX
 * 4090/3090/5090 common, H100/H200 rare), each listed as offers for every slice size up to the
 * machine size. Prices are drawn per GPU-hour in ranges seen on public marketplaces in 2025
 * (RTX 3090 $0.15-0.30, 4090 $0.30-0.60, A100 $0.8-1.5, H100 $1.8-3.0, H200 $2.5-4.0), bids and
 * reservations at a discount; reliability is skewed high (0.85-0.999); about 15% of machines are
 * fully rented and 90% verified; 25 countries in 6 regions, US-heavy.
 *
 * <p>The same seed always yields the same offers, so two runs measure the same data.
 */
public final class SyntheticMarket {
    /** Catalog id, relative weight, price per GPU-hour low and high, in dollars. */
    private record Model(String id, double weight, double priceLow, double priceHigh) {}

    private static final List<Model> MODELS = List.of(
            new Model("RTX_4090", 24, 0.30, 0.60),
            new Model("RTX_3090", 20, 0.15, 0.30),
            new Model("RTX_5090", 12, 0.45, 0.90),
            new Model("T4", 5, 0.08, 0.18),
            new Model("A10G", 4, 0.25, 0.50),
            new Model("L4", 4, 0.25, 0.45),
            new Model("L40S", 4, 0.60, 1.00),
            new Model("RTX_PRO_6000", 3, 0.90, 1.40),
            new Model("A100_SXM4_40GB", 3, 0.70, 1.20),
            new Model("A100_SXM4_80GB", 4, 0.80, 1.50),
            new Model("H100_PCIE", 3, 1.60, 2.60),
            new Model("H100_SXM", 4, 1.80, 3.00),
            new Model("H200_SXM", 2, 2.50, 4.00));

    /** Country code, region, relative weight. */
    private record Place(String country, String region, double weight) {}

    private static final List<Place> PLACES = List.of(
            new Place("US", "North America", 30), new Place("CA", "North America", 5), new Place("MX", "North America", 1),
            new Place("BR", "South America", 2), new Place("AR", "South America", 1),
            new Place("GB", "Europe", 4), new Place("DE", "Europe", 5), new Place("FR", "Europe", 3),
            new Place("NL", "Europe", 3), new Place("SE", "Europe", 3), new Place("NO", "Europe", 2),
            new Place("FI", "Europe", 2), new Place("PL", "Europe", 2), new Place("ES", "Europe", 2),
            new Place("IT", "Europe", 1), new Place("CZ", "Europe", 1), new Place("RO", "Europe", 1),
            new Place("TW", "Asia", 3), new Place("JP", "Asia", 3), new Place("KR", "Asia", 2),
            new Place("SG", "Asia", 2), new Place("IN", "Asia", 2), new Place("HK", "Asia", 2),
            new Place("AU", "Oceania", 2), new Place("ZA", "Africa", 1));

    /** Driver version and the newest CUDA it supports. */
    private static final Map<String, Double> DRIVERS = Map.of(
            "535.86.05", 12.2, "535.104.05", 12.2, "545.23.08", 12.3, "550.54.15", 12.4,
            "555.42.06", 12.5, "560.35.03", 12.6, "565.57.01", 12.7, "570.86.10", 12.8);
    private static final List<String> DRIVER_ORDER = DRIVERS.keySet().stream().sorted().toList();

    private static final int[] SIZES = {1, 2, 4, 8};

    private SyntheticMarket() {}

    /** {@code n} offers from the given seed. */
    public static List<Offer> generate(int n, long seed) {
        GpuCatalog catalog = GpuCatalog.defaultCatalog();
        SplittableRandom r = new SplittableRandom(seed);
        List<Offer> out = new ArrayList<>(n);
        long machineId = 1000;
        long hostId = 1;
        int machinesLeftOnHost = 0;
        while (out.size() < n) {
            if (machinesLeftOnHost-- <= 0) {
                hostId++;
                machinesLeftOnHost = r.nextInt(6);
            }
            machineId++;
            Model model = pick(r, MODELS, Model::weight);
            GpuSpec spec = catalog.byId(model.id()).orElseThrow();
            boolean dcCard = model.id().startsWith("A100") || model.id().startsWith("H1") || model.id().startsWith("H2");
            int machineGpus = dcCard ? weighted(r, new int[] {1, 2, 4, 8}, new double[] {1, 1, 3, 5})
                    : weighted(r, new int[] {1, 2, 4, 8}, new double[] {4, 3, 3, 2});
            Place place = pick(r, PLACES, Place::weight);
            // Blackwell cards need a 570-series driver; others run whatever the host installed.
            String driver = spec.computeCap() >= 1200 ? "570.86.10" : DRIVER_ORDER.get(r.nextInt(DRIVER_ORDER.size()));
            double perGpu = model.priceLow() + r.nextDouble() * (model.priceHigh() - model.priceLow());
            double bidFactor = 0.45 + r.nextDouble() * 0.15;
            double storage = 0.05 + r.nextInt(26) * 0.01;
            double reliability = 0.999 - 0.149 * Math.pow(r.nextDouble(), 3);
            boolean verified = r.nextDouble() < 0.9;
            boolean datacenter = r.nextDouble() < (dcCard ? 0.85 : 0.15);
            boolean external = r.nextDouble() < 0.1;
            boolean staticIp = r.nextDouble() < 0.5;
            boolean available = r.nextDouble() < 0.97;
            double duration = r.nextDouble() < 0.25 ? Double.POSITIVE_INFINITY : 1 + Math.floor(-60 * Math.log(1 - r.nextDouble()));
            double cpuCores = machineGpus * (4 << r.nextInt(3));
            double cpuRam = machineGpus * (32 << r.nextInt(3));
            double disk = machineGpus * (250 << r.nextInt(4));
            double diskBw = 500 + r.nextInt(6500);
            double inetUp = Math.round(100 * Math.pow(100, r.nextDouble()));
            double inetDown = Math.round(100 * Math.pow(100, r.nextDouble()));
            int ports = new int[] {0, 16, 64, 128, 1000}[r.nextInt(5)];
            double pcieBw = spec.pcieBandwidthGbs() * (0.7 + 0.3 * r.nextDouble());
            String cpuArch = r.nextDouble() < 0.04 ? "arm64" : "x86_64";
            double dlperfPerGpu = spec.fp16TflopsDense() * 0.08 * (0.85 + 0.2 * r.nextDouble());
            boolean fullyRented = r.nextDouble() < 0.15;
            // Per GPU: 0 free, 1 held by an on-demand or reserved rental, 2 held by a bid.
            int[] state = new int[machineGpus];
            for (int g = 0; g < machineGpus; g++) {
                state[g] = fullyRented ? (r.nextDouble() < 0.8 ? 1 : 2) : r.nextDouble() < 0.3 ? (r.nextDouble() < 0.4 ? 2 : 1) : 0;
            }
            for (int size : SIZES) {
                if (size > machineGpus || out.size() >= n) {
                    break;
                }
                int free = 0;
                int preemptible = 0;
                for (int start = 0; start < machineGpus; start += size) {
                    boolean anyFirm = false;
                    boolean anyBid = false;
                    for (int g = start; g < start + size; g++) {
                        anyFirm |= state[g] == 1;
                        anyBid |= state[g] == 2;
                    }
                    free += !anyFirm && !anyBid ? 1 : 0;
                    preemptible += !anyFirm && anyBid ? 1 : 0;
                }
                double frac = size / (double) machineGpus;
                double onDemand = round3(perGpu * size);
                out.add(new Offer(
                        Offer.offerId(machineId, size), machineId, hostId, size, machineGpus,
                        spec.marketName(), spec.id(), spec.memoryGb(), spec.memBandwidthGbs(), spec.computeCap(),
                        spec.fp16TflopsDense() * size, spec.nvlinkGbs(), cpuCores, cpuRam * frac, cpuArch, disk * frac,
                        diskBw, spec.pciGen(), round3(pcieBw), inetUp, inetDown, ports, staticIp,
                        Money.ofDollars(onDemand), Money.ofDollars(round3(onDemand * 0.8)),
                        Money.ofDollars(round3(onDemand * bidFactor)), Money.ofDollars(round3(storage)),
                        Money.ofDollars(1 + r.nextInt(20)), round3(reliability), verified, datacenter, external,
                        place.country(), place.region(), DRIVERS.get(driver), driver, duration,
                        round3(dlperfPerGpu * Math.pow(size, 0.95)), free, preemptible, available));
            }
        }
        return out;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static <T> T pick(SplittableRandom r, List<T> items, ToDoubleFunction<T> weight) {
        double total = items.stream().mapToDouble(weight).sum();
        double x = r.nextDouble() * total;
        for (T item : items) {
            x -= weight.applyAsDouble(item);
            if (x < 0) {
                return item;
            }
        }
        return items.getLast();
    }

    private static int weighted(SplittableRandom r, int[] values, double[] weights) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double x = r.nextDouble() * total;
        for (int i = 0; i < values.length; i++) {
            x -= weights[i];
            if (x < 0) {
                return values[i];
            }
        }
        return values[values.length - 1];
    }
}
