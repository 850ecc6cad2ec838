package dev.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class MemoryPlanTest {
    private final ModelCatalog models = ModelCatalog.defaultCatalog();

    private static GpuSpec gpu(String name) {
        return GpuCatalog.defaultCatalog().resolve(name, OptionalDouble.empty());
    }

    private MemoryPlan plan(String model, String gpu, int tp, WeightPrecision w, KvPrecision kv) {
        return MemoryPlan.plan(models.get(model), gpu(gpu), tp, w, kv);
    }

    @Test
    void llama70bInBf16DoesNotFitOneRtx5090AndSaysByHowMuch() {
        MemoryPlan p = plan("Llama-3.1-70B", "RTX 5090", 1, WeightPrecision.BF16, KvPrecision.BITS_16);

        assertThat(p.fits()).isFalse();
        assertThat(p.kvTokens()).isZero();
        assertThat(p.reason()).isEqualTo("Llama-3.1-70B in bf16 needs 141 GB of weights; 1x RTX 5090 has 32 GB "
                + "(30.9 GB usable at 90% memory utilization)");
    }

    @Test
    void llama70bInBf16FitsTwoH100sButLeavesLittleKvCache() {
        MemoryPlan p = plan("Llama-3.1-70B", "H100 SXM", 2, WeightPrecision.BF16, KvPrecision.BITS_16);

        // 70.6 GB of weights per GPU out of 77.3 GB usable: the KV cache gets what the workspace
        // and runtime leave, about 16k tokens (vLLM users see the same squeeze on this setup).
        assertThat(p.fits()).isTrue();
        assertThat(p.weightBytesPerGpu()).isEqualTo(141_107_412_992L / 2);
        assertThat(p.kvBytesPerTokenPerGpu()).isEqualTo(327_680L / 2);
        assertThat(p.kvTokens()).isBetween(8_000L, 30_000L);
        assertThat(p.maxSequences(4096)).isBetween(2L, 7L);
    }

    @Test
    void llama70bInBf16HasAMillionKvTokensOnEightH100s() {
        MemoryPlan p = plan("Llama-3.1-70B", "H100 SXM", 8, WeightPrecision.BF16, KvPrecision.BITS_16);

        assertThat(p.fits()).isTrue();
        assertThat(p.kvTokens()).isGreaterThan(1_000_000L);
    }

    @Test
    void llama70bInInt4WithCompressedKvFitsTwoRtx5090sComfortablyAndTwoRtx4090sBarely() {
        MemoryPlan on5090 = plan("Llama-3.1-70B", "RTX 5090", 2, WeightPrecision.INT4, KvPrecision.BITS_3_5);
        MemoryPlan on4090 = plan("Llama-3.1-70B", "RTX 4090", 2, WeightPrecision.INT4, KvPrecision.BITS_3_5);

        assertThat(on5090.fits()).isTrue();
        assertThat(on5090.kvTokens()).isGreaterThan(100_000L);
        // 20.3 GB of int4 weights per 24 GB card leave room for a few thousand tokens only.
        assertThat(on4090.fits()).isTrue();
        assertThat(on4090.kvTokens()).isBetween((long) MemoryPlan.MIN_KV_TOKENS, 20_000L);
    }

    @Test
    void llama8bInBf16FitsAnRtx4090WithTensOfThousandsOfKvTokens() {
        MemoryPlan p = plan("Llama-3.1-8B", "RTX 4090", 1, WeightPrecision.BF16, KvPrecision.BITS_16);

        assertThat(p.fits()).isTrue();
        assertThat(p.kvTokens()).isBetween(20_000L, 60_000L);
        assertThat(p.kvTokens() % 16).isZero();
    }

    @Test
    void llama8bInBf16DoesNotFitATeslaT4ButAnEmbeddingModelDoes() {
        MemoryPlan llama = plan("Llama-3.1-8B", "Tesla T4", 1, WeightPrecision.BF16, KvPrecision.BITS_16);
        MemoryPlan miniLm = plan("all-MiniLM-L6-v2", "Tesla T4", 1, WeightPrecision.BF16, KvPrecision.BITS_16);

        assertThat(llama.fits()).isFalse();
        assertThat(llama.reason()).contains("needs 16.1 GB of weights; 1x Tesla T4 has 16 GB");
        assertThat(miniLm.fits()).isTrue();
    }

    @Test
    void compressingTheKvCacheMultipliesItsTokens() {
        MemoryPlan k16 = plan("Llama-3.1-8B", "L40S", 1, WeightPrecision.BF16, KvPrecision.BITS_16);
        MemoryPlan k2 = plan("Llama-3.1-8B", "L40S", 1, WeightPrecision.BF16, KvPrecision.BITS_2_5);

        assertThat((double) k2.kvTokens() / k16.kvTokens()).isCloseTo(16 / 2.5, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void explainsWhenWeightsFitButNothingIsLeftForTheKvCache() {
        MemoryPlan p = plan("Qwen2.5-7B", "Tesla T4", 1, WeightPrecision.BF16, KvPrecision.BITS_16);

        assertThat(p.fits()).isFalse();
        assertThat(p.reason()).startsWith("Qwen2.5-7B in bf16 on 1x Tesla T4 leaves 0 GB per GPU for the KV cache "
                + "after 15.2 GB of weights").contains("2,048 tokens of 16-bit KV cache need");
    }

    @Test
    void namesThePerGpuShareWhenTensorParallelWeightsDoNotFit() {
        GpuSpec a100_40 = GpuCatalog.defaultCatalog().resolve("A100 SXM4", OptionalDouble.of(40));
        MemoryPlan two = MemoryPlan.plan(models.get("Mixtral-8x7B"), a100_40, 2, WeightPrecision.BF16,
                KvPrecision.BITS_16);
        MemoryPlan four = MemoryPlan.plan(models.get("Mixtral-8x7B"), a100_40, 4, WeightPrecision.BF16,
                KvPrecision.BITS_16);

        assertThat(two.fits()).isFalse();
        assertThat(two.reason()).isEqualTo("Mixtral-8x7B in bf16 needs 93.4 GB of weights (46.7 GB per GPU at "
                + "tensor_parallel 2); 2x A100 SXM4 have 40 GB each (38.7 GB usable at 90% memory utilization)");
        assertThat(four.fits()).isTrue();
    }

    @Test
    void replicatesKvHeadsWhenTensorParallelExceedsThem() {
        MemoryPlan p = plan("Qwen3-30B-A3B", "H100 SXM", 8, WeightPrecision.BF16, KvPrecision.BITS_16);

        // 4 KV heads over 8 GPUs: each GPU holds one head (twice over), not half of one.
        assertThat(p.kvBytesPerTokenPerGpu()).isEqualTo(2L * 48 * 1 * 128 * 2);
    }

    @Test
    void rejectsTensorParallelThatTheHeadsDoNotAllow() {
        assertThatThrownBy(() -> plan("Qwen2.5-7B", "H100 SXM", 8, WeightPrecision.BF16, KvPrecision.BITS_16))
                .isInstanceOf(FlotillaException.class)
                .hasMessage("Qwen2.5-7B cannot run at tensor_parallel 8: its 28 attention heads do not split evenly; "
                        + "accepted for this model: [1, 2, 4]");
        assertThatThrownBy(() -> plan("Llama-3.1-8B", "H100 SXM", 3, WeightPrecision.BF16, KvPrecision.BITS_16))
                .hasMessage("tensor_parallel 3 is not supported; accepted: 1, 2, 4, 8 (GPUs of one machine)");
    }

    @Test
    void rejectsANonPositiveSequenceLength() {
        MemoryPlan p = plan("Llama-3.1-8B", "H100 SXM", 1, WeightPrecision.BF16, KvPrecision.BITS_16);

        assertThatThrownBy(() -> p.maxSequences(0)).hasMessageContaining("got 0");
    }
}
