package dev.flotilla.autoscale;

import java.time.Duration;
import java.util.Locale;

/** Numbers and durations as decision reasons print them: short, and the same on every machine. */
final class Fmt {
    private Fmt() {}

    /** A rate or ratio with about three significant digits: 14.2, 0.35, 0.042. */
    static String num(double x) {
        double a = Math.abs(x);
        String f = a >= 1 || a == 0 ? "%.1f" : a >= 0.1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, f, x);
    }

    static String pct(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    /** 6 s, 1.5 s, 5 min, 2 h, 90 min. */
    static String dur(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms >= 3_600_000) {
            return ms / 3_600_000 + " h";
        }
        if (ms % 60_000 == 0 && ms >= 120_000) {
            return ms / 60_000 + " min";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + " s";
        }
        return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
