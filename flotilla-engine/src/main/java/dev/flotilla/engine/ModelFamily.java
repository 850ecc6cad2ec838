package dev.flotilla.engine;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The Hugging Face architectures the engine model understands. Each family fixes the few layout
 * facts a {@code config.json} does not spell out: whether the MLP is gated (SwiGLU: gate, up and
 * down projections) or plain (BERT: up and down), whether attention projections carry biases,
 * whether {@code head_dim} may be set independently of {@code hidden_size / num_attention_heads},
 * and whether the model decodes at all (BERT is an encoder: it has no KV cache to grow).
 */
public enum ModelFamily {
    LLAMA("llama", "LlamaForCausalLM", false, true, true, false),
    MISTRAL("mistral", "MistralForCausalLM", false, true, true, false),
    QWEN2("qwen2", "Qwen2ForCausalLM", false, true, false, true),
    QWEN3("qwen3", "Qwen3ForCausalLM", false, true, true, false),
    MIXTRAL("mixtral", "MixtralForCausalLM", true, true, true, false),
    QWEN3_MOE("qwen3_moe", "Qwen3MoeForCausalLM", true, true, true, false),
    BERT("bert", "BertModel", false, false, false, true);

    private final String modelType;
    private final String architecture;
    private final boolean moe;
    private final boolean decoder;
    private final boolean explicitHeadDim;
    private final boolean attentionBias;

    ModelFamily(String modelType, String architecture, boolean moe, boolean decoder, boolean explicitHeadDim,
            boolean attentionBias) {
        this.modelType = modelType;
        this.architecture = architecture;
        this.moe = moe;
        this.decoder = decoder;
        this.explicitHeadDim = explicitHeadDim;
        this.attentionBias = attentionBias;
    }

    /** The {@code model_type} of {@code config.json}, e.g. {@code qwen3_moe}. */
    public String modelType() {
        return modelType;
    }

    /** The usual {@code architectures[0]} entry, e.g. {@code LlamaForCausalLM}. */
    public String architecture() {
        return architecture;
    }

    /** True for mixture-of-experts families, whose MLP is {@code experts} routed experts. */
    public boolean moe() {
        return moe;
    }

    /** False for encoders (BERT): they run one forward pass per request and never decode. */
    public boolean decoder() {
        return decoder;
    }

    /**
     * True where {@code config.json} may carry a {@code head_dim} that differs from
     * {@code hidden_size / num_attention_heads} (Qwen3-30B-A3B: 32 heads of 128 on a 2048-wide
     * residual stream). Qwen2 and BERT derive the head size from the hidden size.
     */
    public boolean explicitHeadDim() {
        return explicitHeadDim;
    }

    /** True where the attention projections carry biases (Qwen2: q, k and v; BERT: all four). */
    public boolean attentionBias() {
        return attentionBias;
    }

    /** SwiGLU MLPs have three matrices (gate, up, down); BERT's GELU MLP has two. */
    public boolean gatedMlp() {
        return decoder;
    }

    /** The family of a {@code model_type}, case-insensitively. */
    public static Optional<ModelFamily> byModelType(String modelType) {
        String key = modelType.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(f -> f.modelType.equals(key)).findFirst();
    }

    /** The family of an {@code architectures[]} entry; any {@code Bert*} head counts as BERT. */
    public static Optional<ModelFamily> byArchitecture(String architecture) {
        String key = architecture.trim();
        if (key.startsWith("Bert")) {
            return Optional.of(BERT);
        }
        return Arrays.stream(values()).filter(f -> f.architecture.equals(key)).findFirst();
    }

    /** The accepted {@code model_type} values, for error messages. */
    public static List<String> modelTypes() {
        return Arrays.stream(values()).map(ModelFamily::modelType).toList();
    }
}
