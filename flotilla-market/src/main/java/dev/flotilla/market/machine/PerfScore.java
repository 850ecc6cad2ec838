package dev.flotilla.market.machine;

import dev.flotilla.market.gpu.GpuSpec;

/**
 * A performance score per offer, derived from the GPU's memory bandwidth and dense FP16 compute,
 * so that users can rank value per dollar ({@code dlperf_usd = dlperf / dph}).
 *
 * <p>The score is the speed of a reference LLM-serving step, relative to one A100 SXM4 80GB
 * (= 100): reading 16 GB of weights (an 8B model in bf16, the memory-bound decode part) plus
 * 32.8 TFLOP of prefill (2048 tokens through 8B parameters, the compute-bound part):
 *
 * <pre>
 *   t(gpu)  = 16e9 B / bandwidth + 32.8e12 FLOP / fp16_dense
 *   dlperf  = 100 * t(A100 80GB) / t(gpu) * n * scaling(n)
 *   scaling = 1 for one GPU; 0.95^log2(n) with NVLink, 0.85^log2(n) over PCIe
 * </pre>
 *
 * Multi-GPU slices lose some of the linear gain to communication, less with NVLink.
 */
public final class PerfScore {
    private static final double WEIGHT_BYTES = 16e9;
    private static final double PREFILL_FLOP = 32.8e12;
    private static final double A100_SECONDS = stepSeconds(2039, 312);

    private PerfScore() {}

    static double stepSeconds(double bandwidthGbs, double tflops) {
        return WEIGHT_BYTES / (bandwidthGbs * 1e9) + PREFILL_FLOP / (tflops * 1e12);
    }

    public static double dlperf(GpuSpec gpu, int numGpus) {
        double single = 100.0 * A100_SECONDS / stepSeconds(gpu.memBandwidthGbs(), gpu.fp16TflopsDense());
        double log2 = Math.log(numGpus) / Math.log(2);
        double scaling = Math.pow(gpu.nvlinkGbs() > 0 ? 0.95 : 0.85, log2);
        return single * numGpus * scaling;
    }
}
