package dev.flotilla.market.query;

import static dev.flotilla.market.query.TestOffers.offer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import java.util.List;
import org.junit.jupiter.api.Test;

class OfferIndexTest {
    private final Offer cheap3090 = offer().machineId(1).gpu("RTX 3090", 24).computeCap(860).prices(0.20, 0.16, 0.10)
            .reliability(0.99).build();
    private final Offer unreliable3090 = offer().machineId(2).gpu("RTX 3090", 24).computeCap(860).prices(0.18, 0.15, 0.09)
            .reliability(0.95).build();
    private final Offer rented3090 = offer().machineId(3).gpu("RTX 3090", 24).computeCap(860).prices(0.17, 0.15, 0.09)
            .reliability(0.995).slices(0, 1).build();
    private final Offer fourH100Taiwan = offer().machineId(4).machineGpus(8).numGpus(4).gpu("H100 SXM", 80).computeCap(900)
            .prices(10.0, 8.0, 6.0).reliability(0.995).location("TW", "Asia").build();
    private final Offer fourH100Sweden = offer().machineId(5).machineGpus(4).numGpus(4).gpu("H100 SXM", 80).computeCap(900)
            .prices(9.0, 7.0, 5.0).reliability(0.999).location("SE", "Europe").build();
    private final Offer fourH100Us = offer().machineId(6).machineGpus(4).numGpus(4).gpu("H100 SXM", 80).computeCap(900)
            .prices(8.0, 7.0, 5.0).reliability(0.999).build();
    private final Offer unverified4090 = offer().machineId(7).prices(0.30, 0.25, 0.15).verified(false).build();
    private final Offer t4 = offer().machineId(8).gpu("Tesla T4", 16).computeCap(750).prices(0.05, 0.04, 0.02).build();
    private final Offer a100 = offer().machineId(9).gpu("A100 SXM4", 80).computeCap(800).prices(1.20, 1.00, 0.60).build();
    private final List<Offer> offers = List.of(cheap3090, unreliable3090, rented3090, fourH100Taiwan, fourH100Sweden,
            fourH100Us, unverified4090, t4, a100);
    private final OfferIndex index = new OfferIndex(offers);

    private List<Offer> search(String query, String order) {
        List<Offer> result = index.search(OfferQuery.parse(query, true), SortOrder.parse(order), 100, SearchContext.defaults());
        assertThat(result).isEqualTo(new NaiveOfferFilter(offers)
                .search(OfferQuery.parse(query, true), SortOrder.parse(order), 100, SearchContext.defaults()));
        return result;
    }

    @Test
    void findsReliableUnrented3090s() {
        assertThat(search("reliability > 0.98 num_gpus=1 gpu_name=RTX_3090 rented=False", "")).containsExactly(cheap3090);
    }

    @Test
    void findsFourGpuOffersInTaiwanOrSweden() {
        assertThat(search("reliability>0.99 num_gpus=4 geolocation in [TW,SE]", "")).containsExactly(fourH100Sweden, fourH100Taiwan);
    }

    @Test
    void findsAmpereOrNewerWith24GbUnderTwoDollarsCheapestFirst() {
        assertThat(search("gpu_ram>=24 compute_cap>=800 dph<2", "dph"))
                .containsExactly(unreliable3090, cheap3090, a100);
    }

    @Test
    void defaultsHideUnverifiedAndRentedOffersUntilLifted() {
        assertThat(search("", "")).doesNotContain(unverified4090, rented3090).hasSize(7);
        assertThat(search("verified=any rented=any", "")).hasSize(9);
        assertThat(index.count(OfferQuery.parse("", false), SearchContext.defaults())).isEqualTo(9);
    }

    @Test
    void sortsByEveryKeyInTurnThenById() {
        assertThat(search("num_gpus=4", "reliability-,dph-"))
                .containsExactly(fourH100Sweden, fourH100Us, fourH100Taiwan);
        assertThat(search("gpu_name=RTX_3090 rented=any", "gpu_ram"))
                .containsExactly(cheap3090, unreliable3090, rented3090);
        assertThat(search("rented=any verified=any", "gpu_name-,dph").subList(0, 3))
                .containsExactly(t4, unverified4090, rented3090);
    }

    @Test
    void keepsOnlyTheBestLimitOffers() {
        SearchContext ctx = SearchContext.defaults();
        OfferQuery all = OfferQuery.parse("", false);
        assertThat(index.search(all, SortOrder.parse("dph"), 2, ctx)).containsExactly(t4, rented3090);
        assertThat(index.search(all, SortOrder.parse("dph-"), 1, ctx)).containsExactly(fourH100Taiwan);
    }

    @Test
    void bidSearchesPriceAndSortByTheMinimumBid() {
        OfferQuery q = OfferQuery.parse("num_gpus=4 dph<=5", true);
        assertThat(index.search(q, SortOrder.DEFAULT, 10, SearchContext.of(RentalType.BID)))
                .containsExactly(fourH100Sweden, fourH100Us);
        assertThat(index.search(q, SortOrder.DEFAULT, 10, SearchContext.of(RentalType.ON_DEMAND))).isEmpty();
    }

    @Test
    void limitOutsideOneToTenThousandIsRejected() {
        for (int limit : new int[] {0, -1, 10_001}) {
            FlotillaException e = catchThrowableOfType(FlotillaException.class,
                    () -> index.search(OfferQuery.parse(""), SortOrder.DEFAULT, limit, SearchContext.defaults()));
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_QUERY);
            assertThat(e.getMessage()).contains("limit must be between 1 and 10000, got " + limit);
        }
        assertThat(index.search(OfferQuery.parse(""), SortOrder.DEFAULT, 10_000, SearchContext.defaults())).hasSize(7);
    }

    @Test
    void emptyIndexAnswersEmpty() {
        OfferIndex empty = new OfferIndex(List.of());
        assertThat(empty.search(OfferQuery.parse(""), SortOrder.DEFAULT, 10, SearchContext.defaults())).isEmpty();
        assertThat(empty.count(OfferQuery.parse(""), SearchContext.defaults())).isZero();
    }
}
