package dev.flotilla.server.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import dev.flotilla.market.query.OfferQuery;
import dev.flotilla.market.query.SearchContext;
import dev.flotilla.market.query.SortOrder;
import dev.flotilla.server.FakeClock;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.server.market.MarketService;
import dev.flotilla.store.Database;
import dev.flotilla.store.Principal;
import dev.flotilla.store.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DemoMarketTest {
    private final Database db = TestDatabases.open();
    private final MarketService market = new MarketService(db, new FakeClock(Instant.parse("2026-11-02T00:00:00Z")),
            FlotillaConfig.defaultsOnly(), GpuCatalog.defaultCatalog(), new SimpleMeterRegistry());

    @AfterEach
    void close() {
        db.close();
    }

    private List<Offer> search(String q, String order) {
        return market.offers().search(OfferQuery.parse(q, true), order.isEmpty() ? SortOrder.DEFAULT : SortOrder.parse(order),
                100, SearchContext.of(RentalType.ON_DEMAND));
    }

    @Test
    void seedsAtLeastSixtyMachinesInSixCountriesWithTheWholeGpuMix() {
        DemoMarket.ensure(market, 42);
        List<Offer> all = market.offers().all();
        assertThat(all.stream().map(Offer::machineId).distinct().count()).isGreaterThanOrEqualTo(60);
        assertThat(all.stream().map(Offer::country).collect(Collectors.toSet())).hasSizeGreaterThanOrEqualTo(6);
        assertThat(all.stream().map(Offer::gpuModelId).collect(Collectors.toSet()))
                .containsAll(GpuCatalog.defaultCatalog().all().stream().map(g -> g.id()).toList());
        assertThat(market.balance(market.findPrincipal(Principal.Kind.TENANT, DemoMarket.DEMO_TENANT).orElseThrow().id()))
                .isEqualTo(DemoMarket.DEMO_CREDIT);
    }

    @Test
    void theReadmeQueriesFindOffersInTheDemoMarket() {
        DemoMarket.ensure(market, 42);
        assertThat(search("reliability > 0.98 num_gpus=1 gpu_name=RTX_3090 rented=False", "")).isNotEmpty()
                .allSatisfy(o -> assertThat(o.reliability()).isGreaterThan(0.98));
        assertThat(search("reliability>0.99 num_gpus=4 geolocation in [TW,SE]", "")).isNotEmpty()
                .allSatisfy(o -> assertThat(o.country()).isIn("TW", "SE"));
        List<Offer> cheap = search("gpu_ram>=24 compute_cap>=800 dph<2", "dph");
        assertThat(cheap).isNotEmpty();
        assertThat(cheap).isSortedAccordingTo((a, b) -> a.onDemandPerHour().compareTo(b.onDemandPerHour()));
    }

    @Test
    void aSecondStartKeepsTheMarketAndIssuesWorkingKeys() {
        DemoMarket.Credentials first = DemoMarket.ensure(market, 42);
        int offers = market.offers().all().size();
        DemoMarket.Credentials again = DemoMarket.ensure(market, 42);
        assertThat(market.offers().all()).hasSize(offers);
        assertThat(again.tenantId()).isEqualTo(first.tenantId());
        assertThat(market.authenticate(again.tenantKey())).isPresent();
        assertThat(market.authenticate(again.hostToken()).orElseThrow().kind()).isEqualTo(Principal.Kind.HOST);
    }
}
