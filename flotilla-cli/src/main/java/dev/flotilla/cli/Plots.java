package dev.flotilla.cli;

import dev.flotilla.sim.SimResult;
import java.util.List;
import java.util.Locale;

/**
 * Plots for the simulator's report as plain SVG (no plotting library): the load over time, and
 * each policy's workers on the same time axis, so "scaled before the ramp" is visible at a glance.
 */
final class Plots {
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
    private static final int W = 1000;
    private static final int H = 260;
    private static final int PAD = 50;

    private Plots() {}

    static String workersSvg(List<SimResult> results) {
        double maxT = 1;
        double maxRate = 1;
        double maxWorkers = 1;
        for (SimResult r : results) {
            for (SimResult.Point p : r.timeline()) {
                maxT = Math.max(maxT, p.seconds());
                maxRate = Math.max(maxRate, p.arrivalsPerSecond());
                maxWorkers = Math.max(maxWorkers, p.workers());
            }
        }
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", W, 2 * H + 40));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        panel(s, 0, "arrivals per second (10 s ticks), peak " + fmt(maxRate));
        if (!results.isEmpty()) {
            polyline(s, 0, results.get(0).timeline(), maxT, maxRate, true, "#444444");
        }
        panel(s, H + 20, "workers (ready + starting), max " + fmt(maxWorkers));
        for (int i = 0; i < results.size(); i++) {
            String c = COLOURS[i % COLOURS.length];
            polyline(s, H + 20, results.get(i).timeline(), maxT, maxWorkers, false, c);
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n", W - 160,
                    H + 50 + 16 * i, c, results.get(i).policy()));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">hours from the trace start (0 to %s)</text>%n",
                W / 2 - 100, 2 * H + 35, fmt(maxT / 3600)));
        return s.append("</svg>\n").toString();
    }

    private static void panel(StringBuilder s, int top, String title) {
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", PAD, top + 15, title));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
                PAD, top + 20, W - 2 * PAD, H - 40));
    }

    private static void polyline(StringBuilder s, int top, List<SimResult.Point> points, double maxT, double maxY,
            boolean rate, String colour) {
        StringBuilder pts = new StringBuilder();
        int step = Math.max(1, points.size() / 2000); // at most ~2000 points per line
        for (int i = 0; i < points.size(); i += step) {
            SimResult.Point p = points.get(i);
            double v = rate ? p.arrivalsPerSecond() : p.workers();
            double x = PAD + (W - 2 * PAD) * p.seconds() / maxT;
            double y = top + 20 + (H - 40) * (1 - v / maxY);
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" points=\"%s\"/>%n",
                colour, pts.toString().strip()));
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
