package dev.flotilla.core;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * An exact amount of US dollars held as integer micro-dollars (1 USD = 1,000,000 micros). Never
 * a {@code double}: every charge must balance to the micro, and a replayed charge must be equal
 * to the original. A micro-dollar is fine enough for per-second GPU billing: one second of a
 * $0.10/h GPU is 27.7 micros, and the metering charges cumulative totals so rounding never
 * drifts.
 */
public record Money(long micros) implements Comparable<Money> {
    public static final long MICROS_PER_DOLLAR = 1_000_000L;
    public static final Money ZERO = new Money(0);

    public static Money ofMicros(long micros) {
        return new Money(micros);
    }

    /** Parses a decimal dollar amount such as {@code "1.25"}; more than 6 decimals is an error. */
    public static Money parse(String field, String dollars) {
        try {
            return ofDollars(new BigDecimal(dollars.trim()), field);
        } catch (NumberFormatException | NullPointerException e) {
            throw FlotillaException.invalid(
                    field, field + " must be a dollar amount such as 1.25, got '" + dollars + "'");
        }
    }

    public static Money ofDollars(BigDecimal dollars, String field) {
        try {
            return new Money(dollars.movePointRight(6).setScale(0, RoundingMode.UNNECESSARY).longValueExact());
        } catch (ArithmeticException e) {
            throw FlotillaException.invalid(
                    field, field + " has more than 6 decimal places or is too large: " + dollars.toPlainString());
        }
    }

    /** Convenience for literals in code and tests; rounds half-even to the micro. */
    public static Money ofDollars(double dollars) {
        return new Money(BigDecimal.valueOf(dollars).movePointRight(6).setScale(0, RoundingMode.HALF_EVEN).longValueExact());
    }

    public Money plus(Money other) {
        return new Money(Math.addExact(micros, other.micros));
    }

    public Money minus(Money other) {
        return new Money(Math.subtractExact(micros, other.micros));
    }

    public Money negate() {
        return new Money(Math.negateExact(micros));
    }

    public Money times(long n) {
        return new Money(Math.multiplyExact(micros, n));
    }

    public boolean isNegative() {
        return micros < 0;
    }

    public boolean isPositive() {
        return micros > 0;
    }

    public BigDecimal toDollars() {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros();
    }

    /** Dollars as a double, for display and for the query language's numeric comparisons only. */
    public double toDollarsApprox() {
        return micros / (double) MICROS_PER_DOLLAR;
    }

    @Override
    public int compareTo(Money o) {
        return Long.compare(micros, o.micros);
    }

    @Override
    public String toString() {
        BigDecimal d = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        if (d.scale() < 2) {
            d = d.setScale(2, RoundingMode.UNNECESSARY);
        }
        return "$" + d.toPlainString();
    }
}
