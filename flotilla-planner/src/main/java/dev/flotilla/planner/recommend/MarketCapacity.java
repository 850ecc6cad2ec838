package dev.flotilla.planner.recommend;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Money;
import dev.flotilla.market.offer.Offer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    /**
     * Aggregates offers per (GPU model, GPUs per rental): the cheapest hourly price among offers
     * with a free slice (on-demand price, or the minimum bid for interruptible capacity), and the
     * number of free slices of that size in the whole market. {@code countries} empty means any.
     */
    public static List<MarketCapacity> fromOffers(List<Offer> offers, boolean interruptible, Set<String> countries) {
        Map<String, long[]> acc = new LinkedHashMap<>(); // key -> {cheapest micros, free slices}
        Map<String, Offer> sample = new LinkedHashMap<>();
        for (Offer o : offers) {
            if (!o.available() || o.freeSlices() == 0 || (!countries.isEmpty() && !countries.contains(o.country()))) {
                continue;
            }
            Money price = interruptible ? o.minBidPerHour() : o.onDemandPerHour();
            String key = o.gpuModelId() + "/" + o.numGpus();
            long[] a = acc.computeIfAbsent(key, k -> new long[] {Long.MAX_VALUE, 0});
            a[0] = Math.min(a[0], price.micros());
            a[1] += o.freeSlices();
            sample.putIfAbsent(key, o);
        }
        List<MarketCapacity> out = new ArrayList<>();
        for (var e : acc.entrySet()) {
            Offer o = sample.get(e.getKey());
            out.add(new MarketCapacity(o.gpuModelId(), o.numGpus(), Money.ofMicros(e.getValue()[0]),
                    (int) Math.min(Integer.MAX_VALUE, e.getValue()[1])));
        }
        return out;
    }
}
