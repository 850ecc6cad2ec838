package dev.flotilla.server.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import dev.flotilla.market.billing.Posting;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import dev.flotilla.market.query.OfferQuery;
import dev.flotilla.market.query.SearchContext;
import dev.flotilla.market.query.SortOrder;
import dev.flotilla.market.rental.Rental;
import dev.flotilla.market.rental.RentalState;
import dev.flotilla.store.LedgerRepo;
import dev.flotilla.store.Principal;
import java.time.Duration;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MarketServiceTest {
    private final MarketFixture f = new MarketFixture();
    private final MarketService market = f.market;

    @AfterEach
    void close() {
        f.close();
    }

    private static MarketService.RentRequest onDemand(long offerId) {
        return new MarketService.RentRequest(offerId, RentalType.ON_DEMAND, Optional.empty(), OptionalInt.empty(),
                OptionalInt.empty());
    }

    private static MarketService.RentRequest bid(long offerId, double dollars) {
        return new MarketService.RentRequest(offerId, RentalType.BID, Optional.of(Money.ofDollars(dollars)),
                OptionalInt.empty(), OptionalInt.empty());
    }

    private long ledgerTotal() {
        return f.db.inTransaction(c -> new LedgerRepo().totalOfAllEntries(c));
    }

    private int rentalCount(long tenantId) {
        return market.rentalsOf(tenantId, true).size();
    }

    @Test
    void billsGpuTimePerSecondAndEveryChargeBalances() {
        Principal t = f.tenant("alice", 100);
        Machine m = f.machine("RTX_4090", 1, 0.40, 0.15);
        Rental r = market.rent(t.id(), onDemand(Offer.offerId(m.id(), 1)));
        f.clock.advance(Duration.ofSeconds(90));
        market.meterAll();
        f.clock.advance(Duration.ofSeconds(3510));
        market.meterAll();
        Rental after = market.rentalOf(t.id(), r.id());
        assertThat(after.meter().gpuSeconds()).isEqualTo(3600);
        assertThat(after.meter().gpuChargedMicros()).isEqualTo(400_000);
        // storage: 10 GB at $0.10/GB-month for one hour = 1,000,000 micros * 3600 / 2,592,000
        assertThat(after.meter().storageChargedMicros()).isEqualTo(1_000_000L * 3600 / 2_592_000);
        Money charged = Money.ofMicros(400_000 + 1_388);
        assertThat(market.balance(t.id())).isEqualTo(Money.ofDollars(100).minus(charged));
        // host gets the charge less the 10% platform fee, and the ledger sums to zero
        Money earned = market.earnings(f.host.id(), YearMonth.of(2026, 11)).total();
        assertThat(earned.micros()).isEqualTo(360_000 + (1_388 - 138));
        assertThat(ledgerTotal()).isZero();
    }

    @Test
    void workDoneInTheRentalsTransactionLandsWithItOrNotAtAll() {
        Principal t = f.tenant("alice", 100);
        Machine m = f.machine("RTX_4090", 1, 0.40, 0.15);
        long offer = Offer.offerId(m.id(), 1);
        // a failure after the rental row (the reconciler's worker insert) rolls the rental back
        assertThatThrownBy(() -> market.rent(t.id(), onDemand(offer), (c, r) -> {
            throw new java.sql.SQLException("the worker's endpoint was deleted meanwhile");
        })).hasMessageContaining("deleted meanwhile");
        assertThat(rentalCount(t.id())).isZero();
        assertThat(ledgerTotal()).isZero();
        // and the slice is still free: the same offer rents
        MarketService.Rented<Long> ok = market.rent(t.id(), onDemand(offer), (c, r) -> r.id() * 10);
        assertThat(ok.result()).isEqualTo(ok.rental().id() * 10);
        assertThat(rentalCount(t.id())).isEqualTo(1);
    }

    @Test
    void meteringTwiceAtTheSameInstantChargesOnce() {
        Principal t = f.tenant("alice", 100);
        Machine m = f.machine("RTX_4090", 1, 0.36, 0.15);
        market.rent(t.id(), onDemand(Offer.offerId(m.id(), 1)));
        f.clock.advance(Duration.ofSeconds(100));
        market.meterAll();
        Money once = market.balance(t.id());
        market.meterAll();
        market.meterAll();
        assertThat(market.balance(t.id())).isEqualTo(once);
        long postings = f.db.inTransaction(c -> new LedgerRepo().countPostings(c, "gpu:"));
        assertThat(postings).isEqualTo(1);
    }

    @Test
    void preemptsLowestBidWhenOnDemandArrivesAndResumesItWhenOnDemandEnds() {
        Principal bidder = f.tenant("bidder", 50);
        Principal lowBidder = f.tenant("low", 50);
        Principal buyer = f.tenant("buyer", 50);
        Machine m = f.machine("RTX_3090", 2, 0.30, 0.10);
        long single = Offer.offerId(m.id(), 1);
        Rental high = market.rent(bidder.id(), bid(single, 0.20));
        Rental low = market.rent(lowBidder.id(), bid(single, 0.12));
        f.clock.advance(Duration.ofSeconds(60));

        Rental od = market.rent(buyer.id(), onDemand(single));

        assertThat(market.rentalOf(lowBidder.id(), low.id()).state()).isEqualTo(RentalState.PREEMPTED);
        assertThat(market.rentalOf(bidder.id(), high.id()).state()).isEqualTo(RentalState.RUNNING);
        assertThat(market.events(lowBidder.id(), 0, 100)).extracting(e -> e.kind()).contains("preempted");
        // the preempted rental was billed for exactly its 60 running seconds, then storage only
        assertThat(market.rentalOf(lowBidder.id(), low.id()).meter().gpuSeconds()).isEqualTo(60);

        f.clock.advance(Duration.ofSeconds(30));
        market.destroy(buyer.id(), od.id());

        Rental resumed = market.rentalOf(lowBidder.id(), low.id());
        assertThat(resumed.state()).isEqualTo(RentalState.RUNNING);
        assertThat(market.events(lowBidder.id(), 0, 100)).extracting(e -> e.kind()).contains("resumed");
        assertThat(ledgerTotal()).isZero();
    }

    @Test
    void aHigherBidPreemptsALowerOneButNotTheReverse() {
        Principal a = f.tenant("a", 50);
        Principal b = f.tenant("b", 50);
        Machine m = f.machine("RTX_3090", 1, 0.30, 0.10);
        long offer = Offer.offerId(m.id(), 1);
        Rental low = market.rent(a.id(), bid(offer, 0.11));
        market.rent(b.id(), bid(offer, 0.15));
        assertThat(market.rentalOf(a.id(), low.id()).state()).isEqualTo(RentalState.PREEMPTED);
        assertThatThrownBy(() -> market.rent(a.id(), bid(offer, 0.14)))
                .isInstanceOf(FlotillaException.class)
                .satisfies(e -> assertThat(((FlotillaException) e).code()).isEqualTo(ErrorCode.OFFER_UNAVAILABLE));
    }

    @Test
    void aSliceHeldOnDemandIsNotOfferedButOneHeldByABidIs() {
        Principal a = f.tenant("a", 50);
        Machine m = f.machine("RTX_3090", 1, 0.30, 0.10);
        long offer = Offer.offerId(m.id(), 1);
        SearchContext ctx = SearchContext.of(RentalType.ON_DEMAND);
        Rental r = market.rent(a.id(), bid(offer, 0.12));
        List<Offer> any = market.offers().search(OfferQuery.parse("rented=any", true), SortOrder.DEFAULT, 10, ctx);
        assertThat(any).extracting(Offer::id).containsExactly(offer);
        assertThat(any.get(0).rentable()).isTrue();
        assertThat(market.offers().search(OfferQuery.parse("", true), SortOrder.DEFAULT, 10, ctx)).isEmpty();
        market.destroy(a.id(), r.id());
        market.rent(a.id(), onDemand(offer));
        assertThat(market.offers().search(OfferQuery.parse("rented=any", true), SortOrder.DEFAULT, 10, ctx)).isEmpty();
    }

    @Test
    void fiftyParallelRentalsOfOneSliceExactlyOneWins() throws Exception {
        Machine m = f.machine("H100_SXM", 1, 2.50, 1.00);
        long offer = Offer.offerId(m.id(), 1);
        List<Principal> tenants = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            tenants.add(f.tenant("t" + i, 10));
        }
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger wins = new AtomicInteger();
        AtomicInteger taken = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(50)) {
            List<Future<?>> futures = new ArrayList<>();
            for (Principal t : tenants) {
                futures.add(pool.submit(() -> {
                    go.await();
                    try {
                        market.rent(t.id(), onDemand(offer));
                        wins.incrementAndGet();
                    } catch (FlotillaException e) {
                        if (e.code() == ErrorCode.OFFER_UNAVAILABLE) {
                            taken.incrementAndGet();
                        } else {
                            throw e;
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> fut : futures) {
                fut.get();
            }
        }
        assertThat(wins.get()).isEqualTo(1);
        assertThat(taken.get()).isEqualTo(49);
        long running = tenants.stream().mapToLong(t -> market.rentalsOf(t.id(), true).size()).sum();
        assertThat(running).isEqualTo(1);
    }

    @Test
    void aBidUnderTheMinimumIsRejectedAndNothingIsWritten() {
        Principal a = f.tenant("a", 50);
        Machine m = f.machine("RTX_4090", 2, 0.40, 0.20);
        long offer = Offer.offerId(m.id(), 2);
        assertThatThrownBy(() -> market.rent(a.id(), bid(offer, 0.39)))
                .isInstanceOf(FlotillaException.class)
                .hasMessageContaining("below this offer's minimum bid $0.40");
        assertThat(rentalCount(a.id())).isZero();
        assertThat(market.balance(a.id())).isEqualTo(Money.ofDollars(50));
    }

    @Test
    void unknownOfferAndAnotherTenantsRentalAreNotFound() {
        Principal a = f.tenant("a", 50);
        Principal b = f.tenant("b", 50);
        Machine m = f.machine("RTX_4090", 1, 0.40, 0.20);
        assertThatThrownBy(() -> market.rent(a.id(), onDemand(999_901)))
                .isInstanceOf(FlotillaException.class).hasMessageContaining("offer 999901 not found");
        assertThatThrownBy(() -> market.rent(a.id(), onDemand(Offer.offerId(m.id(), 4))))
                .isInstanceOf(FlotillaException.class).hasMessageContaining("not found");
        Rental r = market.rent(a.id(), onDemand(Offer.offerId(m.id(), 1)));
        assertThatThrownBy(() -> market.rentalOf(b.id(), r.id()))
                .isInstanceOf(FlotillaException.class)
                .satisfies(e -> assertThat(((FlotillaException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThatThrownBy(() -> market.destroy(b.id(), r.id())).isInstanceOf(FlotillaException.class)
                .hasMessageContaining("not found");
        assertThat(market.rentalOf(a.id(), r.id()).state()).isEqualTo(RentalState.RUNNING);
    }

    @Test
    void aTenantWithoutCreditCannotRentAndOneAtZeroIsStoppedAfterTheGracePeriod() {
        Principal broke = f.tenant("broke", 0);
        Machine m = f.machine("RTX_4090", 2, 1.00, 0.20);
        assertThatThrownBy(() -> market.rent(broke.id(), onDemand(Offer.offerId(m.id(), 1))))
                .isInstanceOf(FlotillaException.class)
                .satisfies(e -> assertThat(((FlotillaException) e).code()).isEqualTo(ErrorCode.INSUFFICIENT_CREDIT));

        Principal t = f.tenant("thin", 0.01); // 36 seconds at $1/h
        Rental r = market.rent(t.id(), onDemand(Offer.offerId(m.id(), 1)));
        f.clock.advance(Duration.ofSeconds(60));
        market.meterAll(); // balance goes negative: the grace period starts
        assertThat(market.rentalOf(t.id(), r.id()).state()).isEqualTo(RentalState.RUNNING);
        f.clock.advance(f.config.creditGracePeriod().plusSeconds(1));
        MarketService.MeterReport report = market.meterAll();
        assertThat(report.rentalsStoppedForCredit()).isEqualTo(1);
        Rental stopped = market.rentalOf(t.id(), r.id());
        assertThat(stopped.state()).isEqualTo(RentalState.STOPPED);
        assertThat(stopped.stateReason()).contains("balance");
        assertThat(market.events(t.id(), 0, 100)).extracting(e -> e.kind()).contains("low_balance", "stopped");
        assertThat(ledgerTotal()).isZero();
    }

    @Test
    void aReservedRentalPrepaysAtItsDiscountAndIsNotBilledAgainForThatTime() {
        Principal t = f.tenant("r", 500);
        Machine m = f.machine("A100_SXM4_80GB", 1, 1.00, 0.40); // 20% reserved discount
        Rental r = market.rent(t.id(), new MarketService.RentRequest(Offer.offerId(m.id(), 1), RentalType.RESERVED,
                Optional.empty(), OptionalInt.empty(), OptionalInt.of(7)));
        assertThat(r.prepaid()).isEqualTo(Money.ofDollars(0.80 * 24 * 7));
        f.clock.advance(Duration.ofDays(1));
        market.meterAll();
        assertThat(market.rentalOf(t.id(), r.id()).meter().gpuChargedMicros()).isZero();
        f.clock.advance(Duration.ofDays(6).plusHours(1));
        market.meterAll();
        assertThat(market.rentalOf(t.id(), r.id()).meter().gpuChargedMicros()).isEqualTo(1_000_000);
        assertThat(ledgerTotal()).isZero();
    }

    @Test
    void aMachineInMaintenanceOrUnlistedIsNotRentable() {
        Principal t = f.tenant("t", 50);
        Machine m = f.machine("L4", 1, 0.40, 0.20);
        long offer = Offer.offerId(m.id(), 1);
        market.addMaintenance(f.host.id(), m.id(), f.clock.instant().minusSeconds(10), f.clock.instant().plusSeconds(3600));
        assertThatThrownBy(() -> market.rent(t.id(), onDemand(offer))).hasMessageContaining("maintenance");
        assertThat(market.offers().search(OfferQuery.parse("", true), SortOrder.DEFAULT, 10,
                SearchContext.of(RentalType.ON_DEMAND))).isEmpty();
        f.clock.advance(Duration.ofHours(2));
        market.setListed(f.host.id(), m.id(), false);
        assertThatThrownBy(() -> market.rent(t.id(), onDemand(offer))).hasMessageContaining("unlisted");
        market.setListed(f.host.id(), m.id(), true);
        assertThat(market.rent(t.id(), onDemand(offer)).state()).isEqualTo(RentalState.RUNNING);
    }

    @Test
    void bandwidthIsBilledPerByteAndAResentReportIsNotChargedTwice() {
        Principal t = f.tenant("t", 50);
        Machine m = f.machine("L4", 1, 0.40, 0.20); // $2/TB
        Rental r = market.rent(t.id(), onDemand(Offer.offerId(m.id(), 1)));
        market.reportBandwidth(f.host.id(), r.id(), 500_000_000_000L, "report-1");
        market.reportBandwidth(f.host.id(), r.id(), 500_000_000_000L, "report-1");
        market.reportBandwidth(f.host.id(), r.id(), 250_000_000_000L, "report-2");
        Rental after = market.rentalOf(t.id(), r.id());
        assertThat(after.bandwidthBytes()).isEqualTo(750_000_000_000L);
        assertThat(after.bandwidthChargedMicros()).isEqualTo(1_500_000);
        assertThatThrownBy(() -> market.reportBandwidth(f.host.id(), r.id(), -1, "x")).hasMessageContaining("bytes");
        assertThat(ledgerTotal()).isZero();
    }

    @Test
    void invoiceGroupsChargesByRentalAndKind() {
        Principal t = f.tenant("t", 50);
        Machine m = f.machine("RTX_4090", 1, 0.36, 0.10);
        Rental r = market.rent(t.id(), onDemand(Offer.offerId(m.id(), 1)));
        f.clock.advance(Duration.ofHours(2));
        market.meterAll();
        MarketService.Statement inv = market.invoice(t.id(), YearMonth.of(2026, 11));
        assertThat(inv.lines()).anySatisfy(l -> {
            assertThat(l.rentalId()).isEqualTo(r.id());
            assertThat(l.kind()).isEqualTo("gpu");
            assertThat(l.amount()).isEqualTo(Money.ofDollars(0.72));
        });
        assertThat(inv.lines()).anySatisfy(l -> assertThat(l.kind()).isEqualTo("credit"));
        assertThat(inv.balance()).isEqualTo(market.balance(t.id()));
    }

    @Test
    void heartbeatsAndFailedStartsMoveReliability() {
        Principal t = f.tenant("t", 50);
        Machine m = f.machine("L4", 1, 0.40, 0.20);
        for (int i = 0; i < 100; i++) {
            market.heartbeat(f.host.id(), m.id());
            f.clock.advance(Duration.ofSeconds(30));
        }
        double before = offerReliability(m);
        Rental r = market.rent(t.id(), onDemand(Offer.offerId(m.id(), 1)));
        for (int i = 0; i < 5; i++) {
            market.reportStart(f.host.id(), r.id(), false);
        }
        assertThat(offerReliability(m)).isLessThan(before);
        assertThatThrownBy(() -> market.heartbeat(f.host.id() + 1000, m.id())).hasMessageContaining("not found");
    }

    private double offerReliability(Machine m) {
        return market.offers().search(OfferQuery.parse("machine_id=" + m.id(), false), SortOrder.DEFAULT, 1,
                SearchContext.of(RentalType.ON_DEMAND)).get(0).reliability();
    }

    @Test
    void listingRejectsBadValuesNamingTheField() {
        assertThatThrownBy(() -> f.machine("GTX_1080", 1, 0.4, 0.2)).hasMessageContaining("GTX_1080");
        assertThatThrownBy(() -> f.machine("RTX_4090", 1, -0.4, 0.2)).hasMessageContaining("price_per_gpu_hour");
        assertThatThrownBy(() -> f.machine("RTX_4090", 1, 0.4, 0.5)).hasMessageContaining("must not exceed");
        assertThatThrownBy(() -> f.machine("RTX_4090", 0, 0.4, 0.2)).hasMessageContaining("num_gpus");
        assertThat(market.machinesOf(f.host.id())).isEmpty();
        assertThat(Posting.tenantAccount(1)).isEqualTo("tenant:1");
    }

    @Test
    void twoReplicasMeteringAtOnceAndARestartNeverChargeTwice() throws Exception {
        Principal t = f.tenant("alice", 100);
        Machine m = f.machine("RTX_4090", 1, 0.36, 0.15);
        market.rent(t.id(), onDemand(Offer.offerId(m.id(), 1)));
        f.clock.advance(Duration.ofSeconds(1000));
        MarketService replica = new MarketService(f.db, f.clock, f.config, market.catalog(),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<MarketService.MeterReport>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                MarketService s = i % 2 == 0 ? market : replica;
                runs.add(pool.submit(s::meterAll));
            }
            for (Future<MarketService.MeterReport> r : runs) {
                r.get();
            }
        }
        // a "restarted" service on the same database, metering the same instant again
        new MarketService(f.db, f.clock, f.config, market.catalog(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .meterAll();
        long gpu = 360_000L * 1000 / 3600;
        long storage = 1_000_000L * 1000 / 2_592_000;
        assertThat(market.balance(t.id())).isEqualTo(Money.ofDollars(100).minus(Money.ofMicros(gpu + storage)));
        assertThat(ledgerTotal()).isZero();
    }
}
