package dev.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class EngineModelTest {
    private final EngineModel engine = EngineModel.calibrated();
    private final ModelCatalog models = ModelCatalog.defaultCatalog();

    private static GpuSpec gpu(String name) {
        return GpuCatalog.defaultCatalog().resolve(name, OptionalDouble.empty());
    }

    private Deployment deploy(String model, String gpu, int tp, WeightPrecision w) {
        return new Deployment(models.get(model), gpu(gpu), tp, w, KvPrecision.BITS_16);
    }

    private Deployment llama8bOn(String gpu) {
        return deploy("Llama-3.1-8B", gpu, 1, WeightPrecision.BF16);
    }

    @Test
    void moreLoadMeansSlowerTokens() {
        Deployment d = llama8bOn("H100 SXM");
        double previousTpot = 0;
        double previousTtft = 0;
        for (double rps : new double[] {0.5, 2, 5, 10, 20}) {
            Performance p = engine.predict(d, Load.poisson(1000, 200, rps));
            assertThat(p.feasible()).as("%s req/s", rps).isTrue();
            assertThat(p.tpotMs()).as("TPOT at %s req/s", rps).isGreaterThan(previousTpot);
            assertThat(p.ttftMs()).as("TTFT at %s req/s", rps).isGreaterThan(previousTtft);
            assertThat(p.outputThroughputTokensPerS()).isCloseTo(rps * 200, org.assertj.core.data.Offset.offset(1e-6));
            previousTpot = p.tpotMs();
            previousTtft = p.ttftMs();
        }
    }

    @Test
    void decodeIsFasterOnH100ThanA100ThanRtx3090() {
        long h100 = engine.decodeStepMicros(llama8bOn("H100 SXM"), 8, 1000);
        long a100 = engine.decodeStepMicros(llama8bOn("A100 SXM4"), 8, 1000);
        long rtx3090 = engine.decodeStepMicros(deploy("Llama-3.1-8B", "RTX 3090", 1, WeightPrecision.INT8), 8, 1000);
        long rtx3090Bf16 = engine.decodeStepMicros(llama8bOn("RTX 3090"), 8, 1000);

        assertThat(h100).isLessThan(a100);
        assertThat(a100).isLessThan(rtx3090Bf16);
        assertThat(rtx3090).isLessThan(rtx3090Bf16); // half the bytes to stream
    }

    @Test
    void singleStreamDecodeOfLlama8bOnH100TakesAboutSevenMilliseconds() {
        // 16 GB of weights at 0.906 x 3.35 TB/s = 5.3 ms, plus 289 kernels' latency and 0.5 ms of CPU.
        assertThat(engine.decodeStepMicros(llama8bOn("H100 SXM"), 1, 500)).isBetween(6_000L, 8_000L);
    }

    @Test
    void tensorParallelismSpeedsUpA70b() {
        Deployment tp2 = deploy("Llama-3.1-70B", "H100 SXM", 2, WeightPrecision.BF16);
        Deployment tp4 = deploy("Llama-3.1-70B", "H100 SXM", 4, WeightPrecision.BF16);
        Load load = Load.poisson(1000, 200, 1);

        assertThat(engine.decodeStepMicros(tp4, 16, 1000)).isLessThan(engine.decodeStepMicros(tp2, 16, 1000));
        assertThat(engine.prefillMicros(tp4, 2000)).isLessThan(engine.prefillMicros(tp2, 2000));
        assertThat(engine.predict(tp4, load).maxRequestsPerSecond())
                .isGreaterThan(2 * engine.predict(tp2, load).maxRequestsPerSecond());
        assertThat(engine.step(tp4, 0, 16, 1000).commSeconds()).isPositive();
        assertThat(engine.step(llama8bOn("H100 SXM"), 0, 16, 1000).commSeconds()).isZero();
    }

    @Test
    void detectsOverloadAndNamesTheCapacity() {
        Performance p = engine.predict(llama8bOn("H100 SXM"), Load.poisson(1000, 200, 100));

        assertThat(p.feasible()).isFalse();
        assertThat(p.maxRequestsPerSecond()).isBetween(5.0, 100.0);
        assertThat(p.reason()).startsWith("needs 100 req/s; capacity ").contains("KV cache");
        assertThat(p.ttftMs()).isInfinite();
        assertThat(p.outputThroughputTokensPerS()).isCloseTo(p.maxRequestsPerSecond() * 200,
                org.assertj.core.data.Offset.offset(1e-6));
        assertThat(p.kvUtilization()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void aLoadJustBelowCapacityIsFeasibleAndJustAboveIsNot() {
        Deployment d = llama8bOn("L40S");
        double capacity = engine.predict(d, Load.poisson(500, 300, 1)).maxRequestsPerSecond();

        Performance below = engine.predict(d, Load.poisson(500, 300, 0.95 * capacity));
        Performance above = engine.predict(d, Load.poisson(500, 300, 1.05 * capacity));

        assertThat(below.feasible()).isTrue();
        assertThat(below.ttftP99Ms()).isGreaterThan(below.ttftP90Ms()).isFinite();
        assertThat(above.feasible()).isFalse();
    }

    @Test
    void aDeploymentThatDoesNotFitIsInfeasibleForMemory() {
        Performance p = engine.predict(deploy("Llama-3.1-70B", "RTX 5090", 1, WeightPrecision.BF16),
                Load.poisson(500, 200, 1));

        assertThat(p.feasible()).isFalse();
        assertThat(p.limitedBy()).isEqualTo(Performance.Limit.MEMORY);
        assertThat(p.reason()).contains("141 GB").contains("32 GB");
        assertThat(p.maxRequestsPerSecond()).isZero();
    }

    @Test
    void burstierArrivalsWaitLonger() {
        Deployment d = llama8bOn("A100 SXM4");
        Performance poisson = engine.predict(d, new Load(800, 200, 6, 1));
        Performance bursty = engine.predict(d, new Load(800, 200, 6, 3));

        assertThat(bursty.ttftP99Ms()).isGreaterThan(poisson.ttftP99Ms());
        assertThat(bursty.tpotMs()).isEqualTo(poisson.tpotMs());
    }

    @Test
    void decodeIsMemoryBoundAndPrefillComputeBound() {
        Deployment d = llama8bOn("H100 SXM");
        StepTime decode = engine.step(d, 0, 16, 1000);
        StepTime prefill = engine.step(d, 2048, 0, 0);

        assertThat(decode.bound()).isEqualTo(StepTime.Bound.MEMORY);
        assertThat(prefill.bound()).isEqualTo(StepTime.Bound.COMPUTE);
        for (StepTime s : new StepTime[] {decode, prefill}) {
            assertThat(s.seconds()).isGreaterThanOrEqualTo(
                    Math.max(s.computeSeconds(), s.memorySeconds()) + s.commSeconds() + s.overheadSeconds());
        }
    }

    @Test
    void longerContextsCostMoreKvReads() {
        Deployment d = llama8bOn("H100 SXM");

        assertThat(engine.step(d, 0, 64, 8000).memorySeconds())
                .isGreaterThan(engine.step(d, 0, 64, 1000).memorySeconds());
    }

    @Test
    void aMoeDecodeStepReadsMoreExpertsAsTheBatchGrows() {
        Deployment mixtral = deploy("Mixtral-8x7B", "H100 SXM", 2, WeightPrecision.BF16);
        double one = engine.step(mixtral, 0, 1, 500).memorySeconds();
        double sixtyFour = engine.step(mixtral, 0, 64, 500).memorySeconds();

        // One token reads 2 of 8 experts; 64 tokens read nearly all of them.
        assertThat(sixtyFour / one).isBetween(2.5, 4.0);
    }

    @Test
    void fp8WeightsSpeedUpPrefillOnHopperButOnlyDecodeOnAmpere() {
        long h100Bf16 = engine.prefillMicros(llama8bOn("H100 SXM"), 4096);
        long h100Fp8 = engine.prefillMicros(deploy("Llama-3.1-8B", "H100 SXM", 1, WeightPrecision.FP8), 4096);
        Deployment a100Fp8 = deploy("Llama-3.1-8B", "A100 SXM4", 1, WeightPrecision.FP8);

        assertThat((double) h100Fp8 / h100Bf16).isLessThan(0.75);
        assertThat((double) engine.prefillMicros(a100Fp8, 4096) / engine.prefillMicros(llama8bOn("A100 SXM4"), 4096))
                .isGreaterThan(0.95);
        assertThat(engine.decodeStepMicros(a100Fp8, 1, 500))
                .isLessThan(engine.decodeStepMicros(llama8bOn("A100 SXM4"), 1, 500) * 3 / 4);
    }

    @Test
    void prefillTimeGrowsWithThePromptAndStopsAtTheContext() {
        Deployment d = llama8bOn("RTX 4090");

        assertThat(engine.prefillMicros(d, 4000)).isGreaterThan(engine.prefillMicros(d, 1000));
        assertThatThrownBy(() -> engine.prefillMicros(d, 200_000))
                .isInstanceOf(FlotillaException.class)
                .hasMessageContaining("accepted: 1 to 131072");
    }

    @Test
    void offlineThroughputExceedsWhatAnOnlineLoadDrawsAndNeedsTheModelToFit() {
        Deployment d = llama8bOn("H100 SXM");
        double offline = engine.offlineOutputThroughput(d, 500, 300);

        assertThat(offline).isGreaterThan(engine.predict(d, Load.poisson(500, 300, 5)).outputThroughputTokensPerS());
        assertThatThrownBy(() -> engine.offlineOutputThroughput(
                deploy("Llama-3.1-70B", "RTX 5090", 1, WeightPrecision.BF16), 500, 300))
                .hasMessageContaining("141 GB");
    }

    @Test
    void anEncoderRunsForwardPassesButNeverDecodes() {
        Deployment miniLm = deploy("all-MiniLM-L6-v2", "Tesla T4", 1, WeightPrecision.BF16);

        assertThat(engine.prefillMicros(miniLm, 256)).isBetween(100L, 5_000L);
        assertThatThrownBy(() -> engine.step(miniLm, 0, 4, 100)).hasMessageContaining("never decodes");
        assertThatThrownBy(() -> engine.predict(miniLm, Load.poisson(100, 1, 10)))
                .hasMessageContaining("is an encoder");
    }

    @Test
    void rejectsEmptyStepsAndBadLoads() {
        Deployment d = llama8bOn("H100 SXM");

        assertThatThrownBy(() -> engine.step(d, 0, 0, 0)).hasMessageContaining("at least one token");
        assertThatThrownBy(() -> engine.decodeStepMicros(d, 0, 100)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> new Load(100, 100, -1, 1))
                .isInstanceOf(FlotillaException.class)
                .hasMessage("requests_per_second must be a finite number >= 0 (a rate cannot be negative); got -1.0");
        assertThatThrownBy(() -> new Load(0, 100, 1, 1)).hasMessageContaining("mean_input_tokens");
    }

    @Test
    void aRequestLongerThanTheKvCacheIsInfeasible() {
        Deployment d = deploy("Llama-3.1-70B", "H100 SXM", 2, WeightPrecision.BF16);

        Performance p = engine.predict(d, Load.poisson(60_000, 1_000, 0.1));

        assertThat(p.feasible()).isFalse();
        assertThat(p.reason()).contains("needs more KV cache than the").contains("2x H100 SXM holds");
    }

    @Test
    void anIdleServerStillReportsTheLatencyOfALoneRequest() {
        Deployment d = llama8bOn("H100 SXM");
        Performance idle = engine.predict(d, Load.poisson(1000, 200, 0));

        assertThat(idle.feasible()).isTrue();
        assertThat(idle.batchSize()).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(idle.tpotMs()).isCloseTo(engine.decodeStepMicros(d, 1, 1100) / 1e3,
                org.assertj.core.data.Offset.offset(0.2));
        assertThat(idle.ttftMs()).isGreaterThanOrEqualTo(engine.prefillMicros(d, 1000) / 1e3);
    }
}
