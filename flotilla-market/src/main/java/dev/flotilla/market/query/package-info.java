/**
 * The offer query language: the {@code field op value} syntax of vast.ai's {@code search offers}
 * ({@link dev.flotilla.market.query.OfferQuery}, {@link dev.flotilla.market.query.SortOrder}),
 * its fields and units ({@link dev.flotilla.market.query.QueryField}), and two searches that
 * answer it identically: the columnar {@link dev.flotilla.market.query.OfferIndex} to serve with
 * and the {@link dev.flotilla.market.query.NaiveOfferFilter} it is checked and benchmarked
 * against. Pure: no I/O, no clock, only the JDK and flotilla-core.
 *
 * <pre>{@code
 * OfferIndex index = new OfferIndex(offers);
 * List<Offer> hits = index.search(
 *         OfferQuery.parse("reliability>0.99 num_gpus=4 geolocation in [TW,SE]", true),
 *         SortOrder.parse("dph+,reliability-"),
 *         64,
 *         SearchContext.of(RentalType.BID));
 * }</pre>
 */
package dev.flotilla.market.query;
