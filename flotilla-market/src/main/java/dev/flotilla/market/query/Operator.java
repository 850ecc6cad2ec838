package dev.flotilla.market.query;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A comparison in an offer query. Each operator has one canonical spelling, used when a query is
 * printed, and the other spellings vast.ai CLI users type:
 *
 * <table>
 *   <caption>Operator spellings</caption>
 *   <tr><th>operator</th><th>spellings</th></tr>
 *   <tr><td>{@link #LT}</td><td>{@code <  lt}</td></tr>
 *   <tr><td>{@link #LE}</td><td>{@code <= lte}</td></tr>
 *   <tr><td>{@link #EQ}</td><td>{@code =  ==  eq}</td></tr>
 *   <tr><td>{@link #NE}</td><td>{@code != neq}</td></tr>
 *   <tr><td>{@link #GE}</td><td>{@code >= gte}</td></tr>
 *   <tr><td>{@link #GT}</td><td>{@code >  gt}</td></tr>
 *   <tr><td>{@link #IN}</td><td>{@code in}</td></tr>
 *   <tr><td>{@link #NOT_IN}</td><td>{@code notin  nin  not in}</td></tr>
 * </table>
 *
 * <p>Numeric comparisons follow IEEE rules, so a NaN value (an offer's unreadable driver version)
 * fails every operator except {@code !=} and {@code notin}.
 */
public enum Operator {
    LT("<", "lt"),
    LE("<=", "lte"),
    EQ("=", "==", "eq"),
    NE("!=", "neq"),
    GE(">=", "gte"),
    GT(">", "gt"),
    IN("in"),
    NOT_IN("notin", "nin", "not in");

    private final String symbol;
    private final List<String> spellings;

    Operator(String symbol, String... others) {
        this.symbol = symbol;
        this.spellings = Stream.concat(Stream.of(symbol), Arrays.stream(others)).toList();
    }

    /** The canonical spelling, e.g. {@code >=} or {@code notin}. */
    public String symbol() {
        return symbol;
    }

    /** Every accepted spelling, canonical first. */
    public List<String> spellings() {
        return spellings;
    }

    /** Whether the operator takes a list ({@code [a,b]}) rather than one value. */
    public boolean takesList() {
        return this == IN || this == NOT_IN;
    }

    /** Whether the operator orders values, which only numbers and versions allow. */
    public boolean isOrdering() {
        return this == LT || this == LE || this == GE || this == GT;
    }

    /** Whether a match on the values means the row fails ({@code !=}, {@code notin}). */
    public boolean isNegated() {
        return this == NE || this == NOT_IN;
    }

    /** Finds an operator by any of its spellings, ignoring case; {@code not in} takes one space. */
    public static Optional<Operator> bySpelling(String token) {
        String t = token.toLowerCase(Locale.ROOT);
        for (Operator op : values()) {
            if (op.spellings.contains(t)) {
                return Optional.of(op);
            }
        }
        return Optional.empty();
    }

    /** Every accepted spelling, for error messages. */
    static String allSpellings() {
        return String.join(", ", Arrays.stream(values()).flatMap(op -> op.spellings.stream()).toList());
    }

    /**
     * Compares a numeric field value with the condition's values (one value, or the list for
     * {@code in}/{@code notin}). Shared by every search implementation so they cannot disagree.
     */
    public boolean test(double actual, double[] values) {
        return switch (this) {
            case LT -> actual < values[0];
            case LE -> actual <= values[0];
            case EQ -> actual == values[0];
            case NE -> actual != values[0];
            case GE -> actual >= values[0];
            case GT -> actual > values[0];
            case IN -> contains(values, actual);
            case NOT_IN -> !contains(values, actual);
        };
    }

    private static boolean contains(double[] values, double actual) {
        for (double v : values) {
            if (v == actual) {
                return true;
            }
        }
        return false;
    }
}
