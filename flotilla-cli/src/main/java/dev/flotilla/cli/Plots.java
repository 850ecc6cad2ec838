package dev.flotilla.cli;

import dev.flotilla.sim.SimResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Plots for the simulator's report as plain SVG (no plotting library), three panels on one time
 * axis: the load with the predictive policy's forecast over its lead time, each policy's workers,
 * and each policy's per-minute p99 time to first token against the SLO, so "scaled before the
 * ramp" and "paid for it in latency" are visible at a glance.
 *
 * <p>A long run has far more ticks than pixels: each line is drawn from the maximum of every
 * {@code 1 / MAX_POINTS} of the time axis, so a short burst or latency spike stays visible instead
 * of falling between sampled points.
 */
final class Plots {
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
    private static final int W = 1000;
    private static final int H = 240;
    private static final int LEFT = 60;
    private static final int RIGHT = 150;
    private static final int TOP = 30;
    private static final int MAX_POINTS = 800;

    private Plots() {}

    /** The three panels; {@code ttftSloMs} draws the SLO line on the latency panel. */
    static String workersSvg(List<SimResult> results, double ttftSloMs) {
        double maxT = 1;
        double maxRate = 1e-9;
        double maxWorkers = 1;
        double maxLatency = ttftSloMs;
        for (SimResult r : results) {
            for (SimResult.Point p : r.timeline()) {
                maxT = Math.max(maxT, p.seconds());
                maxRate = Math.max(maxRate, p.arrivalsPerSecond());
                if (!Double.isNaN(p.forecastUpperRps())) {
                    maxRate = Math.max(maxRate, p.forecastUpperRps());
                }
                maxWorkers = Math.max(maxWorkers, p.workers());
            }
            for (SimResult.Latency l : r.latency()) {
                maxLatency = Math.max(maxLatency, l.ttftMsP99());
            }
        }
        double hours = maxT / 3600;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", W, 3 * H + 50));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");

        Panel load = new Panel(0, "arrivals per second (max per interval) and the predictive forecast over its lead time",
                0, niceMax(maxRate), false, maxT);
        load.frame(s);
        if (!results.isEmpty()) {
            load.line(s, results.get(0).timeline(), SimResult.Point::seconds, SimResult.Point::arrivalsPerSecond,
                    "#888888", "");
            load.legend(s, 0, "#888888", "arrivals", "");
        }
        int legend = 1;
        for (SimResult r : results) {
            if (r.timeline().stream().anyMatch(p -> !Double.isNaN(p.forecastRps()))) {
                load.line(s, r.timeline(), SimResult.Point::seconds, SimResult.Point::forecastRps, "#2ca02c", "6,3");
                load.line(s, r.timeline(), SimResult.Point::seconds, SimResult.Point::forecastUpperRps, "#98df8a", "2,3");
                load.legend(s, legend++, "#2ca02c", r.policy() + " forecast", "6,3");
                load.legend(s, legend++, "#98df8a", "p90 upper bound", "2,3");
                break;
            }
        }

        // a multiple of 4, so that the four grid steps fall on whole workers
        double workersTop = 4 * Math.ceil(niceMax(maxWorkers) / 4);
        Panel workers = new Panel(H + 10, "workers (ready + starting, max per interval)", 0, workersTop, false, maxT);
        workers.frame(s);
        for (int i = 0; i < results.size(); i++) {
            String c = COLOURS[i % COLOURS.length];
            workers.line(s, results.get(i).timeline(), SimResult.Point::seconds, p -> p.workers(), c, "");
            workers.legend(s, i, c, results.get(i).policy(), "");
        }

        Panel latency = new Panel(2 * H + 20, "p99 time to first token per minute of arrivals, ms (log scale; dashed: SLO)",
                10, Math.pow(10, Math.ceil(Math.log10(Math.max(100, maxLatency)))), true, maxT);
        latency.frame(s);
        latency.horizontal(s, ttftSloMs, "#d62728", "4,4");
        for (int i = 0; i < results.size(); i++) {
            String c = COLOURS[i % COLOURS.length];
            latency.line(s, results.get(i).latency(), l -> l.seconds() + SimResult.LATENCY_BUCKET_SECONDS / 2.0,
                    SimResult.Latency::ttftMsP99, c, "");
            latency.legend(s, i, c, results.get(i).policy(), "");
        }

