package dev.flotilla.traces;

import dev.flotilla.core.FlotillaException;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The arrival model of a ServeGen workload (alibaba/ServeGen, Apache-2.0): per client, one row per
 * window {@code window_start_s,rate_rps,cv,distribution,param1,param2} (no header). A row with an
 * empty distribution and rate 0 is an idle window. {@code param1} is the shape and {@code param2}
 * the scale of the fitted inter-arrival distribution, as scipy writes them: for the Gamma rows
 * {@code cv = 1/sqrt(param1)} exactly, and for busy windows {@code param1 * param2 = 1/rate}
 * (Weibull: {@code param2 * Gamma(1 + 1/param1) = 1/rate}).
 *
 * <p>Read from a tar (gzip or not) of {@code <category>/<model>/chunk-<client>-trace.csv} entries,
 * with or without a leading {@code data/}, or from a single such CSV. Other entries (ServeGen's
 * {@code chunk-N-dataset.json} length distributions) are not read: the shared archives have none.
 */
final class ServeGenModel {
    private static final Pattern ENTRY = Pattern.compile("(?:^|.*/)chunk-(\\d+)-trace\\.csv$");
    static final String ROW = "window_start_s,rate_rps,cv,distribution,param1,param2";
    /** A window's length where the next row does not give it: ServeGen's 600 s. */
    static final long DEFAULT_WINDOW_SECONDS = 600;
    /** About 31,000 years: keeps every offset in microseconds within a long. */
    static final long MAX_WINDOW_START = 1_000_000_000_000L;

    /** One client's windows, sorted by start. Distribution codes: -1 idle, else a {@link Renewal.Kind} ordinal. */
    record Client(int id, long[] start, long[] length, double[] rate, byte[] kind, double[] shape) {
        /** Expected arrivals in {@code [from, until)} seconds at {@code scale} times the recorded rates. */
        double expected(double fromS, double untilS, double scale) {
            double sum = 0;
            for (int i = 0; i < start.length; i++) {
                double lo = Math.max(start[i], fromS);
                double hi = Math.min(start[i] + length[i], untilS);
                if (hi > lo) {
                    sum += rate[i] * scale * (hi - lo);
                }
            }
            return sum;
        }
    }

    final String category;
    final String model;
    final List<Client> clients;

    private ServeGenModel(String category, String model, List<Client> clients) {
        this.category = category;
        this.model = model;
        this.clients = clients;
    }

    String name() {
        return category.isEmpty() ? model : category + "/" + model;
    }

    static ServeGenModel load(Path file, boolean sortUnsorted) {
        try (InputStream in = new BufferedInputStream(Input.open(file), Input.BUFFER)) {
            in.mark(TarReader.BLOCK);
            byte[] head = in.readNBytes(TarReader.BLOCK);
            in.reset();
            if (head.length == 0) {
                throw FlotillaException.invalid("trace", "trace file " + file + " is empty; expected a ServeGen tar of chunk-N-trace.csv or one such CSV");
            }
            if (TarReader.isHeader(head)) {
                return fromTar(file, new TarReader(in), sortUnsorted);
            }
            String[] cm = categoryAndModel(file.toAbsolutePath().normalize().toString());
            Client c = parseCsv(file.getFileName().toString(), clientId(file.getFileName().toString(), 0), in, sortUnsorted);
            return new ServeGenModel(cm[0], cm[1].isEmpty() ? Input.baseName(file) : cm[1], List.of(c));
        } catch (IOException e) {
            throw Input.unreadable(file, e);
        }
    }

    private static ServeGenModel fromTar(Path file, TarReader tar, boolean sortUnsorted) throws IOException {
        List<Client> clients = new ArrayList<>();
        String category = null;
        String model = null;
        for (TarReader.Entry e = tar.next(); e != null; e = tar.next()) {
            Matcher m = ENTRY.matcher(e.name());
            if (!m.matches()) {
                continue;
            }
            if (category == null) {
                String[] cm = categoryAndModel(e.name());
                category = cm[0];
                model = cm[1];
            }
            clients.add(parseCsv(e.name(), clientId(e.name(), clients.size()), new ByteArrayInputStream(e.data()), sortUnsorted));
        }
        if (clients.isEmpty()) {
            throw FlotillaException.invalid("trace", "trace file " + file + " has no <category>/<model>/chunk-<N>-trace.csv entries; is it a ServeGen archive?");
        }
        clients.sort(Comparator.comparingInt(Client::id));
        for (int i = 1; i < clients.size(); i++) {
            if (clients.get(i).id() == clients.get(i - 1).id()) {
                throw FlotillaException.invalid("trace", "trace file " + file + " has two entries for client " + clients.get(i).id());
            }
        }
        return new ServeGenModel(category, model.isEmpty() ? Input.baseName(file) : model, List.copyOf(clients));
    }

    /** {@code .../language/m-small/chunk-7-trace.csv} -> {@code [language, m-small]}. */
    static String[] categoryAndModel(String path) {
        String[] parts = path.replace('\\', '/').split("/");
        int n = parts.length;
        String model = n >= 2 ? parts[n - 2] : "";
        String category = n >= 3 ? parts[n - 3] : "";
        return new String[] {category, model};
    }

