package dev.flotilla.market.query;

import static java.util.Objects.requireNonNull;

import dev.flotilla.market.offer.Offer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The straightforward search: every offer is read through the generic {@link QueryField}
 * accessors and tested against every condition, the matches are sorted in full with
 * {@link SortOrder#comparator} and the first {@code limit} kept. It is the reference
 * {@link OfferIndex} is tested against and the baseline the benchmark reports speedups over.
 */
public final class NaiveOfferFilter implements OfferSearch {
    private final List<Offer> offers;

    public NaiveOfferFilter(List<Offer> offers) {
        this.offers = List.copyOf(requireNonNull(offers, "offers is null"));
    }

    @Override
    public List<Offer> search(OfferQuery query, SortOrder order, int limit, SearchContext ctx) {
        OfferSearch.checkLimit(limit);
        requireNonNull(order, "order is null");
        List<Offer> matches = matches(query, ctx);
        // List.sort is stable, so offers equal under the order keep their input order; the index
        // breaks such ties by input position to agree.
        matches.sort(order.comparator(ctx));
        return List.copyOf(matches.subList(0, Math.min(limit, matches.size())));
    }

    @Override
    public int count(OfferQuery query, SearchContext ctx) {
        return matches(query, ctx).size();
    }

    private List<Offer> matches(OfferQuery query, SearchContext ctx) {
        requireNonNull(query, "query is null");
        requireNonNull(ctx, "ctx is null");
        List<Predicate<Offer>> predicates = query.conditions().stream().map(c -> c.predicate(ctx)).toList();
        List<Offer> out = new ArrayList<>();
        for (Offer o : offers) {
            boolean all = true;
            for (Predicate<Offer> p : predicates) {
                if (!p.test(o)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                out.add(o);
            }
        }
        return out;
    }
}