        double every = hourTicks(hours);
        boolean minutes = hours <= 2; // a short trace reads better in minutes
        for (int k = 0; k * every <= hours + 1e-9; k++) {
            double h = k * every;
            double x = LEFT + (W - LEFT - RIGHT) * h / hours;
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x,
                    3 * H + 28, fmt(Math.round((minutes ? h * 60 : h) * 1000) / 1000.0)));
            for (int panel = 0; panel < 3; panel++) {
                int top = panel * (H + 10) + TOP;
                s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>%n",
                        x, x, top, top + H - TOP - 10));
            }
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s from the trace start</text>%n",
                LEFT + (W - LEFT - RIGHT) / 2, 3 * H + 45, minutes ? "minutes" : "hours"));
        return s.append("</svg>\n").toString();
    }

    /** One panel: a frame, a y axis (linear or log), lines and a legend to its right. */
    private record Panel(int top, String title, double minY, double maxY, boolean log, double maxT) {
        double y(double v) {
            double f = log ? (Math.log10(Math.max(v, minY)) - Math.log10(minY)) / (Math.log10(maxY) - Math.log10(minY))
                    : (v - minY) / (maxY - minY);
            return top + TOP + (H - TOP - 10) * (1 - Math.max(0, Math.min(1, f)));
        }

        double x(double seconds) {
            return LEFT + (W - LEFT - RIGHT) * seconds / maxT;
        }

        void frame(StringBuilder s) {
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT, top + 20, title));
            s.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n", LEFT, top + TOP,
                    W - LEFT - RIGHT, H - TOP - 10));
            List<Double> ticks = new ArrayList<>();
            if (log) {
                for (double v = minY; v <= maxY * 1.0001; v *= 10) {
                    ticks.add(v);
                }
            } else {
                for (int k = 0; k <= 4; k++) {
                    ticks.add(minY + (maxY - minY) * k / 4);
                }
            }
            for (double v : ticks) {
                s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>%n",
                        LEFT, W - RIGHT, y(v), y(v)));
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 5,
                        y(v) + 4, fmt(v)));
            }
        }

        void horizontal(StringBuilder s, double v, String colour, String dash) {
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
                    + " stroke-dasharray=\"%s\"/>%n", LEFT, W - RIGHT, y(v), y(v), colour, dash));
        }

        void legend(StringBuilder s, int row, String colour, String label, String dash) {
            int y = top + TOP + 12 + 16 * row;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\""
                    + " stroke-width=\"2\"%s/>%n", W - RIGHT + 10, W - RIGHT + 30, y - 4, y - 4, colour,
                    dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\""));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", W - RIGHT + 35, y, label));
        }

        /** The maximum of {@code value} in each of {@link #MAX_POINTS} intervals, NaN values skipped. */
        <T> void line(StringBuilder s, List<T> points, ToDoubleFunction<T> seconds, ToDoubleFunction<T> value,
                String colour, String dash) {
            double[] max = new double[MAX_POINTS];
            java.util.Arrays.fill(max, Double.NaN);
            for (T p : points) {
                double v = value.applyAsDouble(p);
                if (Double.isNaN(v)) {
                    continue;
                }
                int b = (int) Math.min(MAX_POINTS - 1, Math.max(0, seconds.applyAsDouble(p) / maxT * MAX_POINTS));
                max[b] = Double.isNaN(max[b]) ? v : Math.max(max[b], v);
            }
            StringBuilder pts = new StringBuilder();
            for (int b = 0; b < MAX_POINTS; b++) {
                if (!Double.isNaN(max[b])) {
                    pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x((b + 0.5) * maxT / MAX_POINTS), y(max[b])));
                }
            }
            if (pts.isEmpty()) {
                return;
            }
            s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\"%s points=\"%s\"/>%n",
                    colour, dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\"", pts.toString().strip()));
        }
    }

    /** Hours between time-axis labels: a round step (minutes, hours, days) giving at most 8 labels. */
    static double hourTicks(double hours) {
        for (double step : new double[] {1 / 60.0, 5 / 60.0, 10 / 60.0, 0.25, 0.5, 1, 2, 3, 6, 12, 24, 48, 72, 96, 168}) {
            if (hours / step <= 8) {
                return step;
            }
        }
        return 168 * Math.ceil(hours / 168 / 8);
    }

    /** 1, 2 or 5 times a power of ten, at least {@code v}. */
    static double niceMax(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v * (1 - 1e-12)) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String fmt(double v) {
        if (v >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, v >= 1 ? "%.1f" : "%.2f", v);
    }
}
