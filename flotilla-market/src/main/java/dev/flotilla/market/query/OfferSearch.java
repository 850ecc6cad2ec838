package dev.flotilla.market.query;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.offer.Offer;
import java.util.List;

/**
 * Answers offer queries over a fixed set of offers. {@link OfferIndex} is the one to serve
 * with; {@link NaiveOfferFilter} is the obvious implementation it is checked and benchmarked
 * against. Both return the same offers in the same order for the same arguments.
 */
public interface OfferSearch {
    /** The most offers one search returns. */
    int MAX_LIMIT = 10_000;

    /**
     * The first {@code limit} offers matching every condition of {@code query}, in {@code order}
     * (which always ends with {@code id} ascending, so the result is deterministic).
     *
     * @throws FlotillaException {@code INVALID_QUERY} when {@code limit} is outside 1..{@value #MAX_LIMIT}
     */
    List<Offer> search(OfferQuery query, SortOrder order, int limit, SearchContext ctx);

    /** How many offers match every condition of {@code query}. */
    int count(OfferQuery query, SearchContext ctx);

    /** Fails unless {@code limit} is within 1..{@value #MAX_LIMIT}. */
    static void checkLimit(int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new FlotillaException(ErrorCode.INVALID_QUERY, "limit", "limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
    }
}