    private static int clientId(String name, int fallback) {
        Matcher m = ENTRY.matcher(name);
        if (m.matches()) {
            try {
                return Integer.parseInt(m.group(1));
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    private static Client parseCsv(String where, int id, InputStream in, boolean sortUnsorted) {
        Input.Lines lines = new Input.Lines(in, Path.of(where));
        int n = 0;
        long[] start = new long[2048];
        double[] rate = new double[2048];
        byte[] kind = new byte[2048];
        double[] shape = new double[2048];
        int[] lineOf = new int[2048];
        String line;
        while ((line = lines.next()) != null) {
            if (line.isBlank()) {
                continue;
            }
            if (n == start.length) {
                start = Arrays.copyOf(start, 2 * n);
                rate = Arrays.copyOf(rate, 2 * n);
                kind = Arrays.copyOf(kind, 2 * n);
                shape = Arrays.copyOf(shape, 2 * n);
                lineOf = Arrays.copyOf(lineOf, 2 * n);
            }
            String[] f = line.split(",", -1);
            int ln = lines.number();
            if (f.length != 6) {
                throw error(where, ln, null, "expected 6 columns (" + ROW + "), got " + f.length + ": '" + line + "'");
            }
            start[n] = windowStart(where, ln, f[0]);
            double r = number(where, ln, "rate_rps", f[1]);
            if (r < 0) {
                throw error(where, ln, "rate_rps", f[1] + " is negative; rates must be >= 0");
            }
            rate[n] = r;
            double cv = number(where, ln, "cv", f[2]);
            if (cv < 0) {
                throw error(where, ln, "cv", f[2] + " is negative");
            }
            String dist = f[3].strip();
            double p1 = number(where, ln, "param1", f[4]);
            double p2 = number(where, ln, "param2", f[5]);
            switch (dist) {
                case "" -> kind[n] = (byte) (r > 0 ? Renewal.Kind.EXPONENTIAL.ordinal() : -1);
                case "Exponential", "Poisson" -> kind[n] = (byte) Renewal.Kind.EXPONENTIAL.ordinal();
                case "Gamma", "Weibull" -> {
                    kind[n] = (byte) (dist.equals("Gamma") ? Renewal.Kind.GAMMA : Renewal.Kind.WEIBULL).ordinal();
                    if (!(p1 > 0)) {
                        throw error(where, ln, "param1", dist + " shape must be > 0, got " + f[4]);
                    }
                    if (!(p2 > 0)) {
                        throw error(where, ln, "param2", dist + " scale must be > 0, got " + f[5]);
                    }
                }
                default -> throw error(where, ln, "distribution", "unknown distribution '" + dist + "'; accepted: Gamma, Weibull, Exponential, or empty for an idle window");
            }
            if (r == 0) {
                kind[n] = -1;
            }
            shape[n] = p1;
            lineOf[n] = ln;
            n++;
        }
        if (n == 0) {
            throw FlotillaException.invalid("trace", where + " has no data rows; expected rows " + ROW);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = 1; i < n; i++) {
            if (start[i] <= start[i - 1]) {
                if (start[i] == start[i - 1]) {
                    throw error(where, lineOf[i], "window_start_s", "window " + start[i] + " also starts on line " + lineOf[i - 1]);
                }
                if (!sortUnsorted) {
                    throw error(where, lineOf[i], "window_start_s", "window " + start[i] + " comes after window " + start[i - 1] + " (line " + lineOf[i - 1]
                            + "); rows must be sorted by time (or read with sort-unsorted to sort them)");
                }
                final long[] s = start;
                Arrays.sort(order, Comparator.comparingLong(k -> s[k]));
                for (int k = 1; k < n; k++) {
                    if (start[order[k]] == start[order[k - 1]]) {
                        throw error(where, lineOf[order[k]], "window_start_s", "window " + start[order[k]] + " also starts on line " + lineOf[order[k - 1]]);
                    }
                }
                break;
            }
        }
        long[] st = new long[n];
        long[] len = new long[n];
        double[] ra = new double[n];
        byte[] ki = new byte[n];
        double[] sh = new double[n];
        for (int i = 0; i < n; i++) {
            int k = order[i];
            st[i] = start[k];
            ra[i] = rate[k];
            ki[i] = kind[k];
            sh[i] = shape[k];
        }
        for (int i = 0; i < n; i++) {
            // a window lasts until the next one starts; the last as long as the one before it
            len[i] = i + 1 < n ? st[i + 1] - st[i] : (n > 1 ? Math.min(st[n - 1] - st[n - 2], DEFAULT_WINDOW_SECONDS) : DEFAULT_WINDOW_SECONDS);
        }
        return new Client(id, st, len, ra, ki, sh);
    }

    private static long windowStart(String where, int line, String text) {
        String t = text.strip();
        long v;
        try {
            v = Long.parseLong(t);
        } catch (NumberFormatException e) {
            double d = number(where, line, "window_start_s", text);
            if (d != Math.rint(d) || Math.abs(d) > MAX_WINDOW_START) {
                throw error(where, line, "window_start_s", "'" + text + "' is not a whole number of seconds");
            }
            v = (long) d;
        }
        if (v < 0) {
            throw error(where, line, "window_start_s", v + " is negative; windows start at seconds >= 0");
        }
        if (v > MAX_WINDOW_START) {
            throw error(where, line, "window_start_s", v + " is beyond " + MAX_WINDOW_START + " s (the microsecond offsets would overflow)");
        }
        return v;
    }

    private static double number(String where, int line, String column, String text) {
        double v;
        try {
            v = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw error(where, line, column, "'" + text + "' is not a number");
        }
        if (!Double.isFinite(v)) {
            throw error(where, line, column, "'" + text + "' is not a finite number");
        }
        return v;
    }

    private static FlotillaException error(String where, int line, String column, String problem) {
        return FlotillaException.invalid("trace", where + " line " + line + (column == null ? "" : ", column " + column) + ": " + problem);
    }
}
