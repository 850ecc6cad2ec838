package dev.flotilla.market.query;

import static java.util.Objects.requireNonNull;

import dev.flotilla.market.offer.RentalType;

/**
 * What a search is for, which decides the context-dependent fields: {@code dph} is the price for
 * {@code type} (a bid search shows the minimum bid), {@code dph_total} adds storage for
 * {@code diskGb}, and {@code dlperf_usd}/{@code flops_usd} divide by {@code dph}.
 */
public record SearchContext(RentalType type, double diskGb) {
    /** Disk size a search assumes when the caller gives none, as vast's CLI does. */
    public static final double DEFAULT_DISK_GB = 10;

    public SearchContext {
        requireNonNull(type, "type is null");
        if (!(diskGb >= 0) || Double.isInfinite(diskGb)) {
            throw new IllegalArgumentException("diskGb must be a finite number >= 0, got " + diskGb);
        }
    }

    /** On-demand with the default disk size. */
    public static SearchContext defaults() {
        return new SearchContext(RentalType.ON_DEMAND, DEFAULT_DISK_GB);
    }

    /** The given rental type with the default disk size. */
    public static SearchContext of(RentalType type) {
        return new SearchContext(type, DEFAULT_DISK_GB);
    }
}
