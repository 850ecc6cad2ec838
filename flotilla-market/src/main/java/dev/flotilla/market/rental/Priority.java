package dev.flotilla.market.rental;

import dev.flotilla.core.Money;
import dev.flotilla.market.offer.RentalType;

/**
 * The order in which rentals hold GPUs. On-demand and reserved rentals share the top priority and
 * are never preempted; interruptible rentals rank by their bid per GPU-hour (in micro-dollars),
 * highest first. Per GPU, so that bids on slices of different sizes compare fairly.
 */
public final class Priority {
    public static final long GUARANTEED = Long.MAX_VALUE;

    private Priority() {}

    public static long of(RentalType type, Money pricePerHour, int numGpus) {
        return switch (type) {
            case ON_DEMAND, RESERVED -> GUARANTEED;
            case BID -> pricePerHour.micros() / numGpus;
        };
    }
}
