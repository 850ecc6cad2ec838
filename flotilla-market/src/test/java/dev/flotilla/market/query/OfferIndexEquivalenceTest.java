package dev.flotilla.market.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property-style check that the columnar index returns exactly what the naive filter returns,
 * over random queries on random offers. Values are drawn from the offers themselves so that
 * equality, {@code in} and ties are exercised, not only ranges that miss everything.
 */
class OfferIndexEquivalenceTest {
    private static final QueryField[] FIELDS = QueryField.values();
    private static final Operator[] OPERATORS = Operator.values();
    private static final double[] DISKS = {SearchContext.DEFAULT_DISK_GB, 0, 37.5, 200};
    private static final int[] LIMITS = {1, 5, 64, 500, 10_000};

    private final List<Offer> offers = TestOffers.random(20_260_101L, 5_000);
    private final OfferIndex index = new OfferIndex(offers);
    private final NaiveOfferFilter naive = new NaiveOfferFilter(offers);

    @Test
    void indexAndNaiveFilterReturnTheSameOffersInTheSameOrder() {
        Random r = new Random(7);
        int nonEmpty = 0;
        int truncated = 0;
        for (int i = 0; i < 60; i++) {
            SearchContext ctx = new SearchContext(RentalType.values()[r.nextInt(3)], DISKS[r.nextInt(DISKS.length)]);
            String text = randomQuery(r, ctx);
            OfferQuery query = OfferQuery.parse(text, r.nextBoolean());
            SortOrder order = randomOrder(r);
            int limit = LIMITS[r.nextInt(LIMITS.length)];

            List<Offer> expected = naive.search(query, order, limit, ctx);
            assertThat(index.search(query, order, limit, ctx))
                    .as("query <%s> order <%s> limit %d %s", query, order, limit, ctx)
                    .isEqualTo(expected);
            int count = naive.count(query, ctx);
            assertThat(index.count(query, ctx)).as("count of <%s>", query).isEqualTo(count);
            nonEmpty += expected.isEmpty() ? 0 : 1;
            truncated += count > limit ? 1 : 0;
        }
        // Guards against a generator that only ever makes queries matching nothing.
        assertThat(nonEmpty).isGreaterThanOrEqualTo(25);
        assertThat(truncated).isGreaterThanOrEqualTo(10);
    }

    @Test
    void everyFieldSortsTheSameWayInBoth() {
        OfferQuery all = OfferQuery.parse("", false);
        for (QueryField f : FIELDS) {
            for (String dir : new String[] {"+", "-"}) {
                SortOrder order = SortOrder.parse(f.fieldName() + dir);
                for (RentalType t : RentalType.values()) {
                    SearchContext ctx = new SearchContext(t, 37.5);
                    assertThat(index.search(all, order, 300, ctx)).as("%s %s", order, t)
                            .isEqualTo(naive.search(all, order, 300, ctx));
                }
            }
        }
    }

    private String randomQuery(Random r, SearchContext ctx) {
        List<String> clauses = new ArrayList<>();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            QueryField f = FIELDS[r.nextInt(FIELDS.length)];
            if (r.nextInt(15) == 0) {
                clauses.add(f.fieldName() + "=any");
                continue;
            }
            List<Operator> ops = new ArrayList<>(f.type().operators());
            Operator op = ops.get(r.nextInt(ops.size()));
            String spelled = op.spellings().get(r.nextInt(op.spellings().size()));
            int values = op.takesList() ? 1 + r.nextInt(3) : 1;
            List<String> vs = new ArrayList<>();
            for (int v = 0; v < values; v++) {
                vs.add(randomValue(r, f, ctx));
            }
            String value = op.takesList() ? "[" + String.join(", ", vs) + "]" : vs.getFirst();
            // Word operators need spaces around them; symbols take them or not.
            boolean spaced = Character.isLetter(spelled.charAt(0)) || r.nextBoolean();
            clauses.add(f.fieldName() + (spaced ? " " + spelled + " " : spelled) + value);
        }
        return String.join(" ", clauses);
    }

    /** A value taken from a random offer (so it can be equal to something), sometimes nudged. */
    private String randomValue(Random r, QueryField f, SearchContext ctx) {
        Offer o = offers.get(r.nextInt(offers.size()));
        return switch (f.type()) {
            case BOOL -> r.nextBoolean() ? "True" : "false";
            case VERSION -> {
                String v = o.driverVersion();
                yield Double.isNaN(QueryText.encodeVersion(v)) ? "550.54.15" : v;
            }
            case STRING -> {
                String s = f == QueryField.GEOLOCATION && r.nextBoolean() ? o.region() : f.text(o);
                s = r.nextBoolean() ? s.toUpperCase(Locale.ROOT) : s;
                yield s.contains(" ") && r.nextBoolean() ? "'" + s + "'" : s.replace(' ', '_');
            }
            case NUMBER -> {
                double v = f.numeric(o, ctx);
                if (!Double.isFinite(v)) {
                    v = 100;
                }
                if (r.nextInt(3) == 0) {
                    v = v * (0.5 + r.nextDouble());
                }
                yield QueryText.formatNumber(v);
            }
        };
    }

    private static SortOrder randomOrder(Random r) {
        int n = r.nextInt(4);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keys.add(FIELDS[r.nextInt(FIELDS.length)].fieldName() + (r.nextBoolean() ? "-" : r.nextBoolean() ? "+" : ""));
        }
        return SortOrder.parse(String.join(",", keys));
    }
}
