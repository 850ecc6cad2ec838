package dev.flotilla.market.query;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.offer.Offer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The order of search results, as vast.ai CLI users give it with {@code -o}: comma-separated
 * fields, each optionally suffixed {@code +} (ascending, the default) or {@code -} (descending),
 * e.g. {@code dph+,reliability-}. Field names and aliases are those of {@link QueryField}.
 *
 * <p>{@code id} ascending is always the last key (added unless {@code id} is already a key) so
 * that equal offers come back in a fixed order and paging is stable. Numbers compare with
 * {@link Double#compare} (NaN last), booleans as false before true, strings by their
 * case-insensitive key, {@code geolocation} by country.
 */
public record SortOrder(List<Key> keys) {
    /** One sort key. */
    public record Key(QueryField field, boolean descending) {
        public Key {
            requireNonNull(field, "field is null");
        }

        @Override
        public String toString() {
            return field.fieldName() + (descending ? "-" : "+");
        }
    }

    /** The order used when the caller gives none: cheapest first. */
    public static final SortOrder DEFAULT = new SortOrder(List.of(new Key(QueryField.DPH, false)));

    public SortOrder {
        List<Key> k = new ArrayList<>(requireNonNull(keys, "keys is null"));
        if (k.stream().noneMatch(key -> key.field() == QueryField.ID)) {
            k.add(new Key(QueryField.ID, false));
        }
        keys = List.copyOf(k);
    }

    /**
     * Parses {@code dph+,reliability-} style text; a blank text is {@link #DEFAULT}.
     *
     * @throws FlotillaException {@code INVALID_QUERY} for an empty item, an unknown field (with
     *     a suggestion) or a leading {@code -}
     */
    public static SortOrder parse(String text) {
        requireNonNull(text, "text is null");
        if (text.isBlank()) {
            return DEFAULT;
        }
        List<Key> keys = new ArrayList<>();
        for (String raw : text.split(",", -1)) {
            String item = raw.strip();
            if (item.isEmpty()) {
                throw new FlotillaException(ErrorCode.INVALID_QUERY, null,
                        "empty item in sort order '" + text + "'; write fields separated by commas, e.g. dph+,reliability-");
            }
            if (item.startsWith("-") || item.startsWith("+")) {
                String name = item.substring(1);
                throw new FlotillaException(ErrorCode.INVALID_QUERY, null, "sort key '" + item + "': put the direction after the field, e.g. '"
                        + name + (item.charAt(0) == '-' ? "-" : "+") + "'");
            }
            boolean descending = item.endsWith("-");
            String name = item.endsWith("-") || item.endsWith("+") ? item.substring(0, item.length() - 1).strip() : item;
            QueryField field = QueryField.lookup(name).orElseThrow(() -> new FlotillaException(ErrorCode.INVALID_QUERY, null,
                    "unknown sort " + QueryField.unknownFieldMessage(name).substring("unknown ".length())));
            keys.add(new Key(field, descending));
        }
        return new SortOrder(keys);
    }

    /** The order as a comparator reading offers through the generic field accessors. */
    public Comparator<Offer> comparator(SearchContext ctx) {
        requireNonNull(ctx, "ctx is null");
        return (a, b) -> {
            for (Key k : keys) {
                QueryField f = k.field();
                int c = f.type() == QueryField.Type.STRING
                        ? QueryText.key(f.text(a)).compareTo(QueryText.key(f.text(b)))
                        : Double.compare(f.numeric(a, ctx), f.numeric(b, ctx));
                if (c != 0) {
                    return k.descending() ? -c : c;
                }
            }
            return 0;
        };
    }

    /** The order as text that {@link #parse} reads back to an equal order. */
    @Override
    public String toString() {
        return String.join(",", keys.stream().map(Key::toString).toList());
    }
}
