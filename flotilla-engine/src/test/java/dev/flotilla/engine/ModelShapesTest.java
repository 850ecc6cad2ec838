package dev.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelShapesTest {

    /** meta-llama/Llama-3.1-8B config.json, the fields that matter plus a few that do not. */
    static Map<String, Object> llama31_8b() {
        Map<String, Object> c = new HashMap<>();
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("model_type", "llama");
        c.put("num_hidden_layers", 32);
        c.put("hidden_size", 4096);
        c.put("num_attention_heads", 32);
        c.put("num_key_value_heads", 8);
        c.put("intermediate_size", 14336);
        c.put("vocab_size", 128256);
        c.put("max_position_embeddings", 131072);
        c.put("tie_word_embeddings", false);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_scaling", Map.of("factor", 8.0, "rope_type", "llama3"));
        c.put("torch_dtype", "bfloat16");
        return c;
    }

    @Test
    void readsLlamaConfigIntoTheCatalogShape() {
        ModelShape shape = ModelShapes.fromConfig("Llama-3.1-8B", llama31_8b());

        ModelShape catalog = ModelCatalog.defaultCatalog().get("Llama-3.1-8B");
        assertThat(shape).usingRecursiveComparison().ignoringFields("source").isEqualTo(catalog);
        assertThat(shape.headDim()).isEqualTo(128);
        assertThat(shape.totalParams()).isEqualTo(8_030_261_248L);
        assertThat(shape.source()).isEqualTo("config.json");
    }

    @Test
    void readsMistralConfigWhoseHeadDimIsImplied() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("model_type", "mistral");
        c.put("architectures", List.of("MistralForCausalLM"));
        c.put("vocab_size", 32768);
        c.put("max_position_embeddings", 32768);
        c.put("head_dim", null);

        ModelShape shape = ModelShapes.fromConfig("Mistral-7B-v0.3", c);

        assertThat(shape.family()).isEqualTo(ModelFamily.MISTRAL);
        assertThat(shape.headDim()).isEqualTo(128);
        assertThat(shape.totalParams()).isEqualTo(7_248_023_552L);
    }

    @Test
    void readsQwen2WithAttentionBiases() {
        Map<String, Object> c = new HashMap<>();
        c.put("model_type", "qwen2");
        c.put("num_hidden_layers", 28);
        c.put("hidden_size", 3584);
        c.put("num_attention_heads", 28);
        c.put("num_key_value_heads", 4);
        c.put("intermediate_size", 18944);
        c.put("vocab_size", 152064);
        c.put("max_position_embeddings", 131072);
        c.put("tie_word_embeddings", false);

        ModelShape shape = ModelShapes.fromConfig("Qwen2.5-7B", c);

        assertThat(shape.headDim()).isEqualTo(128);
        assertThat(shape.totalParams()).isEqualTo(7_615_616_512L); // 7.61B on the model card
        assertThat(shape.kvBytesPerToken(KvPrecision.BITS_16)).isEqualTo(2L * 28 * 4 * 128 * 2);
    }

    @Test
    void readsQwen3DenseWithAHeadDimWiderThanHiddenOverHeads() {
        Map<String, Object> c = new HashMap<>();
        c.put("model_type", "qwen3");
        c.put("num_hidden_layers", 28);
        c.put("hidden_size", 1024);
        c.put("num_attention_heads", 16);
        c.put("num_key_value_heads", 8);
        c.put("head_dim", 128);
        c.put("intermediate_size", 3072);
        c.put("vocab_size", 151936);
        c.put("max_position_embeddings", 40960);
        c.put("tie_word_embeddings", true);

        ModelShape shape = ModelShapes.fromConfig("Qwen3-0.6B", c);

        assertThat(shape.headDim()).isEqualTo(128);
        assertThat(shape.tiedEmbeddings()).isTrue();
        // Qwen3-0.6B: 0.6B parameters, 0.44B of them outside the (tied) embedding.
        assertThat(shape.totalParams()).isEqualTo(596_049_920L);
    }

    @Test
    void readsMixtralExpertsFromNumLocalExperts() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("model_type", "mixtral");
        c.put("vocab_size", 32000);
        c.put("max_position_embeddings", 32768);
        c.put("num_local_experts", 8);
        c.put("num_experts_per_tok", 2);

        ModelShape shape = ModelShapes.fromConfig("Mixtral-8x7B", c);

        assertThat(shape.experts()).isEqualTo(8);
        assertThat(shape.activeExperts()).isEqualTo(2);
        assertThat(shape.moeIntermediateSize()).isEqualTo(14336);
        assertThat(shape.totalParams()).isEqualTo(46_702_792_704L);          // "46.7B"
        assertThat(shape.activeParamsPerToken()).isEqualTo(12_879_925_248L); // "12.9B active"
    }

    @Test
    void readsQwen3MoeExpertsAndTheirOwnWidth() {
        Map<String, Object> c = new HashMap<>();
        c.put("architectures", List.of("Qwen3MoeForCausalLM"));
        c.put("model_type", "qwen3_moe");
        c.put("num_hidden_layers", 48);
        c.put("hidden_size", 2048);
        c.put("num_attention_heads", 32);
        c.put("num_key_value_heads", 4);
        c.put("head_dim", 128);
        c.put("intermediate_size", 6144);
        c.put("moe_intermediate_size", 768);
        c.put("num_experts", 128);
        c.put("num_experts_per_tok", 8);
        c.put("decoder_sparse_step", 1);
        c.put("mlp_only_layers", List.of());
        c.put("vocab_size", 151936);
        c.put("max_position_embeddings", 40960);
        c.put("tie_word_embeddings", false);

        ModelShape shape = ModelShapes.fromConfig("Qwen3-30B-A3B", c);

        assertThat(shape).usingRecursiveComparison().ignoringFields("source")
                .isEqualTo(ModelCatalog.defaultCatalog().get("Qwen3-30B-A3B"));
        assertThat(shape.totalParams()).isEqualTo(30_532_122_624L);         // "30.5B"
        assertThat(shape.activeParamsPerToken()).isEqualTo(3_353_032_704L); // "A3B": 3.3B activated
    }

    @Test
    void readsBertForTheMiniLmEmbeddingModel() {
        Map<String, Object> c = new HashMap<>();
        c.put("architectures", List.of("BertModel"));
        c.put("model_type", "bert");
        c.put("num_hidden_layers", 6);
        c.put("hidden_size", 384);
        c.put("num_attention_heads", 12);
        c.put("intermediate_size", 1536);
        c.put("vocab_size", 30522);
        c.put("max_position_embeddings", 512);
        c.put("type_vocab_size", 2);

        ModelShape shape = ModelShapes.fromConfig("all-MiniLM-L6-v2", c);

        assertThat(shape.family().decoder()).isFalse();
        assertThat(shape.kvHeads()).isEqualTo(12);
        assertThat(shape.headDim()).isEqualTo(32);
        assertThat(shape.totalParams()).isEqualTo(22_713_216L); // 22.7M
    }

    @Test
    void takesTheFamilyFromArchitecturesWhenModelTypeIsMissing() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.remove("model_type");

        assertThat(ModelShapes.fromConfig("x", c).family()).isEqualTo(ModelFamily.LLAMA);
    }

    @Test
    void defaultsKvHeadsToAttentionHeadsLikeTransformers() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.remove("num_key_value_heads");

        assertThat(ModelShapes.fromConfig("mha", c).kvHeads()).isEqualTo(32);
    }

    @Test
    void acceptsWholeNumbersWrittenAsDoubles() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("hidden_size", 4096.0);

        assertThat(ModelShapes.fromConfig("x", c).hiddenSize()).isEqualTo(4096);
    }

    @Test
    void rejectsAnUnsupportedModelTypeListingTheSupportedOnes() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("model_type", "gpt2");

        assertThatThrownBy(() -> ModelShapes.fromConfig("gpt2", c))
                .isInstanceOfSatisfying(FlotillaException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.field()).contains("model_type");
                })
                .hasMessage("model_type 'gpt2' is not supported; supported: llama, mistral, qwen2, qwen3, mixtral, "
                        + "qwen3_moe, bert");
    }

    @Test
    void rejectsAnUnsupportedArchitectureWhenThereIsNoModelType() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.remove("model_type");
        c.put("architectures", List.of("GPT2LMHeadModel"));

        assertThatThrownBy(() -> ModelShapes.fromConfig("gpt2", c))
                .hasMessageContaining("GPT2LMHeadModel")
                .hasMessageContaining("llama, mistral");
    }

    @Test
    void rejectsAMissingRequiredFieldNamingIt() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.remove("intermediate_size");

        assertThatThrownBy(() -> ModelShapes.fromConfig("x", c))
                .isInstanceOfSatisfying(FlotillaException.class,
                        e -> assertThat(e.field()).contains("intermediate_size"))
                .hasMessage("config.json is missing required field 'intermediate_size'");
    }

    @Test
    void rejectsMixtralWithoutItsExpertCount() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("model_type", "mixtral");
        c.put("num_experts_per_tok", 2);

        assertThatThrownBy(() -> ModelShapes.fromConfig("x", c)).hasMessageContaining("'num_local_experts'");
    }

    @Test
    void rejectsATextWhereANumberBelongsQuotingIt() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("hidden_size", "4096");

        assertThatThrownBy(() -> ModelShapes.fromConfig("x", c))
                .hasMessage("field 'hidden_size' must be a whole number; got \"4096\"");
    }

    @Test
    void rejectsAFractionalLayerCount() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("num_hidden_layers", 31.5);

        assertThatThrownBy(() -> ModelShapes.fromConfig("x", c)).hasMessageContaining("31.5");
    }

    @Test
    void rejectsAHiddenSizeThatHeadsDoNotDivide() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("model_type", "qwen2");
        c.put("hidden_size", 4100);

        assertThatThrownBy(() -> ModelShapes.fromConfig("odd", c))
                .hasMessageContaining("hidden_size 4100 is not divisible by num_attention_heads 32");
    }

    @Test
    void rejectsQwen3MoeWithInterleavedDenseLayers() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("model_type", "qwen3_moe");
        c.put("num_experts", 128);
        c.put("num_experts_per_tok", 8);
        c.put("moe_intermediate_size", 768);
        c.put("mlp_only_layers", List.of(0, 1));

        assertThatThrownBy(() -> ModelShapes.fromConfig("x", c)).hasMessageContaining("mlp_only_layers [0, 1]");
    }

    @Test
    void rejectsKvHeadsThatDoNotDivideTheHeads() {
        Map<String, Object> c = new HashMap<>(llama31_8b());
        c.put("num_key_value_heads", 5);

        assertThatThrownBy(() -> ModelShapes.fromConfig("x", c))
                .hasMessageContaining("num_key_value_heads 5 does not divide num_attention_heads 32");
    }
}
