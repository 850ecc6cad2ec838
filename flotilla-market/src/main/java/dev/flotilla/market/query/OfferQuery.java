package dev.flotilla.market.query;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A parsed offer query: the conditions an offer must all satisfy. Defaults are resolved when the
 * text is parsed, so the record holds every condition that applies and means the same wherever
 * it is sent.
 *
 * <p>The text is what vast.ai CLI users type after {@code search offers}:
 * <pre>{@code
 * OfferQuery q = OfferQuery.parse("reliability > 0.98 num_gpus=1 gpu_name=RTX_3090 rented=False", true);
 * OfferQuery r = OfferQuery.parse("reliability>0.99 num_gpus=4 geolocation in [TW,SE]", true);
 * }</pre>
 * Clauses are {@code field op value} separated by spaces; see {@link Operator} for the
 * operators and {@link QueryField} for the fields, their units and aliases. A value is a bare
 * token ({@code _} stands for a space in strings), a quoted string ({@code "RTX 4090"} or
 * {@code 'RTX 4090'}), or for {@code in}/{@code notin} a list {@code [a,b]} whose items may be
 * quoted. {@code field=any} lifts every earlier condition on the field and its default.
 *
 * <p>Defaults {@code verified=true rentable=true rented=false} apply to each of those fields
 * the text does not mention (a condition or {@code =any} on the field replaces its default),
 * unless the caller asks for none.
 */
public record OfferQuery(List<Condition> conditions) {
    /** The conditions a query gets for the fields it does not mention. */
    public static final List<Condition> DEFAULTS = List.of(
            Condition.of(QueryField.VERIFIED, Operator.EQ, "true"),
            Condition.of(QueryField.RENTABLE, Operator.EQ, "true"),
            Condition.of(QueryField.RENTED, Operator.EQ, "false"));

    public OfferQuery {
        conditions = List.copyOf(requireNonNull(conditions, "conditions is null"));
    }

    /** Parses query text with the defaults applied. */
    public static OfferQuery parse(String text) {
        return parse(text, true);
    }

    /**
     * Parses query text. A blank text is the empty query (only the defaults, if applied).
     *
     * @param applyDefaults false is the "no default" switch: only what the text says applies
     * @throws dev.flotilla.core.FlotillaException with {@code INVALID_QUERY} naming the offending
     *     token and what would be accepted
     */
    public static OfferQuery parse(String text, boolean applyDefaults) {
        requireNonNull(text, "text is null");
        List<Condition> conditions = new ArrayList<>();
        Set<QueryField> mentioned = EnumSet.noneOf(QueryField.class);
        for (QueryParser.Clause clause : new QueryParser(text).parse()) {
            mentioned.add(clause.field());
            clause.condition().ifPresentOrElse(
                    conditions::add, () -> conditions.removeIf(c -> c.field() == clause.field()));
        }
        if (applyDefaults) {
            for (Condition d : DEFAULTS) {
                if (!mentioned.contains(d.field())) {
                    conditions.add(d);
                }
            }
        }
        return new OfferQuery(conditions);
    }

    /**
     * The query as text that parses back, with or without defaults, to an equal query: the
     * conditions, then {@code field=any} for each default field that has none.
     */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Condition c : conditions) {
            parts.add(c.toString());
        }
        Set<QueryField> constrained = conditions.stream().map(Condition::field).collect(Collectors.toSet());
        for (Condition d : DEFAULTS) {
            if (!constrained.contains(d.field())) {
                parts.add(d.field().fieldName() + "=any");
            }
        }
        return String.join(" ", parts);
    }
}
