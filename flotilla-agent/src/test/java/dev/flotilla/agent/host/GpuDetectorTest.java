package dev.flotilla.agent.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.market.gpu.GpuCatalog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class GpuDetectorTest {
    private static final GpuCatalog CATALOG = GpuCatalog.defaultCatalog();

    @Test
    void parsesOneLinePerGpu() {
        String out = """
                NVIDIA H100 80GB HBM3, 81559, 550.54.15
                NVIDIA H100 80GB HBM3, 81559, 550.54.15

                """;
        assertThat(GpuDetector.parse(out)).containsExactly(
                new DetectedGpu("NVIDIA H100 80GB HBM3", 81559, "550.54.15"),
                new DetectedGpu("NVIDIA H100 80GB HBM3", 81559, "550.54.15"));
    }

    @Test
    void parsesWindowsLineEndingsAndExtraSpaces() {
        assertThat(GpuDetector.parse("NVIDIA GeForce RTX 4090 ,  24564 , 560.35.03\r\n"))
                .containsExactly(new DetectedGpu("NVIDIA GeForce RTX 4090", 24564, "560.35.03"));
    }

    @Test
    void emptyOutputMeansNoGpus() {
        assertThat(GpuDetector.parse("")).isEmpty();
        assertThat(GpuDetector.parse("\n\n")).isEmpty();
    }

    @Test
    void refusesALineItCannotRead() {
        assertThatThrownBy(() -> GpuDetector.parse("No devices were found"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("No devices were found");
        assertThatThrownBy(() -> GpuDetector.parse("NVIDIA L4, [N/A], 550.54.15"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'[N/A]'");
    }

    @Test
    void readsTheCudaVersionFromTheBanner() {
        String banner = "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4     |";
        assertThat(GpuDetector.parseCudaVersion(banner)).isEqualTo(OptionalDouble.of(12.4));
        assertThat(GpuDetector.parseCudaVersion("no banner")).isEmpty();
    }

    @Test
    void mapsNvidiaNamesToCatalogIds() {
        assertThat(id("NVIDIA GeForce RTX 4090", 24564)).contains("RTX_4090");
        assertThat(id("NVIDIA GeForce RTX 5090", 32607)).contains("RTX_5090");
        assertThat(id("NVIDIA GeForce RTX 3090", 24576)).contains("RTX_3090");
        assertThat(id("NVIDIA H100 80GB HBM3", 81559)).contains("H100_SXM");
        assertThat(id("NVIDIA H100 PCIe", 81559)).contains("H100_PCIE");
        assertThat(id("NVIDIA H200", 143771)).contains("H200_SXM");
        assertThat(id("NVIDIA A100-SXM4-80GB", 81920)).contains("A100_SXM4_80GB");
        assertThat(id("NVIDIA A100-SXM4-40GB", 40960)).contains("A100_SXM4_40GB");
        assertThat(id("NVIDIA L40S", 46068)).contains("L40S");
        assertThat(id("NVIDIA L4", 23034)).contains("L4");
        assertThat(id("NVIDIA A10G", 23028)).contains("A10G");
        assertThat(id("Tesla T4", 15360)).contains("T4");
        assertThat(id("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", 97887)).contains("RTX_PRO_6000");
    }

    @Test
    void tellsA100VariantsApartByMemoryWhenTheNameDoesNot() {
        assertThat(id("NVIDIA A100-SXM4", 81920)).contains("A100_SXM4_80GB");
        assertThat(id("NVIDIA A100-SXM4", 40960)).contains("A100_SXM4_40GB");
    }

    @Test
    void leavesCardsTheCatalogLacksUnmapped() {
        assertThat(id("NVIDIA H100 NVL", 95830)).isEmpty();
        assertThat(id("NVIDIA A100 80GB PCIe", 81920)).isEmpty();
        assertThat(id("NVIDIA L40", 46068)).isEmpty();
        assertThat(id("NVIDIA GeForce RTX 4080", 16376)).isEmpty();
    }

    @Test
    void detectsNothingWithoutTheBinary() {
        GpuDetector detector = new GpuDetector(Path.of("/nonexistent/nvidia-smi"), Duration.ofSeconds(1));
        assertThat(detector.available()).isFalse();
        assertThat(detector.detect()).isEmpty();
        assertThat(detector.cudaVersion()).isEmpty();
    }

    private static Optional<String> id(String name, long mib) {
        return GpuDetector.catalogId(new DetectedGpu(name, mib, "550.54.15"), CATALOG);
    }

    static List<DetectedGpu> gpus(String name, int n) {
        return java.util.Collections.nCopies(n, new DetectedGpu(name, 24564, "560.35.03"));
    }
}
