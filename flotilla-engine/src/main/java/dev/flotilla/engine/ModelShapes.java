package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a model's shape from its Hugging Face {@code config.json}, already parsed into a map (a
 * JSON object as nested maps, lists, numbers, strings and booleans; this module parses no JSON).
 *
 * <p>The family comes from {@code model_type}, or from {@code architectures[0]} when
 * {@code model_type} is absent. Defaults are those of the transformers config classes:
 * {@code num_key_value_heads} defaults to {@code num_attention_heads}, {@code head_dim} to
 * {@code hidden_size / num_attention_heads}, and {@code tie_word_embeddings} to false for the
 * decoders. Mixtral's experts are {@code num_local_experts} of width {@code intermediate_size};
 * Qwen3-MoE's are {@code num_experts} of width {@code moe_intermediate_size}. Qwen3-MoE configs
 * that interleave dense layers ({@code mlp_only_layers}, {@code decoder_sparse_step > 1}) are
 * rejected rather than mis-counted.
 *
 * <pre>{@code
 * ModelShape shape = ModelShapes.fromConfig("my-llama", Map.of(
 *         "model_type", "llama", "num_hidden_layers", 32, "hidden_size", 4096,
 *         "num_attention_heads", 32, "num_key_value_heads", 8, "intermediate_size", 14336,
 *         "vocab_size", 128256, "max_position_embeddings", 131072));
 * }</pre>
 */
public final class ModelShapes {
    private ModelShapes() {}

    /** Reads {@code config}; {@code source} of the result is {@code "config.json"}. */
    public static ModelShape fromConfig(String id, Map<String, Object> config) {
        return fromConfig(id, config, "config.json");
    }

    /** Reads {@code config}, recording {@code source} (e.g. the config.json URL) on the shape. */
    public static ModelShape fromConfig(String id, Map<String, Object> config, String source) {
        requireNonNull(id, "id is null");
        requireNonNull(config, "config is null");
        requireNonNull(source, "source is null");
        ModelFamily family = family(config);
        int layers = required(config, "num_hidden_layers");
        int hidden = required(config, "hidden_size");
        int heads = required(config, "num_attention_heads");
        int kvHeads = optional(config, "num_key_value_heads").orElse(heads);
        int headDim;
        Optional<Integer> explicit = family.explicitHeadDim() ? optional(config, "head_dim") : Optional.empty();
        if (explicit.isPresent()) {
            headDim = explicit.get();
        } else {
            if (heads <= 0 || hidden % heads != 0) {
                throw invalid("hidden_size", id + ": hidden_size " + hidden + " is not divisible by "
                        + "num_attention_heads " + heads + ", and the config gives no head_dim");
            }
            headDim = hidden / heads;
        }
        int intermediate = required(config, "intermediate_size");
        int vocab = required(config, "vocab_size");
        int maxContext = required(config, "max_position_embeddings");
        boolean tied = bool(config, "tie_word_embeddings").orElse(family == ModelFamily.BERT);
        int experts = 1;
        int active = 1;
        int expertWidth = intermediate;
        switch (family) {
            case MIXTRAL -> {
                experts = required(config, "num_local_experts");
                active = required(config, "num_experts_per_tok");
            }
            case QWEN3_MOE -> {
                experts = required(config, "num_experts");
                active = required(config, "num_experts_per_tok");
                expertWidth = required(config, "moe_intermediate_size");
                Object denseLayers = config.get("mlp_only_layers");
                if (denseLayers instanceof List<?> list && !list.isEmpty()) {
                    throw invalid("mlp_only_layers", id + ": mlp_only_layers " + list
                            + " mixes dense layers into the MoE stack, which the engine model does not represent; "
                            + "accepted: an empty list");
                }
                int sparseStep = optional(config, "decoder_sparse_step").orElse(1);
                if (sparseStep != 1) {
                    throw invalid("decoder_sparse_step", id + ": decoder_sparse_step " + sparseStep
                            + " makes only some layers MoE, which the engine model does not represent; accepted: 1");
                }
            }
            default -> { }
        }
        return new ModelShape(id, family, layers, hidden, heads, kvHeads, headDim, intermediate, vocab, experts,
                active, expertWidth, maxContext, tied, source);
    }

    private static ModelFamily family(Map<String, Object> config) {
        Object modelType = config.get("model_type");
        if (modelType != null) {
            if (!(modelType instanceof String s)) {
                throw invalid("model_type", "model_type must be a string; got " + modelType);
            }
            return ModelFamily.byModelType(s).orElseThrow(() -> invalid("model_type",
                    "model_type '" + s + "' is not supported; supported: " + String.join(", ", ModelFamily.modelTypes())));
        }
        Object architectures = config.get("architectures");
        if (architectures instanceof List<?> list && !list.isEmpty() && list.getFirst() instanceof String arch) {
            return ModelFamily.byArchitecture(arch).orElseThrow(() -> invalid("architectures",
                    "architecture '" + arch + "' is not supported; supported model_type: "
                            + String.join(", ", ModelFamily.modelTypes())));
        }
        throw invalid("model_type", "config has neither model_type nor architectures; supported model_type: "
                + String.join(", ", ModelFamily.modelTypes()));
    }

    private static int required(Map<String, Object> config, String key) {
        return optional(config, key).orElseThrow(() -> invalid(key, "config.json is missing required field '"
                + key + "'"));
    }

    private static Optional<Integer> optional(Map<String, Object> config, String key) {
        Object v = config.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Number n)) {
            throw invalid(key, "field '" + key + "' must be a whole number; got " + describe(v));
        }
        double d = n.doubleValue();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw invalid(key, "field '" + key + "' must be a whole number; got " + n);
        }
        return Optional.of((int) d);
    }

    private static Optional<Boolean> bool(Map<String, Object> config, String key) {
        Object v = config.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Boolean b)) {
            throw invalid(key, "field '" + key + "' must be true or false; got " + describe(v));
        }
        return Optional.of(b);
    }

    private static String describe(Object v) {
        return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }

    private static FlotillaException invalid(String field, String message) {
        return new FlotillaException(ErrorCode.INVALID_ARGUMENT, field, message);
    }
}
