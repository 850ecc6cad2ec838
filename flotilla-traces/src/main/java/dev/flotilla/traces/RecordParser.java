package dev.flotilla.traces;

import dev.flotilla.core.FlotillaException;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;

/**
 * Parses the rows of a recorded trace one at a time. A row comes back as a request whose arrival is
 * the raw time: microseconds since the Unix epoch for formats with wall-clock times, since the
 * trace's zero otherwise. {@link RecordedSource} checks the order and moves it to the origin.
 */
abstract class RecordParser implements AutoCloseable {
    protected final Input.Lines lines;

    RecordParser(Input.Lines lines) {
        this.lines = lines;
    }

    /** The next row as a request with its raw time, or null at the end. */
    abstract TraceRequest next();

    /** A raw time as the file writes it, for error messages. */
    abstract String describe(long rawMicros);

    /** What a row's parts are called in messages: columns of a CSV, fields of a JSON object. */
    String columnWord() {
        return "column";
    }

    /** The line the last row came from. */
    int line() {
        return lines.number();
    }

    String where() {
        return lines.file().getFileName().toString();
    }

    @Override
    public void close() {
        lines.close();
    }

    FlotillaException error(String column, String problem) {
        return FlotillaException.invalid("trace", where() + " line " + lines.number() + (column == null ? "" : ", " + columnWord() + " " + column) + ": " + problem);
    }

    FlotillaException error(String problem) {
        return error(null, problem);
    }

    /** The header's column names, from the first line of a CSV that starts with one. */
    List<String> header(String expected) {
        String first = lines.nextNonBlank();
        if (first == null) {
            throw FlotillaException.invalid("trace", "trace file " + lines.file() + " is empty; expected a header " + expected + " and data rows");
        }
        return dev.flotilla.core.Csv.split(stripBom(first).strip());
    }

    /** Where the column called {@code name} (any case) is; an error naming the expected header if nowhere. */
    int column(List<String> cols, String name, String expected) {
        int at = indexOf(cols, name);
        if (at < 0) {
            throw error("header lacks column " + name + "; expected a header like " + expected + ", got " + String.join(",", cols));
        }
        return at;
    }

    static int indexOf(List<String> cols, String name) {
        for (int i = 0; i < cols.size(); i++) {
            if (cols.get(i).strip().equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The row's fields, with its column count checked against the columns the parser reads. */
    List<String> fields(String line, int needed, String expected) {
        List<String> f = dev.flotilla.core.Csv.split(line);
        if (f.size() < needed) {
            throw error("expected " + needed + " comma-separated columns (" + expected + "), got " + f.size() + ": '" + line + "'");
        }
        return f;
    }

    int tokens(String text, String column) {
        String t = text.strip();
        long v;
        try {
            v = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw error(column, "'" + text + "' is not a whole number of tokens");
        }
        if (v < 0) {
            throw error(column, v + " is negative; token counts must be >= 0");
        }
        if (v > Integer.MAX_VALUE) {
            throw error(column, v + " tokens is more than " + Integer.MAX_VALUE);
        }
        return (int) v;
    }

    /** {@code yyyy-MM-dd HH:mm:ss[.fffffffff]} (or {@code T} between) as microseconds since the epoch, read as UTC. */
    long timestamp(String text, String column, String example) {
        String t = text.strip();
        try {
            if (t.length() < 19 || t.charAt(4) != '-' || t.charAt(7) != '-' || (t.charAt(10) != ' ' && t.charAt(10) != 'T')
                    || t.charAt(13) != ':' || t.charAt(16) != ':') {
                throw new DateTimeException("layout");
            }
            LocalDateTime dt = LocalDateTime.of(num(t, 0, 4), num(t, 5, 7), num(t, 8, 10), num(t, 11, 13), num(t, 14, 16), num(t, 17, 19));
            long micros = 0;
            if (t.length() > 19) {
                if (t.charAt(19) != '.' || t.length() == 20 || t.length() > 29) {
                    throw new DateTimeException("fraction");
                }
                // fractional seconds, truncated to microseconds (Azure writes 100-ns digits)
                String frac = (t.substring(20) + "000000").substring(0, 6);
                micros = num(frac, 0, 6);
                num(t, 20, t.length()); // the digits past microseconds must be digits too
            }
            return Math.addExact(Math.multiplyExact(dt.toEpochSecond(ZoneOffset.UTC), 1_000_000L), micros);
        } catch (DateTimeException | ArithmeticException e) {
            throw error(column, "'" + text + "' is not a timestamp like " + example);
        }
    }

    private static int num(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new DateTimeException("digit");
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    static String formatMicros(long epochMicros) {
        return LocalDateTime.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L), (int) Math.floorMod(epochMicros, 1_000_000L) * 1_000, ZoneOffset.UTC)
                .toString().replace('T', ' ');
    }

    static String stripBom(String s) {
        return !s.isEmpty() && s.charAt(0) == '\uFEFF' ? s.substring(1) : s;
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
