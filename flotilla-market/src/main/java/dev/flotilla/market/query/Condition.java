package dev.flotilla.market.query;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.offer.Offer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * One {@code field op value} condition of an offer query, with its values in canonical form:
 * numbers printed plainly ({@code 2}, {@code 0.98}), {@code compute_cap} scaled to the integer
 * form ({@code 8.0 -> 800}), booleans lower case, strings with {@code _} turned into spaces.
 * The constructor accepts raw user text and canonicalizes it, so a condition built from JSON by
 * hand is checked exactly like a parsed one, and canonicalizing twice changes nothing.
 *
 * <p>{@code in} and {@code notin} take one or more values, every other operator exactly one.
 */
public record Condition(QueryField field, Operator op, List<String> values) {
    public Condition {
        requireNonNull(field, "field is null");
        requireNonNull(op, "op is null");
        requireNonNull(values, "values is null");
        checkOperator(field, op, op.symbol());
        if (values.isEmpty()) {
            throw invalid(field, field.fieldName() + " " + op.symbol() + " needs a value");
        }
        if (!op.takesList() && values.size() != 1) {
            throw invalid(field, field.fieldName() + " " + op.symbol() + " takes a single value, got " + values.size()
                    + "; use 'in' for a list");
        }
        List<String> canonical = new ArrayList<>(values.size());
        for (String v : values) {
            canonical.add(canonicalize(field, requireNonNull(v, "value is null")));
        }
        values = List.copyOf(canonical);
    }

    /** A condition with the given raw values; see the class javadoc for what is accepted. */
    public static Condition of(QueryField field, Operator op, String... values) {
        return new Condition(field, op, List.of(values));
    }

    /** Fails unless {@code op} (as the user spelled it, {@code token}) applies to the field's type. */
    static void checkOperator(QueryField field, Operator op, String token) {
        if (!field.type().operators().contains(op)) {
            throw invalid(field, "operator '" + token + "' does not apply to " + field.fieldName() + ", which is "
                    + field.type().expected() + "; accepted: "
                    + String.join(", ", field.type().operators().stream().map(Operator::symbol).toList()));
        }
    }

    private static String canonicalize(QueryField field, String raw) {
        String v = raw.strip();
        switch (field.type()) {
            case NUMBER -> {
                double d = QueryText.parseNumber(v);
                if (!Double.isFinite(d)) {
                    throw wrongType(field, raw);
                }
                // Users write compute capability both as vast's integer (800) and as NVIDIA's 8.0.
                if (field == QueryField.COMPUTE_CAP && Math.abs(d) < 100) {
                    d = Math.round(d * 100);
                }
                return QueryText.formatNumber(d);
            }
            case BOOL -> {
                String b = v.toLowerCase(Locale.ROOT);
                if (!b.equals("true") && !b.equals("false")) {
                    throw wrongType(field, raw);
                }
                return b;
            }
            case VERSION -> {
                if (Double.isNaN(QueryText.encodeVersion(v))) {
                    throw wrongType(field, raw);
                }
                return v;
            }
            case STRING -> {
                String s = v.replace('_', ' ').strip();
                if (s.isEmpty()) {
                    throw invalid(field, field.fieldName() + " needs a non-empty value");
                }
                if (s.indexOf('"') >= 0 && s.indexOf('\'') >= 0) {
                    // Without escapes no query text could carry such a value, so toString could not print it.
                    throw invalid(field, "value for " + field.fieldName() + " contains both quote characters: " + raw);
                }
                return s;
            }
            default -> throw new IllegalStateException(field.type().name());
        }
    }

    private static FlotillaException wrongType(QueryField field, String raw) {
        return invalid(field, field.fieldName() + " expects " + field.type().expected() + ", got '" + raw + "'");
    }

    static FlotillaException invalid(QueryField field, String message) {
        return new FlotillaException(ErrorCode.INVALID_QUERY, field == null ? null : field.fieldName(), message);
    }

    /**
     * The values as numbers, as {@link QueryField#numeric} reports the field: numbers, 1/0 for
     * booleans, encoded versions.
     *
     * @throws IllegalStateException for a STRING field
     */
    public double[] numbers() {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            String v = values.get(i);
            out[i] = switch (field.type()) {
                case NUMBER -> Double.parseDouble(v);
                case BOOL -> v.equals("true") ? 1 : 0;
                case VERSION -> QueryText.encodeVersion(v);
                case STRING -> throw new IllegalStateException(field.fieldName() + " is a string field");
            };
        }
        return out;
    }

    /**
     * This condition as a predicate over offers, reading each offer through the generic field
     * accessor. Values are parsed once here, not per offer.
     */
    public Predicate<Offer> predicate(SearchContext ctx) {
        requireNonNull(ctx, "ctx is null");
        if (field.type() == QueryField.Type.STRING) {
            List<String> keys = values.stream().map(QueryText::key).toList();
            boolean negated = op.isNegated();
            return offer -> {
                for (String key : keys) {
                    if (field.matchesKey(offer, key)) {
                        return !negated;
                    }
                }
                return negated;
            };
        }
        double[] numbers = numbers();
        return offer -> op.test(field.numeric(offer, ctx), numbers);
    }

    /** Whether the offer satisfies this condition in the given search context. */
    public boolean test(Offer offer, SearchContext ctx) {
        return predicate(ctx).test(offer);
    }

    /** The condition as query text that parses back to an equal condition. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(field.fieldName());
        boolean word = Character.isLetter(op.symbol().charAt(0));
        sb.append(word ? " " + op.symbol() + " " : op.symbol());
        if (op.takesList()) {
            sb.append('[');
            for (int i = 0; i < values.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(render(values.get(i)));
            }
            sb.append(']');
        } else {
            sb.append(render(values.getFirst()));
        }
        return sb.toString();
    }

    private String render(String v) {
        if (field.type() != QueryField.Type.STRING) {
            return v;
        }
        String bare = v.replace(' ', '_');
        boolean needsQuotes = bare.equalsIgnoreCase("any");
        for (int i = 0; i < bare.length() && !needsQuotes; i++) {
            char c = bare.charAt(i);
            needsQuotes = Character.isWhitespace(c) || "\"'[],".indexOf(c) >= 0;
        }
        if (!needsQuotes) {
            return bare;
        }
        // Quoted text keeps its spaces; _ inside quotes would mean a space too, and v has none.
        return v.indexOf('"') >= 0 ? "'" + v + "'" : "\"" + v + "\"";
    }
}
