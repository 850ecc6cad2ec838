package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;

/** How the readable output shows the values of the server's JSON; a missing or null value shows as {@code -}. */
final class Fmt {
    static final String NONE = "-";

    private Fmt() {}

    private static boolean absent(JsonNode n) {
        return n == null || n.isMissingNode() || n.isNull();
    }

    /** Dollars exactly as sent, with at least two decimals: {@code $0.35}, {@code $0.351369}, {@code $100.00}. */
    static String money(JsonNode n) {
        if (absent(n) || !n.isNumber()) {
            return absent(n) ? NONE : n.asText();
        }
        return dollars(n.decimalValue());
    }

    /** Dollars rounded to at most {@code decimals} places, for table columns. */
    static String money(JsonNode n, int decimals) {
        if (absent(n) || !n.isNumber()) {
            return absent(n) ? NONE : n.asText();
        }
        return dollars(n.decimalValue().setScale(decimals, RoundingMode.HALF_UP));
    }

    /** Dollars with exactly {@code decimals} places, so a price column lines up: {@code $0.190}. */
    static String moneyFixed(JsonNode n, int decimals) {
        if (absent(n) || !n.isNumber()) {
            return absent(n) ? NONE : n.asText();
        }
        BigDecimal d = n.decimalValue().setScale(decimals, RoundingMode.HALF_UP);
        return (d.signum() < 0 ? "-$" : "$") + d.abs().toPlainString();
    }

    /** {@code $1.20}, {@code -$100.00}. */
    private static String dollars(BigDecimal d) {
        return (d.signum() < 0 ? "-$" : "$") + twoOrMore(d.abs());
    }

    private static String twoOrMore(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        if (s.scale() < 2) {
            s = s.setScale(2, RoundingMode.UNNECESSARY);
        }
        return s.toPlainString();
    }

    /** A number with exactly {@code decimals} places: reliability {@code 0.987}. */
    static String fixed(JsonNode n, int decimals) {
        if (absent(n) || !n.isNumber()) {
            return absent(n) ? NONE : n.asText();
        }
        return n.decimalValue().setScale(decimals, RoundingMode.HALF_UP).toPlainString();
    }

    /** A number without needless zeros, at most {@code decimals} places: {@code 24}, {@code 12.4}. */
    static String num(JsonNode n, int decimals) {
        if (absent(n) || !n.isNumber()) {
            return absent(n) ? NONE : n.asText();
        }
        BigDecimal d = n.decimalValue().setScale(decimals, RoundingMode.HALF_UP).stripTrailingZeros();
        return (d.scale() < 0 ? d.setScale(0, RoundingMode.UNNECESSARY) : d).toPlainString();
    }

    static String text(JsonNode n) {
        return absent(n) ? NONE : n.asText();
    }

    static String yesNo(JsonNode n) {
        return absent(n) ? NONE : n.asBoolean() ? "yes" : "no";
    }

    /** An instant without its fractional seconds: {@code 2026-03-10T12:00:00Z}. */
    static String instant(JsonNode n) {
        if (absent(n)) {
            return NONE;
        }
        return n.asText().replaceFirst("\\.\\d+Z$", "Z");
    }
}
