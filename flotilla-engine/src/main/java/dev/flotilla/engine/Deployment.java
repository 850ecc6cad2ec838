package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.gpu.GpuSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * One model server: a model at a weight and KV precision, tensor-parallel over
 * {@code tensorParallel} GPUs of one type (Megatron-style: attention heads and MLP columns split
 * across the GPUs, two all-reduces per layer).
 *
 * <p>Tensor parallelism must be 1, 2, 4 or 8 (one node) and divide the attention heads, the MLP
 * width and the expert width. KV heads are split when {@code tensorParallel} divides them and
 * replicated when {@code tensorParallel} is a multiple of them (as vLLM does: Llama-3.1-8B's 8 KV
 * heads at TP 8 give one per GPU; Qwen3-30B-A3B's 4 at TP 8 give each GPU one head, held twice).
 */
public record Deployment(ModelShape model, GpuSpec gpu, int tensorParallel, WeightPrecision weights, KvPrecision kv) {
    private static final List<Integer> TENSOR_PARALLEL = List.of(1, 2, 4, 8);

    public Deployment {
        requireNonNull(model, "model is null");
        requireNonNull(gpu, "gpu is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(kv, "kv is null");
        if (!TENSOR_PARALLEL.contains(tensorParallel)) {
            throw new FlotillaException(ErrorCode.INVALID_ARGUMENT, "tensor_parallel", "tensor_parallel "
                    + tensorParallel + " is not supported; accepted: 1, 2, 4, 8 (GPUs of one machine)");
        }
        String why = whyNot(model, tensorParallel);
        if (!why.isEmpty()) {
            throw new FlotillaException(ErrorCode.INVALID_ARGUMENT, "tensor_parallel", model.id() + " cannot run at "
                    + "tensor_parallel " + tensorParallel + ": " + why + "; accepted for this model: "
                    + validTensorParallel(model));
        }
    }

    /** The tensor-parallel degrees this model accepts (a subset of 1, 2, 4, 8). */
    public static List<Integer> validTensorParallel(ModelShape model) {
        List<Integer> ok = new ArrayList<>();
        for (int tp : TENSOR_PARALLEL) {
            if (whyNot(model, tp).isEmpty()) {
                ok.add(tp);
            }
        }
        return List.copyOf(ok);
    }

    private static String whyNot(ModelShape m, int tp) {
        if (m.attentionHeads() % tp != 0) {
            return "its " + m.attentionHeads() + " attention heads do not split evenly";
        }
        if (m.kvHeads() % tp != 0 && tp % m.kvHeads() != 0) {
            return "its " + m.kvHeads() + " KV heads can be neither split nor replicated evenly";
        }
        if (m.intermediateSize() % tp != 0 || m.moeIntermediateSize() % tp != 0) {
            return "its MLP width " + m.moeIntermediateSize() + " does not split evenly";
        }
        return "";
    }

    /** KV heads each GPU holds: split when possible, else one replicated head. */
    int kvHeadsPerGpu() {
        return Math.max(1, model.kvHeads() / tensorParallel);
    }

    /** KV-cache bytes per token on each GPU of the group. */
    long kvBytesPerTokenPerGpu() {
        return (long) Math.ceil(2.0 * model.layers() * kvHeadsPerGpu() * model.headDim() * kv.bitsPerChannel() / 8.0);
    }

    /** {@code 2x H100 SXM}: for messages. */
    String hardware() {
        return tensorParallel + "x " + gpu.marketName();
    }
}
