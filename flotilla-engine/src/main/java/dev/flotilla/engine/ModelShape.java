package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;

/**
 * The shape of a transformer, as far as its cost on a GPU goes: the fields of a Hugging Face
 * {@code config.json} that fix parameter count, FLOPs per token and KV-cache size. Field names in
 * error messages are the {@code config.json} keys, so a user can find the offending line.
 *
 * <p>Dense models have {@code experts = activeExperts = 1} and
 * {@code moeIntermediateSize = intermediateSize}: the single "expert" is the MLP. Mixture-of-experts
 * models have {@code experts} routed experts of width {@code moeIntermediateSize}, of which
 * {@code activeExperts} run per token (Mixtral: 8 of width 14336, top 2; Qwen3-30B-A3B: 128 of
 * width 768, top 8). {@code source} says where the numbers came from (a {@code config.json} URL).
 *
 * <p>Parameter counts follow the Hugging Face modules exactly (Llama-3.1-8B: 8,030,261,248;
 * Qwen3-30B-A3B: 30,532,122,624, of which 3,353,032,704 active), so "needs 141 GB of weights"
 * matches what a download weighs.
 */
public record ModelShape(
        String id,
        ModelFamily family,
        int layers,
        int hiddenSize,
        int attentionHeads,
        int kvHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        int experts,
        int activeExperts,
        int moeIntermediateSize,
        int maxContext,
        boolean tiedEmbeddings,
        String source) {

    public ModelShape {
        requireNonNull(id, "id is null");
        requireNonNull(family, "family is null");
        requireNonNull(source, "source is null");
        if (id.isBlank()) {
            throw invalid("id", "model id is blank");
        }
        positive(id, "num_hidden_layers", layers);
        positive(id, "hidden_size", hiddenSize);
        positive(id, "num_attention_heads", attentionHeads);
        positive(id, "num_key_value_heads", kvHeads);
        positive(id, "head_dim", headDim);
        positive(id, "intermediate_size", intermediateSize);
        positive(id, "vocab_size", vocabSize);
        positive(id, "experts", experts);
        positive(id, "num_experts_per_tok", activeExperts);
        positive(id, "moe_intermediate_size", moeIntermediateSize);
        positive(id, "max_position_embeddings", maxContext);
        if (attentionHeads % kvHeads != 0) {
            throw invalid("num_key_value_heads", id + ": num_key_value_heads " + kvHeads
                    + " does not divide num_attention_heads " + attentionHeads
                    + "; grouped-query attention needs a whole number of query heads per KV head");
        }
        if (!family.explicitHeadDim() && (long) attentionHeads * headDim != hiddenSize) {
            throw invalid("head_dim", id + ": " + family.modelType() + " derives head_dim from hidden_size / "
                    + "num_attention_heads = " + hiddenSize + " / " + attentionHeads + ", but head_dim is " + headDim);
        }
        if (family.moe()) {
            if (experts < 2) {
                throw invalid("experts", id + ": a " + family.modelType() + " model needs at least 2 experts; got "
                        + experts);
            }
            if (activeExperts > experts) {
                throw invalid("num_experts_per_tok", id + ": num_experts_per_tok " + activeExperts
                        + " exceeds the " + experts + " experts");
            }
        } else {
            if (experts != 1 || activeExperts != 1) {
                throw invalid("experts", id + ": a dense " + family.modelType() + " model has 1 expert; got "
                        + experts + " with " + activeExperts + " active");
            }
            if (moeIntermediateSize != intermediateSize) {
                throw invalid("moe_intermediate_size", id + ": a dense model's expert width must equal "
                        + "intermediate_size " + intermediateSize + "; got " + moeIntermediateSize);
            }
        }
    }

    private static void positive(String id, String field, int value) {
        if (value <= 0) {
            throw invalid(field, id + ": " + field + " must be a positive integer; got " + value);
        }
    }

    private static FlotillaException invalid(String field, String message) {
        return new FlotillaException(ErrorCode.INVALID_ARGUMENT, field, message);
    }

    /** True for mixture-of-experts models. */
    public boolean moe() {
        return family.moe();
    }

    /** Width of all query heads together: {@code attentionHeads * headDim}. */
    int queryDim() {
        return attentionHeads * headDim;
    }

    /** Width of all key (or value) heads together: {@code kvHeads * headDim}. */
    int kvDim() {
        return kvHeads * headDim;
    }

    /** Parameters of one layer's attention block: q, k, v, o projections, biases and q/k norms. */
    long attentionParamsPerLayer() {
        long h = hiddenSize;
        long params = h * queryDim() + 2 * h * kvDim() + (long) queryDim() * h;
        if (family == ModelFamily.QWEN2) {
            params += queryDim() + 2L * kvDim();
        } else if (family == ModelFamily.BERT) {
            params += queryDim() + 2L * kvDim() + h;
        }
        if (family == ModelFamily.QWEN3 || family == ModelFamily.QWEN3_MOE) {
            params += 2L * headDim;
        }
        return params;
    }

    /** Parameters of one expert (the whole MLP for dense models). */
    long expertParams() {
        long h = hiddenSize;
        if (family.gatedMlp()) {
            return 3 * h * moeIntermediateSize;
        }
        return 2 * h * intermediateSize + intermediateSize + h;
    }

    /** The router of a MoE layer: one logit per expert. */
    long routerParamsPerLayer() {
        return moe() ? (long) hiddenSize * experts : 0;
    }

    /** Layer norms of one layer: two RMSNorm weights, or two LayerNorms with biases for BERT. */
    long normParamsPerLayer() {
        return family == ModelFamily.BERT ? 4L * hiddenSize : 2L * hiddenSize;
    }

    /**
     * The token embedding (plus BERT's position and token-type embeddings and embedding norm):
     * looked up, not multiplied, and kept in 16 bits by quantized checkpoints.
     */
    long embeddingParams() {
        long p = (long) vocabSize * hiddenSize;
        if (family == ModelFamily.BERT) {
            p += (long) maxContext * hiddenSize + 2L * hiddenSize + 2L * hiddenSize;
        }
        return p;
    }

    /** The LM head's own matrix: zero when tied to the embedding, and for encoders. */
    long lmHeadParams() {
        return family.decoder() && !tiedEmbeddings ? (long) vocabSize * hiddenSize : 0;
    }

    /** The final norm of a decoder, or BERT's pooler. */
    long finalParams() {
        return family == ModelFamily.BERT ? (long) hiddenSize * hiddenSize + hiddenSize : hiddenSize;
    }

    private long perLayer(int expertsCounted) {
        return attentionParamsPerLayer() + expertsCounted * expertParams() + routerParamsPerLayer()
                + normParamsPerLayer();
    }

    /** All parameters, as the checkpoint stores them (tied embeddings counted once). */
    public long totalParams() {
        return layers * perLayer(experts) + embeddingParams() + lmHeadParams() + finalParams();
    }

    /**
     * Parameters a token touches, embedding included, in the convention of MoE model names
     * ("A3B": Qwen3-30B-A3B activates 3.3B): the dense parts plus {@code activeExperts} experts per
     * layer. Equals {@link #totalParams()} for dense models.
     */
    public long activeParamsPerToken() {
        return layers * perLayer(activeExperts) + embeddingParams() + lmHeadParams() + finalParams();
    }

    /**
     * Bytes of weights at {@code precision}: quantized matrices at its bits per weight, the
     * embedding and LM head at 16 bits (quantized checkpoints keep them so).
     */
    public long weightBytes(WeightPrecision precision) {
        long unquantized = embeddingParams() + lmHeadParams();
        long quantized = totalParams() - unquantized;
        return (long) Math.ceil(quantized * precision.bitsPerWeight() / 8.0) + 2 * unquantized;
    }

    /** KV-cache bytes per token: {@code 2 (K and V) * layers * kvHeads * headDim * bits / 8}. */
    public long kvBytesPerToken(KvPrecision kv) {
        requireNonNull(kv, "kv is null");
        return (long) Math.ceil(2.0 * layers * kvHeads * headDim * kv.bitsPerChannel() / 8.0);
    }
}
