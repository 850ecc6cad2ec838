package dev.flotilla.server.plan;

import static java.util.Objects.requireNonNull;

import dev.flotilla.planner.recommend.MarketCapacity;
import dev.flotilla.planner.recommend.Plan;
import dev.flotilla.planner.recommend.PlanRequest;
import dev.flotilla.planner.recommend.Recommender;
import dev.flotilla.server.market.OfferCache;

/**
 * Plans against the live market: the offers of the in-memory index become {@link MarketCapacity}
 * rows (per GPU model and rental size: the cheapest price for the preferred capacity and how many
 * free slices there are), and the pure {@link Recommender} ranks configurations over them.
 */
public final class PlanService {
    /** Which price a plan is made with. */
    public enum Capacity {
        ON_DEMAND,
        INTERRUPTIBLE
    }

    private final OfferCache offers;
    private final Recommender recommender;

    public PlanService(OfferCache offers, Recommender recommender) {
        this.offers = requireNonNull(offers, "offers is null");
        this.recommender = requireNonNull(recommender, "recommender is null");
    }

    public Plan plan(PlanRequest request, Capacity capacity) {
        return recommender.plan(request, MarketCapacity.fromOffers(offers.all(), capacity == Capacity.INTERRUPTIBLE,
                request.countries()));
    }
}
