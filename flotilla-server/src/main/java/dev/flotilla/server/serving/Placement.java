package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Money;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where to put an endpoint's next worker: pure policy over the offers that meet its requirement.
 *
 * <p>Order of preference: the rental type first (interruptible at the offer's minimum bid when the
 * endpoint allows it, on-demand as the fallback), then spread (a machine with none of this
 * endpoint's workers before one with some, a country with fewer before one with more, so one
 * preemption or one outage takes as few workers as possible), then price per hour, then
 * reliability. The reconciler tries the choices in order until a rental succeeds, since another
 * tenant may take an offer between the search and the rental.
 */
public final class Placement {
    private Placement() {}

    /** One way to rent a worker's hardware. */
    public record Choice(Offer offer, RentalType type, Optional<Money> bid, Money pricePerHour) {
        public Choice {
            requireNonNull(offer, "offer is null");
            requireNonNull(type, "type is null");
            requireNonNull(bid, "bid is null");
            requireNonNull(pricePerHour, "pricePerHour is null");
        }
    }

    /** Where the endpoint's active workers are now. */
    public record Existing(long machineId, String country) {}

    /**
     * @param interruptibleOffers offers rentable as interruptible (searched with the bid context)
     * @param onDemandOffers offers rentable on demand
     * @param interruptible whether the endpoint prefers interruptible capacity
     * @param liveMachines machines whose agent heartbeats: only those can run a worker
     */
    public static List<Choice> choices(List<Offer> interruptibleOffers, List<Offer> onDemandOffers, boolean interruptible,
            Set<Long> liveMachines, List<Existing> existing) {
        Map<Long, Integer> perMachine = new HashMap<>();
        Map<String, Integer> perCountry = new HashMap<>();
        for (Existing e : existing) {
            perMachine.merge(e.machineId(), 1, Integer::sum);
            perCountry.merge(e.country(), 1, Integer::sum);
        }
        Comparator<Choice> spreadThenPrice = Comparator
                .comparingInt((Choice c) -> perMachine.getOrDefault(c.offer().machineId(), 0))
                .thenComparingInt(c -> perCountry.getOrDefault(c.offer().country(), 0))
                .thenComparing(Choice::pricePerHour)
                .thenComparing(c -> -c.offer().reliability())
                .thenComparingLong(c -> c.offer().id());
        List<Choice> out = new ArrayList<>();
        if (interruptible) {
            out.addAll(sorted(interruptibleOffers, liveMachines, RentalType.BID, spreadThenPrice));
        }
        out.addAll(sorted(onDemandOffers, liveMachines, RentalType.ON_DEMAND, spreadThenPrice));
        return List.copyOf(out);
    }

    private static List<Choice> sorted(List<Offer> offers, Set<Long> liveMachines, RentalType type, Comparator<Choice> order) {
        List<Choice> out = new ArrayList<>();
        for (Offer o : offers) {
            if (!liveMachines.contains(o.machineId())) {
                continue;
            }
            out.add(type == RentalType.BID
                    ? new Choice(o, type, Optional.of(o.minBidPerHour()), o.minBidPerHour())
                    : new Choice(o, type, Optional.empty(), o.onDemandPerHour()));
        }
        out.sort(order);
        return out;
    }
}
