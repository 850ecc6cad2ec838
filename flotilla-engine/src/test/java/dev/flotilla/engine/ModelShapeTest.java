package dev.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.FlotillaException;
import org.junit.jupiter.api.Test;

class ModelShapeTest {
    private final ModelCatalog catalog = ModelCatalog.defaultCatalog();

    private static ModelShape llama(int layers, int hidden, int heads, int kvHeads, int headDim) {
        return new ModelShape("test", ModelFamily.LLAMA, layers, hidden, heads, kvHeads, headDim, 14336, 128256, 1, 1,
                14336, 8192, false, "test");
    }

    @Test
    void kvCacheOfLlama31_8bIs128KiBPerTokenAt16Bits() {
        ModelShape m = catalog.get("Llama-3.1-8B");

        assertThat(m.kvBytesPerToken(KvPrecision.BITS_16)).isEqualTo(131_072L);
        assertThat(m.kvBytesPerToken(KvPrecision.BITS_8)).isEqualTo(65_536L);
        assertThat(m.kvBytesPerToken(KvPrecision.BITS_3_5)).isEqualTo(28_672L);
        assertThat(m.kvBytesPerToken(KvPrecision.BITS_2_5)).isEqualTo(20_480L);
    }

    @Test
    void llama2HasFourTimesTheKvCacheOfLlama3BecauseItHasNoGroupedQueries() {
        assertThat(catalog.get("Llama-2-7b").kvBytesPerToken(KvPrecision.BITS_16))
                .isEqualTo(4 * catalog.get("Meta-Llama-3-8B").kvBytesPerToken(KvPrecision.BITS_16));
    }

    @Test
    void weightsOf70bInBf16Are141Gb() {
        assertThat(catalog.get("Llama-3.1-70B").weightBytes(WeightPrecision.BF16)).isEqualTo(141_107_412_992L);
    }

    @Test
    void int4KeepsEmbeddingsAndHeadIn16Bits() {
        ModelShape m = catalog.get("Llama-3.1-70B");
        long embedAndHead = 2L * 128256 * 8192;
        long rest = m.totalParams() - embedAndHead;

        assertThat(m.weightBytes(WeightPrecision.INT4))
                .isEqualTo((long) Math.ceil(rest * 4.25 / 8) + 2 * embedAndHead);
    }

    @Test
    void denseModelsActivateEveryParameter() {
        ModelShape m = catalog.get("Llama-3.1-405B");

        assertThat(m.activeParamsPerToken()).isEqualTo(m.totalParams());
        assertThat(m.totalParams()).isBetween(405_000_000_000L, 406_000_000_000L);
    }

    @Test
    void rejectsKvHeadsThatDoNotDivideTheHeads() {
        assertThatThrownBy(() -> llama(32, 4096, 32, 6, 128))
                .isInstanceOf(FlotillaException.class)
                .hasMessageContaining("num_key_value_heads 6 does not divide num_attention_heads 32");
    }

    @Test
    void rejectsNonPositiveValuesNamingTheField() {
        assertThatThrownBy(() -> llama(0, 4096, 32, 8, 128))
                .hasMessage("test: num_hidden_layers must be a positive integer; got 0");
    }

    @Test
    void rejectsAHeadDimContradictingTheHiddenSizeWhereTheFamilyImpliesIt() {
        assertThatThrownBy(() -> new ModelShape("q", ModelFamily.QWEN2, 28, 3584, 28, 4, 64, 18944, 152064, 1, 1,
                18944, 32768, false, "test"))
                .hasMessageContaining("qwen2 derives head_dim from hidden_size / num_attention_heads = 3584 / 28");
    }

    @Test
    void rejectsExpertsOnADenseFamilyAndTooManyActiveExperts() {
        assertThatThrownBy(() -> new ModelShape("d", ModelFamily.LLAMA, 32, 4096, 32, 8, 128, 14336, 128256, 8, 2,
                14336, 8192, false, "test"))
                .hasMessageContaining("a dense llama model has 1 expert");
        assertThatThrownBy(() -> new ModelShape("m", ModelFamily.MIXTRAL, 32, 4096, 32, 8, 128, 14336, 32000, 8, 9,
                14336, 32768, false, "test"))
                .hasMessageContaining("num_experts_per_tok 9 exceeds the 8 experts");
    }
}
