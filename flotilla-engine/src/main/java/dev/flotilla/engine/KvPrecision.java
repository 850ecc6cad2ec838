package dev.flotilla.engine;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.util.Locale;

/**
 * Bits stored per KV-cache channel (one element of one key or value vector), including any
 * per-group scales of a compressed cache. The KV cache of a token takes
 * {@code 2 * layers * kvHeads * headDim * bitsPerChannel / 8} bytes
 * ({@link ModelShape#kvBytesPerToken(KvPrecision)}).
 *
 * <p>The named constants are sizes, not algorithms: {@link #BITS_16} is a BF16/FP16 cache,
 * {@link #BITS_8} an FP8 cache, {@link #BITS_4} a 4-bit cache, and {@link #BITS_3_5} and
 * {@link #BITS_2_5} the footprints of compressed caches that quantize to 3 or 2 bits and spend
 * about half a bit per channel on scales and outliers. The engine model charges only their
 * bytes; the (de)compression arithmetic inside the attention kernel is not modelled.
 */
public record KvPrecision(double bitsPerChannel) {
    public static final KvPrecision BITS_16 = new KvPrecision(16);
    public static final KvPrecision BITS_8 = new KvPrecision(8);
    public static final KvPrecision BITS_4 = new KvPrecision(4);
    public static final KvPrecision BITS_3_5 = new KvPrecision(3.5);
    public static final KvPrecision BITS_2_5 = new KvPrecision(2.5);

    public KvPrecision {
        if (!(bitsPerChannel >= 1 && bitsPerChannel <= 16)) {
            throw new FlotillaException(ErrorCode.INVALID_ARGUMENT, "kv_precision",
                    "KV-cache bits per channel " + bitsPerChannel + " is out of range; accepted: 1 to 16");
        }
    }

    /**
     * Parses {@code bf16}, {@code fp16}, {@code auto} (16 bits), {@code fp8}, {@code int8} (8),
     * {@code int4} (4), or a number of bits with an optional {@code bit}/{@code bits} suffix
     * ({@code 3.5}, {@code 2.5bit}).
     */
    public static KvPrecision parse(String text) {
        String key = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (key) {
            case "bf16", "fp16", "auto", "16" -> {
                return BITS_16;
            }
            case "fp8", "fp8_e4m3", "fp8_e5m2", "int8", "8" -> {
                return BITS_8;
            }
            case "int4", "4" -> {
                return BITS_4;
            }
            default -> {
                String number = key.replaceFirst("-?bits?$", "");
                try {
                    return new KvPrecision(Double.parseDouble(number));
                } catch (NumberFormatException e) {
                    throw new FlotillaException(ErrorCode.INVALID_ARGUMENT, "kv_precision",
                            "KV-cache precision '" + text + "' is not understood; accepted: bf16, fp16, fp8, int8, "
                                    + "int4, or bits per channel from 1 to 16 such as 3.5 or 2.5bit");
                }
            }
        }
    }

    /** {@code 16-bit}, {@code 3.5-bit}: for messages and tables. */
    public String label() {
        double rounded = Math.rint(bitsPerChannel);
        String n = rounded == bitsPerChannel ? Long.toString((long) rounded) : Double.toString(bitsPerChannel);
        return n + "-bit";
    }
}
