package dev.flotilla.engine;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.gpu.GpuSpec;
import java.util.Locale;

/**
 * How the model's weight matrices are stored, and so how many bytes a step reads and which tensor
 * rate multiplies them.
 *
 * <ul>
 *   <li>{@link #BF16}: 16 bits per weight, FP16/BF16 tensor rate.
 *   <li>{@link #FP8}: 8 bits (E4M3 with per-tensor or per-channel scales, negligible overhead). On
 *       a GPU with an FP8 tensor rate ({@link GpuSpec#fp8TflopsDense()} present: Hopper, Ada,
 *       Blackwell) the matrix multiplications run at that rate; elsewhere (Ampere, Turing) the
 *       weights are dequantized and multiplied at the FP16 rate (weight-only FP8, as vLLM's
 *       Marlin kernels do), so only the bytes shrink.
 *   <li>{@link #INT8}: 8 bits, treated as weight-only (W8A16): FP16 tensor rate. This understates
 *       W8A8 kernels that use INT8 tensor cores, which the GPU catalog does not list.
 *   <li>{@link #INT4}: 4-bit weights in groups of 128 with one 16-bit scale and one 16-bit zero
 *       point per group (AWQ/GPTQ layout): {@code 4 + (16 + 16) / 128 = 4.25} bits per weight;
 *       FP16 tensor rate (W4A16).
 * </ul>
 *
 * Quantized checkpoints keep the token embedding and the LM head in 16 bits (AWQ, GPTQ and FP8
 * checkpoints all do), so {@link ModelShape#weightBytes(WeightPrecision)} counts those at 16
 * bits whatever the precision.
 */
public enum WeightPrecision {
    BF16("bf16", 16.0),
    FP8("fp8", 8.0),
    INT8("int8", 8.0),
    INT4("int4", 4.0 + (16.0 + 16.0) / 128.0);

    private final String label;
    private final double bitsPerWeight;

    WeightPrecision(String label, double bitsPerWeight) {
        this.label = label;
        this.bitsPerWeight = bitsPerWeight;
    }

    /** Storage bits per weight including the quantization scales (4.25 for INT4). */
    public double bitsPerWeight() {
        return bitsPerWeight;
    }

    /** The lower-case name used in APIs and messages: {@code bf16}, {@code fp8}, ... */
    public String label() {
        return label;
    }

    /**
     * The dense tensor rate in TFLOPS at which this precision's matrix multiplications run on
     * {@code gpu}: the FP8 rate for FP8 weights on a GPU that has one, the FP16 rate otherwise.
     */
    public double tensorTflops(GpuSpec gpu) {
        if (this == FP8 && gpu.fp8TflopsDense().isPresent()) {
            return gpu.fp8TflopsDense().getAsDouble();
        }
        return gpu.fp16TflopsDense();
    }

    /** Parses {@code bf16}, {@code fp16} (same size and speed as bf16), {@code fp8}, {@code int8}, {@code int4}. */
    public static WeightPrecision parse(String text) {
        String key = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "bf16", "fp16", "float16", "bfloat16" -> BF16;
            case "fp8" -> FP8;
            case "int8" -> INT8;
            case "int4" -> INT4;
            default -> throw new FlotillaException(ErrorCode.INVALID_ARGUMENT, "precision",
                    "weight precision '" + text + "' is not supported; accepted: bf16, fp16, fp8, int8, int4");
        };
    }
}
