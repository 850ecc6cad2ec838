package dev.flotilla.market.billing;

import java.math.BigInteger;

/**
 * Bandwidth billed per byte, cumulatively like {@link Meter}: due = floor(bytes * pricePerTb / 10^12).
 * BigInteger because a petabyte at a few dollars per TB overflows a long in micro-dollars.
 */
public final class Bandwidth {
    private static final BigInteger BYTES_PER_TB = BigInteger.TEN.pow(12);

    private Bandwidth() {}

    public static long dueMicros(long totalBytes, long pricePerTbMicros) {
        return BigInteger.valueOf(totalBytes)
                .multiply(BigInteger.valueOf(pricePerTbMicros))
                .divide(BYTES_PER_TB)
                .longValueExact();
    }
}
