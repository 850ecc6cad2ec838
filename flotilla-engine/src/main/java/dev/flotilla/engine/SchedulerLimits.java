package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

import dev.flotilla.market.gpu.GpuSpec;

/**
 * The continuous-batching scheduler's caps: at most {@code maxSequences} sequences per step
 * (vLLM's {@code max_num_seqs}) and at most {@code tokenBudget} tokens per step, decode tokens
 * included ({@code max_num_batched_tokens}; prompts are cut into chunks of what is left).
 *
 * <p>The defaults are vLLM's ({@code EngineArgs.get_batch_defaults} in
 * {@code vllm/engine/arg_utils.py}): GPUs with at least 70 GiB that are not A100s get 1,024
 * sequences and 8,192 tokens for the API server (16,384 for the offline {@code LLM} class); other
 * GPUs, A100s included (vLLM measured larger budgets to lower A100 throughput, PR 17885), get 256
 * sequences and 2,048 tokens for the API server (8,192 offline).
 */
public record SchedulerLimits(int maxSequences, int tokenBudget) {
    private static final double LARGE_GPU_GIB = 70;

    public SchedulerLimits {
        if (maxSequences < 1 || tokenBudget < maxSequences) {
            throw new IllegalArgumentException("scheduler needs maxSequences >= 1 and tokenBudget >= maxSequences; got "
                    + maxSequences + " and " + tokenBudget);
        }
    }

    /** vLLM's API-server defaults on {@code gpu}: what online serving runs with. */
    public static SchedulerLimits server(GpuSpec gpu) {
        return large(gpu) ? new SchedulerLimits(1024, 8192) : new SchedulerLimits(256, 2048);
    }

    /** vLLM's offline ({@code LLM} class) defaults on {@code gpu}: what batch runs use. */
    public static SchedulerLimits offline(GpuSpec gpu) {
        return large(gpu) ? new SchedulerLimits(1024, 16384) : new SchedulerLimits(256, 8192);
    }

    private static boolean large(GpuSpec gpu) {
        requireNonNull(gpu, "gpu is null");
        return gpu.memoryGb() >= LARGE_GPU_GIB && !gpu.id().startsWith("A100");
    }
}
