package dev.flotilla.planner.recommend;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Money;

/**
 * What the live market offers of one configuration: {@code numGpus} GPUs of one model per
 * rental, the cheapest hourly price for the rental type the plan prefers, and how many such
 * offers can be rented now.
 */
public record MarketCapacity(String gpuModelId, int numGpus, Money cheapestPerHour, int available) {
    public MarketCapacity {
        requireNonNull(gpuModelId, "gpuModelId is null");
        requireNonNull(cheapestPerHour, "cheapestPerHour is null");
        if (numGpus < 1 || available < 0) {
            throw new IllegalArgumentException("bad market capacity " + gpuModelId + " x" + numGpus);
        }
    }
}
