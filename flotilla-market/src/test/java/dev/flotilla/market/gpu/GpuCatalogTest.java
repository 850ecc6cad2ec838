package dev.flotilla.market.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class GpuCatalogTest {
    private final GpuCatalog catalog = GpuCatalog.defaultCatalog();

    @Test
    void holdsTheThirteenModelsOfTheSharedDataSet() {
        assertThat(catalog.all()).hasSize(13);
        assertThat(catalog.marketNames()).contains("H200", "H100 SXM", "H100 PCIE", "A100 SXM4", "L40S",
                "RTX PRO 6000 WS", "RTX 5090", "RTX 4090", "RTX 3090", "L4", "A10G", "Tesla T4");
    }

    @Test
    void resolvesMarketNamesAsUsersTypeThem() {
        assertThat(catalog.resolve("RTX_4090", OptionalDouble.empty()).id()).isEqualTo("RTX_4090");
        assertThat(catalog.resolve("rtx 4090", OptionalDouble.empty()).id()).isEqualTo("RTX_4090");
        assertThat(catalog.resolve("A100 SXM4", OptionalDouble.of(40)).id()).isEqualTo("A100_SXM4_40GB");
        assertThat(catalog.resolve("A100_SXM4", OptionalDouble.empty()).id()).isEqualTo("A100_SXM4_80GB");
    }

    @Test
    void rejectsAnUnknownModelNamingTheKnownOnes() {
        assertThatThrownBy(() -> catalog.resolve("GTX 1080", OptionalDouble.empty()))
                .hasMessageContaining("GTX 1080")
                .hasMessageContaining("RTX 4090");
    }
}
