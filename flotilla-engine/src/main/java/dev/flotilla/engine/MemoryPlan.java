package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.gpu.GpuSpec;
import java.util.Locale;

/**
 * Where each GPU's memory goes when a model server starts, following vLLM's accounting: of the
 * GPU's memory, a fraction {@value #GPU_MEMORY_UTILIZATION} (vLLM's default
 * {@code gpu_memory_utilization}) is the budget; weights, the activation workspace measured by a
 * profiling forward pass and the runtime's own allocations come out of it, and what is left
 * becomes the KV cache.
 *
 * <pre>
 * usable    = memoryGb * 2^30 * 0.90
 * weights   = ModelShape.weightBytes(precision) / tensorParallel      (embeddings and LM head sharded too)
 * workspace = max(1 GiB, budget * (2h + qkv/tp + 3 * mlp/tp) * 2 B + maxSeqs * vocab/tp * 4 B)
 *             (vLLM's profiling pass: one step of the server's token budget through the widest
 *              layer, plus FP32 logits of its most sequences; {@link SchedulerLimits#server})
 * overhead  = 0.75 GiB (CUDA context, cuBLAS workspace, CUDA graphs)
 *           + 0.25 GiB when tensorParallel > 1 (NCCL buffers)
 *           + 2% of the GPU's memory (allocator fragmentation)
 * kvTokens  = floor((usable - weights - workspace - overhead) / kvBytesPerTokenPerGpu), in blocks of 16
 * </pre>
 *
 * GPU memory sizes in the catalog are the boards' marketing figures, which for NVIDIA boards are
 * binary: an "80 GB" H100 reports 81,559 MiB, a "32 GB" RTX 5090 32,607 MiB. So {@code memoryGb}
 * is read as GiB, while model sizes in messages are decimal GB (Llama-3.1-70B: 141 GB), the way
 * model cards state them.
 *
 * <p>A decoder fits when its KV cache holds at least {@value #MIN_KV_TOKENS} tokens (one prefill
 * chunk); an encoder needs no KV cache. {@code reason} is empty when it fits and otherwise names
 * the numbers: "Llama-3.1-70B in bf16 needs 141 GB of weights; 1x RTX 5090 has 32 GB (30.9 GB
 * usable at 90% memory utilization)".
 */
