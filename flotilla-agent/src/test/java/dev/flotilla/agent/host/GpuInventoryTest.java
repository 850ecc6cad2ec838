package dev.flotilla.agent.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.market.gpu.GpuCatalog;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class GpuInventoryTest {
    private static final GpuCatalog CATALOG = GpuCatalog.defaultCatalog();

    @Test
    void emulateSpecNamesModelAndCount() {
        GpuInventory inv = GpuInventory.emulated("RTX_4090:2", CATALOG);
        assertThat(inv.model().id()).isEqualTo("RTX_4090");
        assertThat(inv.count()).isEqualTo(2);
        assertThat(inv.emulated()).isTrue();
        assertThat(inv.driverVersion()).isEqualTo(GpuInventory.EMULATED_DRIVER);
        assertThat(inv.describe()).isEqualTo("2x RTX 4090, emulated");
    }

    @Test
    void emulateAcceptsMarketNames() {
        assertThat(GpuInventory.emulated("h100 sxm:8", CATALOG).model().id()).isEqualTo("H100_SXM");
    }

    @Test
    void refusesAnUnknownModelNamingTheKnownOnes() {
        assertThatThrownBy(() -> GpuInventory.emulated("RTX_9999:2", CATALOG))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown GPU model 'RTX_9999'")
                .hasMessageContaining("RTX_4090");
    }

    @Test
    void refusesBadCounts() {
        assertThatThrownBy(() -> GpuInventory.emulated("RTX_4090:0", CATALOG)).hasMessageContaining("1..16, got 0");
        assertThatThrownBy(() -> GpuInventory.emulated("RTX_4090:17", CATALOG)).hasMessageContaining("1..16, got 17");
        assertThatThrownBy(() -> GpuInventory.emulated("RTX_4090:two", CATALOG)).hasMessageContaining("'two'");
        assertThatThrownBy(() -> GpuInventory.emulated("RTX_4090", CATALOG)).hasMessageContaining("GPU_MODEL:COUNT");
        assertThatThrownBy(() -> GpuInventory.emulated(":2", CATALOG)).hasMessageContaining("GPU_MODEL:COUNT");
    }

    @Test
    void detectedGpusBecomeOneModelWithTheirDriver() {
        GpuInventory inv = GpuInventory.detected(GpuDetectorTest.gpus("NVIDIA GeForce RTX 4090", 4), OptionalDouble.of(12.6),
                CATALOG);
        assertThat(inv.model().id()).isEqualTo("RTX_4090");
        assertThat(inv.count()).isEqualTo(4);
        assertThat(inv.driverVersion()).isEqualTo("560.35.03");
        assertThat(inv.cudaVersion()).isEqualTo(12.6);
        assertThat(inv.describe()).isEqualTo("4x RTX 4090");
    }

    @Test
    void noGpuAsksForEmulate() {
        assertThatThrownBy(() -> GpuInventory.detected(List.of(), OptionalDouble.empty(), CATALOG))
                .hasMessageContaining("no NVIDIA GPU found")
                .hasMessageContaining("--emulate");
    }

    @Test
    void refusesMixedOrUnknownCards() {
        List<DetectedGpu> mixed = List.of(new DetectedGpu("NVIDIA GeForce RTX 4090", 24564, "560.35.03"),
                new DetectedGpu("NVIDIA GeForce RTX 3090", 24576, "560.35.03"));
        assertThatThrownBy(() -> GpuInventory.detected(mixed, OptionalDouble.empty(), CATALOG))
                .hasMessageContaining("several models (NVIDIA GeForce RTX 4090, NVIDIA GeForce RTX 3090)");
        assertThatThrownBy(() -> GpuInventory.detected(GpuDetectorTest.gpus("NVIDIA GeForce RTX 4080", 1),
                OptionalDouble.empty(), CATALOG))
                .hasMessageContaining("'NVIDIA GeForce RTX 4080' is not in the market's catalog");
    }

    @Test
    void registrationCarriesTheControlPlaneFields() {
        MachineRegistration r = new MachineRegistration(GpuInventory.emulated("RTX_4090:2", CATALOG),
                new HostResources(16, 64, 500), Listing.defaults());
        assertThat(r.toJson())
                .containsEntry("gpu_name", "RTX_4090")
                .containsEntry("num_gpus", 2)
                .containsEntry("cpu_cores", 16)
                .containsEntry("country", "US")
                .containsEntry("price_per_gpu_hour", "0.50")
                .containsEntry("min_bid_per_gpu_hour", "0.25")
                .containsEntry("driver_version", "550.54.15");
    }

    @Test
    void listingRefusesMinBidAbovePrice() {
        assertThatThrownBy(() -> new Listing("US", "x", new java.math.BigDecimal("0.30"), new java.math.BigDecimal("0.40"),
                1000, 1000)).hasMessageContaining("--min-bid").hasMessageContaining("0.40");
        assertThatThrownBy(() -> new Listing("us", "x", new java.math.BigDecimal("0.30"), new java.math.BigDecimal("0.20"),
                1000, 1000)).hasMessageContaining("'us'");
    }
}
