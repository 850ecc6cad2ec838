package dev.flotilla.market.query;

import java.util.regex.Pattern;

/**
 * Text rules shared by the parser, the naive filter and the index, kept in one place so that the
 * two search implementations cannot drift apart: how strings are compared, how numbers are read
 * and printed, how driver versions become numbers, and how far apart two field names are.
 */
final class QueryText {
    /** Decimal numbers only: {@link Double#parseDouble} alone would also take NaN, hex and "1d". */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");

    private QueryText() {}

    /**
     * The comparison key of a string value: {@code _} and space are the same character (so
     * {@code RTX_4090} finds "RTX 4090" and {@code x86_64} still finds "x86_64") and case is
     * ignored. Mapped char by char so that {@link #sameKey} needs no allocation and agrees exactly.
     */
    static String key(String s) {
        char[] out = new char[s.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = keyChar(s.charAt(i));
        }
        return new String(out);
    }

    private static char keyChar(char c) {
        return c == '_' ? ' ' : Character.toLowerCase(c);
    }

    /** Whether {@code text} has the comparison key {@code key} (already made by {@link #key}). */
    static boolean sameKey(String text, String key) {
        if (text.length() != key.length()) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            if (keyChar(text.charAt(i)) != key.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Parses a plain decimal number, or returns NaN when {@code s} is not one. */
    static double parseNumber(String s) {
        return NUMBER.matcher(s).matches() ? Double.parseDouble(s) : Double.NaN;
    }

    /** Prints integral values without a fraction ({@code 2}, not {@code 2.0}); reads back exactly. */
    static String formatNumber(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /**
     * Encodes a dotted driver version as {@code major*1e6 + minor*1e3 + patch}, so that versions
     * order numerically ({@code 535.104.05 > 535.86.05}, which a string compare gets wrong).
     * One to three components of digits; minor and patch below 1000. Returns NaN otherwise.
     */
    static double encodeVersion(String s) {
        long[] parts = new long[3];
        int part = 0;
        int digits = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (++digits > (part == 0 ? 9 : 3)) {
                    return Double.NaN;
                }
                parts[part] = parts[part] * 10 + (c - '0');
            } else if (c == '.' && digits > 0 && part < 2) {
                part++;
                digits = 0;
            } else {
                return Double.NaN;
            }
        }
        if (digits == 0) {
            return Double.NaN;
        }
        return parts[0] * 1e6 + parts[1] * 1e3 + parts[2];
    }

    /**
     * Optimal-string-alignment distance (Levenshtein plus adjacent transposition, the restricted
     * Damerau variant): {@code reliabilty -> reliability} is 1, {@code gpu_nmae -> gpu_name} is 1.
     */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int best = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    best = Math.min(best, d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        return d[a.length()][b.length()];
    }
}