public record MemoryPlan(
        Deployment deployment,
        boolean fits,
        long usableBytesPerGpu,
        long weightBytesPerGpu,
        long workspaceBytes,
        long overheadBytes,
        long kvBytesPerTokenPerGpu,
        long kvTokens,
        String reason) {

    /** vLLM's default {@code gpu_memory_utilization}. */
    public static final double GPU_MEMORY_UTILIZATION = 0.90;
    /** Fewest KV-cache tokens for a decoder to count as fitting: one prefill chunk. */
    public static final int MIN_KV_TOKENS = 2048;

    static final long GIB = 1L << 30;
    private static final int BLOCK_TOKENS = 16;

    public MemoryPlan {
        requireNonNull(deployment, "deployment is null");
        requireNonNull(reason, "reason is null");
        if (fits != reason.isEmpty()) {
            throw new IllegalArgumentException("a plan has a reason exactly when it does not fit");
        }
        if (kvTokens < 0 || weightBytesPerGpu < 0 || workspaceBytes < 0 || overheadBytes < 0) {
            throw new IllegalArgumentException("memory plan sizes must be non-negative");
        }
    }

    /** Plans {@code model} on {@code tensorParallel} GPUs of type {@code gpu}. */
    public static MemoryPlan plan(ModelShape model, GpuSpec gpu, int tensorParallel, WeightPrecision weights,
            KvPrecision kv) {
        return of(new Deployment(model, gpu, tensorParallel, weights, kv));
    }

    /** Plans a deployment. */
    public static MemoryPlan of(Deployment d) {
        ModelShape m = d.model();
        int tp = d.tensorParallel();
        long usable = (long) (d.gpu().memoryGb() * GIB * GPU_MEMORY_UTILIZATION);
        long weightsTotal = m.weightBytes(d.weights());
        long weights = ceilDiv(weightsTotal, tp);
        long workspace = workspaceBytes(d);
        long overhead = (long) (0.75 * GIB) + (tp > 1 ? GIB / 4 : 0) + (long) (0.02 * d.gpu().memoryGb() * GIB);
        long kvPerToken = d.kvBytesPerTokenPerGpu();
        long free = usable - weights - workspace - overhead;
        long kvTokens = free <= 0 ? 0 : free / kvPerToken / BLOCK_TOKENS * BLOCK_TOKENS;
        String reason = "";
        if (weights > usable) {
            reason = String.format(Locale.ROOT, "%s in %s needs %s GB of weights%s; %s %s %s GB%s (%s GB usable at "
                            + "%d%% memory utilization)",
                    m.id(), d.weights().label(), gb(weightsTotal),
                    tp > 1 ? " (" + gb(weights) + " GB per GPU at tensor_parallel " + tp + ")" : "",
                    d.hardware(), tp > 1 ? "have" : "has", number(d.gpu().memoryGb()), tp > 1 ? " each" : "",
                    gb(usable), Math.round(GPU_MEMORY_UTILIZATION * 100));
        } else if (free <= 0 || (m.family().decoder() && kvTokens < MIN_KV_TOKENS)) {
            reason = String.format(Locale.ROOT,
                    "%s in %s on %s leaves %s GB per GPU for the KV cache after %s GB of weights, %s GB of "
                            + "activation workspace and %s GB of runtime overhead (of %s GB usable)%s",
                    m.id(), d.weights().label(), d.hardware(), gb(Math.max(0, free)), gb(weights), gb(workspace),
                    gb(overhead), gb(usable), m.family().decoder()
                            ? String.format(Locale.ROOT, "; %,d tokens of %s KV cache need %s GB", MIN_KV_TOKENS,
                                    d.kv().label(), gb(MIN_KV_TOKENS * kvPerToken))
                            : "");
        }
        return new MemoryPlan(d, reason.isEmpty(), usable, weights, workspace, overhead, kvPerToken, kvTokens, reason);
    }

    /**
     * Activation peak of vLLM's profiling pass: a step of the full token budget through the
     * widest layer (residual, attention input and output, gate/up and down activations in 16
     * bits) plus the FP32 logits of the most sequences, with a 1 GiB floor for the allocator's
     * working set.
     */
    private static long workspaceBytes(Deployment d) {
        ModelShape m = d.model();
        int tp = d.tensorParallel();
        SchedulerLimits limits = SchedulerLimits.server(d.gpu());
        long qkv = (m.attentionHeads() / tp + 2L * d.kvHeadsPerGpu()) * m.headDim();
        long mlp = m.moe() ? (long) m.activeExperts() * m.moeIntermediateSize() / tp : m.intermediateSize() / tp;
        long perToken = 2L * (2L * m.hiddenSize() + qkv + 3 * mlp);
        long logits = (long) limits.maxSequences() * m.vocabSize() * 4 / tp;
        return Math.max(GIB, limits.tokenBudget() * perToken + logits);
    }

    /** Sequences of {@code seqLen} tokens the KV cache holds at once. */
    public long maxSequences(int seqLen) {
        if (seqLen <= 0) {
            throw new FlotillaException(ErrorCode.INVALID_ARGUMENT, "seq_len",
                    "sequence length must be a positive number of tokens; got " + seqLen);
        }
        return kvTokens / seqLen;
    }

    /** Bytes per GPU left for the KV cache. */
    public long kvBytesPerGpu() {
        return kvTokens * kvBytesPerTokenPerGpu;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Decimal gigabytes, three significant figures: {@code 141}, {@code 30.9}, {@code 0.27}. */
    static String gb(long bytes) {
        return number(bytes / 1e9);
    }

    private static String number(double v) {
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v).replace(".0", "");
        }
        return String.format(Locale.ROOT, "%.2f", v).replaceFirst("\\.?0+$", "");
    }
}
