package dev.flotilla.server.demo;

import dev.flotilla.core.Money;
import dev.flotilla.market.gpu.GpuSpec;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.market.machine.ReliabilityStats;
import dev.flotilla.server.market.MachineSpec;
import dev.flotilla.server.market.MarketService;
import dev.flotilla.store.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Seeds the demo marketplace: DEMO DATA, not real listings. 72 machines from 12 hosts in 8
 * countries with the catalog's GPU mix, prices in the ranges GPU marketplaces showed for each
 * model in 2025-26 (per GPU-hour: RTX 3090 about $0.15-0.30, RTX 4090 $0.30-0.60, RTX 5090
 * $0.50-0.90, A100 $0.80-1.50, H100 $1.80-3.00, H200 $2.50-4.00), and reliability histories
 * between 0.90 and 0.999. A fixed seed makes it the same every time.
 */
public final class DemoMarket {
    public static final String DEMO_TENANT = "demo";
    public static final String DEMO_HOST = "demo-host";
    public static final Money DEMO_CREDIT = Money.ofDollars(100);

    /** The demo's credentials, minted afresh at each start. */
    public record Credentials(String tenantKey, String hostToken, long tenantId, long hostId) {}

    private record Site(String country, String region) {}

    private static final List<Site> SITES = List.of(
            new Site("US", "us-east"), new Site("US", "us-west"), new Site("CA", "ca-central"),
            new Site("SE", "eu-north"), new Site("DE", "eu-central"), new Site("NL", "eu-west"),
            new Site("TW", "ap-east"), new Site("JP", "ap-northeast"), new Site("SG", "ap-southeast"));

    /** GPU id, weight in the mix, low and high price per GPU-hour, typical GPUs per machine. */
    private record Mix(String gpu, int weight, double low, double high, int[] sizes, boolean datacenter) {}

    private static final List<Mix> MIX = List.of(
            new Mix("RTX_3090", 12, 0.15, 0.30, new int[] {1, 2, 4}, false),
            new Mix("RTX_4090", 14, 0.30, 0.60, new int[] {1, 2, 4, 8}, false),
            new Mix("RTX_5090", 8, 0.50, 0.90, new int[] {1, 2, 4}, false),
            new Mix("RTX_PRO_6000", 4, 0.90, 1.40, new int[] {1, 2, 4}, true),
            new Mix("L4", 4, 0.35, 0.60, new int[] {1, 4}, true),
            new Mix("A10G", 3, 0.45, 0.75, new int[] {1, 4}, true),
            new Mix("T4", 3, 0.10, 0.25, new int[] {1, 4}, true),
            new Mix("L40S", 5, 0.70, 1.10, new int[] {1, 2, 4, 8}, true),
            new Mix("A100_SXM4_40GB", 3, 0.70, 1.10, new int[] {1, 8}, true),
            new Mix("A100_SXM4_80GB", 6, 0.80, 1.50, new int[] {1, 2, 4, 8}, true),
            new Mix("H100_PCIE", 3, 1.60, 2.40, new int[] {1, 2, 4}, true),
            new Mix("H100_SXM", 5, 1.80, 3.00, new int[] {8}, true),
            new Mix("H200_SXM", 2, 2.50, 4.00, new int[] {8}, true));

    private DemoMarket() {}

    /** Seeds when the market is empty, and (re)issues the demo tenant's and host's keys. */
    public static Credentials ensure(MarketService market, long seed) {
        Optional<Principal> tenant = market.findPrincipal(Principal.Kind.TENANT, DEMO_TENANT);
        if (tenant.isPresent()) {
            Principal host = market.findPrincipal(Principal.Kind.HOST, DEMO_HOST).orElseThrow();
            return new Credentials(market.mintKey(tenant.get().id()), market.mintKey(host.id()), tenant.get().id(), host.id());
        }
        return seed(market, seed);
    }

