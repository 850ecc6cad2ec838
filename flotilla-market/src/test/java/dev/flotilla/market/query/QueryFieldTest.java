package dev.flotilla.market.query;

import static dev.flotilla.market.query.TestOffers.offer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Field meanings and units, each checked through both search implementations. */
class QueryFieldTest {
    /** Whether the query (no defaults) matches the offer, asserting that index and naive agree. */
    private static boolean matches(String query, Offer offer, SearchContext ctx) {
        OfferQuery q = OfferQuery.parse(query, false);
        boolean naive = new NaiveOfferFilter(List.of(offer)).count(q, ctx) == 1;
        boolean index = new OfferIndex(List.of(offer)).count(q, ctx) == 1;
        assertThat(index).as("index and naive agree on <%s>", query).isEqualTo(naive);
        return naive;
    }

    private static boolean matches(String query, Offer offer) {
        return matches(query, offer, SearchContext.defaults());
    }

    @Test
    void everyFieldAndAliasHasAUniqueName() {
        Set<String> names = new HashSet<>();
        for (QueryField f : QueryField.values()) {
            assertThat(names.add(f.fieldName())).as(f.fieldName()).isTrue();
            for (String alias : f.aliases()) {
                assertThat(names.add(alias)).as(alias).isTrue();
            }
            assertThat(QueryField.lookup(f.fieldName())).contains(f);
            assertThat(f.description()).isNotBlank();
        }
        assertThat(Arrays.stream(QueryField.values()).flatMap(f -> f.aliases().stream()))
                .containsExactlyInAnyOrder("gpu_totalram", "dph_base", "reliability2", "cuda_max_good",
                        "dlperf_per_dphtotal", "flops_per_dphtotal");
    }

    @Test
    void gpuRamIsGigabytesPerGpuAndTotalRamCoversTheSlice() {
        Offer twoA100 = offer().numGpus(2).machineGpus(8).gpu("A100 SXM4", 80).build();
        assertThat(matches("gpu_ram=80", twoA100)).isTrue();
        assertThat(matches("gpu_ram>80", twoA100)).isFalse();
        assertThat(matches("gpu_total_ram=160", twoA100)).isTrue();
        assertThat(matches("gpu_frac=0.25 cpu_cores_effective=4", twoA100)).isTrue();
        assertThat(QueryField.GPU_RAM.unit()).isEqualTo("GB");
    }

    @Test
    void durationIsInDaysAndInfiniteWithoutAnEndDate() {
        assertThat(matches("duration>=30", offer().durationDays(45).build())).isTrue();
        assertThat(matches("duration>=30", offer().durationDays(3).build())).isFalse();
        assertThat(matches("duration>1000000", offer().durationDays(Double.POSITIVE_INFINITY).build())).isTrue();
        assertThat(QueryField.DURATION.unit()).isEqualTo("days");
    }

    @Test
    void driverVersionComparesComponentsNumerically() {
        Offer newer = offer().driverVersion("535.104.05").build();
        // As strings "535.104.05" < "535.86.05"; as versions it is newer.
        assertThat(matches("driver_version>=535.86.05", newer)).isTrue();
        assertThat(matches("driver_version<535.86.05", newer)).isFalse();
        assertThat(matches("driver_version=535.104.5", newer)).isTrue();
        assertThat(matches("driver_version>=550", newer)).isFalse();
        assertThat(matches("driver_version in [535.104.05,550.54.15]", newer)).isTrue();
        assertThat(QueryText.encodeVersion("535.86.05")).isEqualTo(535_086_005);
    }

    @Test
    void unreadableDriverVersionMatchesOnlyNegations() {
        Offer odd = offer().driverVersion("unknown").build();
        assertThat(matches("driver_version>=1", odd)).isFalse();
        assertThat(matches("driver_version<1", odd)).isFalse();
        assertThat(matches("driver_version!=550.54.15", odd)).isTrue();
    }

    @Test
    void computeCapabilityMatchesInBothForms() {
        Offer ada = offer().computeCap(890).build();
        assertThat(matches("compute_cap>=800", ada)).isTrue();
        assertThat(matches("compute_cap>=8.0", ada)).isTrue();
        assertThat(matches("compute_cap=8.9", ada)).isTrue();
        assertThat(matches("compute_cap>=9.0", ada)).isFalse();
    }

    @Test
    void gpuNameMatchesIgnoringCaseWithUnderscoreForSpace() {
        Offer o = offer().gpu("RTX 3090", 24).build();
        assertThat(matches("gpu_name=RTX_3090", o)).isTrue();
        assertThat(matches("gpu_name=rtx_3090", o)).isTrue();
        assertThat(matches("gpu_name='rtx 3090'", o)).isTrue();
        assertThat(matches("gpu_name=RTX_309", o)).isFalse();
        assertThat(matches("gpu_name!=RTX_3090", o)).isFalse();
        assertThat(matches("gpu_name notin [RTX_4090,H200]", o)).isTrue();
    }

