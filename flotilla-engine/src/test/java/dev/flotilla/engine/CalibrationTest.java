package dev.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine model against measurements. These tests read {@code shared/data} and fail when it is
 * missing: an uncalibrated model must not pass silently.
 */
class CalibrationTest {
    static Path sharedData() {
        String property = System.getProperty("flotilla.shared.data");
        Path path = property != null ? Path.of(property) : Path.of("../../shared/data");
        assertThat(path.resolve("profiling/vidur")).as("shared data at %s", path.toAbsolutePath()).isDirectory();
        return path;
    }

    @Test
    void projectionsMatchVidurProfilesWithinTenPercentAtTheMedian() {
        Calibration.Report report = Calibration.run(sharedData(), EngineModel.calibrated());
        System.out.println(report.toMarkdown());

        assertThat(report.dataSets()).hasSize(3);
        for (Calibration.DataSetReport r : report.dataSets()) {
            String name = r.dataSet().name();
            assertThat(r.points()).as(name).hasSizeGreaterThan(1000);
            // Run-to-run spread of these kernels is a few percent; a median within 10% means the
            // shape of the model (roofline, kernel latency) is right, not only its average.
            assertThat(r.medianError()).as("median error, %s", name).isLessThan(0.10);
            assertThat(r.p90Error()).as("p90 error, %s", name).isLessThan(0.20);
            // The worst points are tiny kernels at tensor parallel 8 (a few microseconds).
            assertThat(r.maxError()).as("max error, %s", name).isLessThan(0.40);
            assertThat(Math.abs(r.bias())).as("bias, %s", name).isLessThan(0.05);
        }
    }

    @Test
    void calibratedFactorsAreWhatTheDataGives() {
        Map<String, Efficiency> fit = Calibration.fit(sharedData());

        assertEfficiency(fit.get("A100_SXM4_80GB"), EngineModel.A100_FIT);
        assertEfficiency(fit.get("H100_SXM"), EngineModel.H100_FIT);
    }

    private static void assertEfficiency(Efficiency fitted, Efficiency shipped) {
        assertThat(shipped.compute()).isCloseTo(fitted.compute(), within(0.01));
        assertThat(shipped.bandwidth()).isCloseTo(fitted.bandwidth(), within(0.01));
        assertThat(shipped.kernelLatencySeconds()).isCloseTo(fitted.kernelLatencySeconds(), within(0.3e-6));
        // The data README: decode-sized batches reach 74-80% of datasheet bandwidth and large ones
        // 66-78% of dense BF16 peak. Our bandwidth factor is higher because the kernel latency is
        // carried separately; with it, a decode-sized layer lands in that range (next test).
        assertThat(shipped.compute()).isBetween(0.66, 0.78);
    }

    @Test
    void aDecodeSizedLayerReachesThreeQuartersOfDatasheetBandwidth() {
        ModelShape llama2 = ModelCatalog.defaultCatalog().get("Llama-2-7b");
        for (String gpu : new String[] {"A100_SXM4_80GB", "H100_SXM"}) {
            Deployment d = new Deployment(llama2,
                    dev.flotilla.market.gpu.GpuCatalog.defaultCatalog().byId(gpu).orElseThrow(), 1,
                    WeightPrecision.BF16, KvPrecision.BITS_16);
            double weightBytes = 2.0 * (4L * 4096 * 4096 + 3L * 4096 * 11008);
            double achieved = weightBytes / EngineModel.calibrated().projectionSeconds(d, 1) / 1e9;
            assertThat(achieved / d.gpu().memBandwidthGbs()).as(gpu).isBetween(0.74, 0.80);
        }
    }

    @Test
    void aPlainRooflineFitsTheH100ProfilesWorseThanTheSmoothedOne() {
        Path data = sharedData();
        Map<String, Efficiency> plainFit = Calibration.fit(data, Double.POSITIVE_INFINITY);
        EngineModel plain = new EngineModel(plainFit, plainFit.get("H100_SXM"), 0, 0, Double.POSITIVE_INFINITY);

        double plainMedian = Calibration.run(data, plain).dataSets().get(2).medianError();
        double smoothedMedian = Calibration.run(data, EngineModel.calibrated()).dataSets().get(2).medianError();

        assertThat(smoothedMedian).isLessThan(plainMedian);
    }

    @Test
    void servingThroughputMatchesVllmByConstructionAndTheOtherEnginesIndependently() {
        Calibration.Report report = Calibration.run(sharedData(), EngineModel.calibrated());

        assertThat(report.serving()).extracting(Calibration.ServingCheck::engine)
                .containsExactly("vLLM", "SGLang", "LMDeploy");
        for (Calibration.ServingCheck c : report.serving()) {
            if (c.engine().equals("vLLM")) {
                // The per-sequence CPU time is fitted on this figure: a regression guard only.
                assertThat(c.error()).as("vLLM").isCloseTo(0, within(0.05));
            } else {
                // Not fitted: SGLang and LMDeploy overlap their CPU work with the GPU, so they should
                // land near the model's GPU time alone.
                assertThat(c.gpuOnlyError()).as(c.engine()).isCloseTo(0, within(0.15));
            }
        }
    }

    @Test
    void theShippedPerSequenceOverheadIsTheFittedOne() {
        double fitted = Calibration.fitSequenceOverhead(sharedData(), EngineModel.calibrated());

        assertThat(EngineModel.SEQUENCE_OVERHEAD_SECONDS).isCloseTo(fitted, within(1e-6));
        assertThat(fitted).isBetween(0.0, 50e-6);
    }

    @Test
    void theProfilesAreTheCatalogModels() throws Exception {
        Path data = sharedData();
        for (Calibration.DataSet ds : Calibration.VIDUR) {
            assertThat(Files.size(data.resolve(ds.path()))).isPositive();
            // readProfile checks every row's n_head, n_kv_head, n_embd and n_expanded_embd.
            assertThat(Calibration.readProfile(data, ds)).isNotEmpty();
        }
    }
}