    static Credentials seed(MarketService market, long seed) {
        Random rnd = new Random(seed);
        Instant now = market.clock().instant();
        MarketService.Created demoHost = market.createPrincipal(Principal.Kind.HOST, DEMO_HOST, false);
        List<Principal> hosts = new java.util.ArrayList<>(List.of(demoHost.principal()));
        String[] names = {"nordic-compute", "tokyo-gpu", "bay-labs", "maple-ai", "rhein-rack", "formosa-cloud",
                "lion-city-gpu", "gamer-rigs", "dutch-dc", "texas-tensor", "garage-5090"};
        for (String n : names) {
            hosts.add(market.createPrincipal(Principal.Kind.HOST, n, n.startsWith("gamer") || n.startsWith("garage"))
                    .principal());
        }
        int totalWeight = MIX.stream().mapToInt(Mix::weight).sum();
        for (int i = 0; i < 72; i++) {
            // Walk the mix so every model appears, then fill by weight.
            Mix mix = i < MIX.size() ? MIX.get(i) : pick(rnd, totalWeight);
            GpuSpec gpu = market.catalog().byId(mix.gpu()).orElseThrow();
            Site site = SITES.get(i % SITES.size());
            Principal host = hosts.get(i % hosts.size());
            int n = mix.sizes()[rnd.nextInt(mix.sizes().length)];
            double perGpu = mix.low() + rnd.nextDouble() * (mix.high() - mix.low());
            Money price = Money.ofMicros(Math.round(perGpu * 1000) * 1000L); // whole tenths of a cent
            Money minBid = Money.ofMicros(price.micros() * (35 + rnd.nextInt(25)) / 100 / 1000 * 1000);
            MachineSpec spec = new MachineSpec(gpu.id(), Optional.of(gpu.memoryGb()), n,
                    Math.max(8, n * (8 + 4 * rnd.nextInt(3))), Math.max(32, n * (32 + 32 * rnd.nextInt(3))),
                    rnd.nextInt(8) == 0 ? "arm64" : "x86_64", n * (250 + 250 * rnd.nextInt(4)), 1500 + rnd.nextInt(5500),
                    100 + rnd.nextInt(9) * 100, 200 + rnd.nextInt(19) * 100, rnd.nextInt(4) == 0 ? 0 : 16 + rnd.nextInt(200),
                    rnd.nextBoolean(), site.country(), site.region(), 12.2 + rnd.nextInt(7) / 10.0,
                    List.of("535.86.05", "550.54.15", "560.35.03", "570.86.10").get(rnd.nextInt(4)), price, minBid,
                    Money.ofMicros((50 + rnd.nextInt(150)) * 1000L), Money.ofMicros((0 + rnd.nextInt(5)) * 1_000_000L),
                    1000 + rnd.nextInt(3) * 500, 1, Optional.of(now.plus(Duration.ofDays(30 + rnd.nextInt(335)))),
                    mix.datacenter());
            Machine m = market.listMachine(host.id(), spec);
            long observed = 86_400L * (7 + rnd.nextInt(80));
            double r = rnd.nextDouble();
            double uptime = 0.9995 - r * r * r * 0.08; // most machines near the top, a tail of flaky ones
            int ok = 100 + rnd.nextInt(900);
            int failed = rnd.nextInt(4) == 0 ? rnd.nextInt(6) : 0;
            market.setReliability(m.id(), new ReliabilityStats(Math.round(observed * uptime), observed, Optional.empty(), ok,
                    failed));
        }
        MarketService.Created tenant = market.createPrincipal(Principal.Kind.TENANT, DEMO_TENANT, false);
        market.credit(tenant.principal().id(), DEMO_CREDIT, "demo-initial");
        return new Credentials(tenant.apiKey(), demoHost.apiKey(), tenant.principal().id(), demoHost.principal().id());
    }

    private static Mix pick(Random rnd, int totalWeight) {
        int r = rnd.nextInt(totalWeight);
        for (Mix m : MIX) {
            r -= m.weight();
            if (r < 0) {
                return m;
            }
        }
        return MIX.getLast();
    }
}