    @Test
    void cpuArchWithAnUnderscoreStillMatches() {
        assertThat(matches("cpu_arch=x86_64", offer().cpuArch("x86_64").build())).isTrue();
        assertThat(matches("cpu_arch=X86_64", offer().cpuArch("arm64").build())).isFalse();
    }

    @Test
    void geolocationMatchesCountryCodeOrRegion() {
        Offer taiwan = offer().location("TW", "Asia").build();
        assertThat(matches("geolocation=tw", taiwan)).isTrue();
        assertThat(matches("geolocation=Asia", taiwan)).isTrue();
        assertThat(matches("geolocation in [SE,TW]", taiwan)).isTrue();
        assertThat(matches("geolocation notin [Asia]", taiwan)).isFalse();
        assertThat(matches("geolocation!=SE", taiwan)).isTrue();
        assertThat(matches("geolocation=North_America", offer().location("US", "North America").build())).isTrue();
    }

    @Test
    void dphIsThePriceForTheSearchesRentalTypeAndBidShowsTheMinimumBid() {
        Offer o = offer().prices(1.00, 0.80, 0.30).build();
        assertThat(matches("dph=1", o, SearchContext.of(RentalType.ON_DEMAND))).isTrue();
        assertThat(matches("dph=0.8", o, SearchContext.of(RentalType.RESERVED))).isTrue();
        assertThat(matches("dph=0.3", o, SearchContext.of(RentalType.BID))).isTrue();
        assertThat(matches("dph=0.3", o, SearchContext.of(RentalType.ON_DEMAND))).isFalse();
        assertThat(matches("min_bid=0.3", o, SearchContext.of(RentalType.ON_DEMAND))).isTrue();
    }

    @Test
    void dphTotalAddsStorageForTheSearchesDiskSize() {
        // $0.72 per GB-month is $0.001 per GB-hour over a 720-hour month.
        Offer o = offer().prices(1.00, 0.80, 0.30).storagePerGbMonth(0.72).build();
        assertThat(matches("dph_total=1.01", o, SearchContext.defaults())).isTrue();
        assertThat(matches("dph_total=1.1", o, new SearchContext(RentalType.ON_DEMAND, 100))).isTrue();
        assertThat(matches("dph_total=0.4", o, new SearchContext(RentalType.BID, 100))).isTrue();
        assertThat(matches("storage_cost=0.72", o)).isTrue();
    }

    @Test
    void perDollarFieldsDivideByDphAndAreInfiniteWhenItIsFree() {
        Offer o = offer().prices(2.00, 1.00, 0.50).dlperf(40).totalFlops(330).build();
        assertThat(matches("dlperf_usd=20", o)).isTrue();
        assertThat(matches("dlperf_usd=80", o, SearchContext.of(RentalType.BID))).isTrue();
        assertThat(matches("flops_usd=165", o)).isTrue();
        Offer free = offer().prices(0, 0, 0).dlperf(40).build();
        assertThat(QueryField.DLPERF_USD.numeric(free, SearchContext.defaults())).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(matches("dlperf_usd>1000000 flops_usd>1000000", free)).isTrue();
    }

    @Test
    void rentableAndRentedFollowTheOffersSlices() {
        Offer free = offer().slices(1, 0).build();
        Offer preemptibleOnly = offer().slices(0, 1).build();
        Offer full = offer().slices(0, 0).build();
        Offer unlisted = offer().slices(1, 0).available(false).build();
        assertThat(matches("rentable=true rented=false", free)).isTrue();
        assertThat(matches("rentable=true rented=true", preemptibleOnly)).isTrue();
        assertThat(matches("rentable=false", full)).isTrue();
        assertThat(matches("rentable=false rented=false", unlisted)).isTrue();
    }

    @Test
    void identifiersAreSearchable() {
        Offer o = offer().machineId(42).hostId(7).numGpus(2).machineGpus(4).build();
        assertThat(matches("id=4202 machine_id=42 host_id=7 num_gpus=2", o)).isTrue();
    }

    @Test
    void remainingNumericFieldsReadTheirOfferComponents() {
        Offer o = offer().gpuMemBwGbs(1008).bwNvlinkGbs(600).cpuCores(32).cpuRamGb(128).diskSpaceGb(500).diskBwMbs(3000)
                .pci(4, 31.5).inet(800, 2000).directPortCount(64).reliability(0.97).cudaVersion(12.8).dlperf(55)
                .build();
        assertThat(matches("gpu_mem_bw=1008 bw_nvlink=600 cpu_cores=32 cpu_ram=128 disk_space=500 disk_bw=3000"
                + " pci_gen=4 pcie_bw=31.5 inet_up=800 inet_down=2000 direct_port_count=64 reliability=0.97"
                + " cuda_vers=12.8 dlperf=55 total_flops=330", o)).isTrue();
        assertThat(matches("static_ip=true verified=true datacenter=false external=false", o)).isTrue();
    }
}
