package dev.flotilla.server.market;

import dev.flotilla.core.Money;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.server.FakeClock;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.store.Database;
import dev.flotilla.store.Principal;
import dev.flotilla.store.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.Optional;

/** A market service on a fresh database with a fake clock, plus helpers to list machines. */
final class MarketFixture implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-11-02T00:00:00Z");

    final FakeClock clock = new FakeClock(T0);
    final Database db = TestDatabases.open();
    final FlotillaConfig config = FlotillaConfig.defaultsOnly();
    final MarketService market = new MarketService(db, clock, config, GpuCatalog.defaultCatalog(), new SimpleMeterRegistry());
    final Principal host = market.createPrincipal(Principal.Kind.HOST, "host-a", false).principal();

    Principal tenant(String name, double credit) {
        Principal t = market.createPrincipal(Principal.Kind.TENANT, name, false).principal();
        if (credit > 0) {
            market.credit(t.id(), Money.ofDollars(credit), "initial");
        }
        return t;
    }

    static MachineSpec spec(String gpu, int gpus, double pricePerGpu, double minBidPerGpu) {
        return new MachineSpec(gpu, Optional.empty(), gpus, 16, 64, "x86_64", 1000, 2000, 500, 1000, 10, false, "SE",
                "eu-north", 12.4, "550.54.15", Money.ofDollars(pricePerGpu), Money.ofDollars(minBidPerGpu),
                Money.ofDollars(0.1), Money.ofDollars(2), 2000, 1, Optional.of(T0.plusSeconds(86_400L * 90)), true);
    }

    Machine machine(String gpu, int gpus, double pricePerGpu, double minBidPerGpu) {
        return market.listMachine(host.id(), spec(gpu, gpus, pricePerGpu, minBidPerGpu));
    }

    @Override
    public void close() {
        db.close();
    }
}
