package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The summary of a {@code flotilla load} run, as text for people and as a JSON object for scripts.
 * Latency percentiles are over the OK requests only (a fast 429 is not a fast answer); errors are
 * grouped by HTTP status (or {@code stream}, {@code no-response}) and then by error code.
 */
record LoadReport(Schedule schedule, long sent, long ok, Map<String, Map<String, Long>> errors,
        Map<String, String> errorExamples, long skipped, long unfinished, Percentiles latency, Percentiles ttft,
        long promptTokens, long completionTokens, long maxLagNanos, long lateSends) {

    LoadReport {
        requireNonNull(schedule, "schedule is null");
        Map<String, Map<String, Long>> copy = new TreeMap<>();
        errors.forEach((k, v) -> copy.put(k, Collections.unmodifiableMap(new TreeMap<>(v))));
        errors = Collections.unmodifiableMap(copy);
        errorExamples = Map.copyOf(errorExamples);
        requireNonNull(latency, "latency is null");
        requireNonNull(ttft, "ttft is null");
    }

    /** What was replayed against what. */
    record Setup(String trace, String format, String baseUrl, String model, String api, boolean stream) {
        Setup {
            requireNonNull(trace, "trace is null");
            requireNonNull(format, "format is null");
            requireNonNull(baseUrl, "baseUrl is null");
            requireNonNull(model, "model is null");
            requireNonNull(api, "api is null");
        }
    }

    /** Why the replay stopped sending. */
    enum StopReason {
        END_OF_TRACE("end of trace"), LIMIT("--limit reached"), DURATION("--duration reached"), INTERRUPTED("interrupted"),
        TRACE_ERROR("trace error");

        final String text;

        StopReason(String text) {
            this.text = text;
        }
    }

    /**
     * How the replay went in time.
     *
     * @param speedup trace time / wall time
     * @param maxConcurrency the bound on requests in flight
     * @param scheduledSpanNanos the last replayed request's scheduled send time after the start: (its arrival - the
     *     first's) / speedup
     * @param sendSpanNanos when the last request was actually sent (or skipped), after the start
     * @param wallNanos the whole run, draining included
     */
    record Schedule(Setup setup, double speedup, int maxConcurrency, long scheduledSpanNanos, long sendSpanNanos, long wallNanos,
            StopReason stoppedBy) {
        Schedule {
            requireNonNull(setup, "setup is null");
            requireNonNull(stoppedBy, "stoppedBy is null");
        }
    }

    /** Nanoseconds; -1 where there were no samples. */
    record Percentiles(long p50, long p90, long p99, long max) {
        boolean empty() {
            return p50 < 0;
        }
    }

    long replayed() {
        return sent + skipped;
    }

    long errorTotal() {
        return errors.values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
    }

    /** Requests per second the trace asked for: replayed / scheduled span; NaN for a single instant. */
    double intendedRps() {
        return rate(replayed(), schedule.scheduledSpanNanos());
    }

    /** Requests per second actually sent over the time the sending took. */
    double achievedRps() {
        return rate(sent, schedule.sendSpanNanos());
    }

    double traceSeconds() {
        return schedule.scheduledSpanNanos() / 1e9 * schedule.speedup();
    }

    private static double rate(long n, long nanos) {
        return nanos <= 0 ? Double.NaN : n / (nanos / 1e9);
    }

    /** The summary for people, several lines. */
    String text() {
        Setup s = schedule.setup();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "summary: %s trace %s, %d requests replayed in %s (%s of trace at %sx), stopped: %s%n",
                s.format(), s.trace(), replayed(), elapsed(schedule.wallNanos()), elapsed((long) (traceSeconds() * 1e9)),
                times(schedule.speedup()), schedule.stoppedBy().text));
        b.append(String.format(Locale.ROOT, "  sent       %8d   %s/s achieved of %s/s intended; max send lag %s (%d sent > %d ms late)%n",
                sent, number(achievedRps()), number(intendedRps()), millis(maxLagNanos), lateSends,
                LoadStats.LATE_NANOS / 1_000_000));
        b.append(String.format(Locale.ROOT, "  ok         %8d   %s/s over the run; usage reported: %d prompt, %d completion tokens%n",
                ok, number(rate(ok, schedule.wallNanos())), promptTokens, completionTokens));
        b.append(String.format(Locale.ROOT, "  errors     %8d   %s%n", errorTotal(), errors.isEmpty() ? "-" : errorsText()));
        b.append(String.format(Locale.ROOT, "  skipped    %8d   %s%n", skipped, skipped == 0 ? "-"
                : "skipped (client bound): " + schedule.maxConcurrency() + " requests were in flight (--max-concurrency)"));
        if (unfinished > 0) {
            b.append(String.format(Locale.ROOT, "  unfinished %8d   still in flight when the run ended%n", unfinished));
        }
        b.append("  latency    ").append(percentilesText(latency)).append("   (OK requests, send to last byte)\n");
        if (s.stream()) {
            b.append("  ttft       ").append(percentilesText(ttft)).append("   (OK streams, send to first token)\n");
        }
        errorExamples.entrySet().stream().sorted(Map.Entry.comparingByKey()).limit(5).forEach(e -> b.append("  e.g. ")
                .append(e.getKey()).append(": ").append(abbreviate(e.getValue())).append('\n'));
        return b.toString();
    }

    /** {@code 429 x7 (queue_full 2, rate_limit_exceeded 5); 503 x3 (no_capacity 3)} */
    String errorsText() {
        List<String> parts = new ArrayList<>();
        errors.forEach((key, codes) -> {
            long n = codes.values().stream().mapToLong(Long::longValue).sum();
            List<String> c = new ArrayList<>();
            codes.forEach((code, count) -> c.add(code + " " + count));
            parts.add(key + " x" + n + " (" + String.join(", ", c) + ")");
        });
        return String.join("; ", parts);
    }

    private static String percentilesText(Percentiles p) {
        if (p.empty()) {
            return "-";
        }
        return "p50 " + millis(p.p50()) + "   p90 " + millis(p.p90()) + "   p99 " + millis(p.p99()) + "   max " + millis(p.max());
    }

    /** The summary for scripts: snake_case keys, times in milliseconds and seconds, rates per second. */
    Map<String, Object> json() {
        Setup s = schedule.setup();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trace", s.trace());
        m.put("format", s.format());
        m.put("base_url", s.baseUrl());
        m.put("model", s.model());
        m.put("api", s.api());
        m.put("stream", s.stream());
        m.put("speedup", schedule.speedup());
        m.put("max_concurrency", schedule.maxConcurrency());
        m.put("stopped_by", schedule.stoppedBy().name().toLowerCase(Locale.ROOT));
        m.put("replayed", replayed());
        m.put("sent", sent);
        m.put("ok", ok);
        m.put("errors", errorTotal());
        Map<String, Object> byStatus = new LinkedHashMap<>();
        errors.forEach((key, codes) -> byStatus.put(key, Map.of("count", codes.values().stream().mapToLong(Long::longValue).sum(),
                "codes", new TreeMap<>(codes))));
        m.put("errors_by_status", byStatus);
        m.put("error_examples", new TreeMap<>(errorExamples));
        m.put("skipped", skipped);
        m.put("skipped_reason", skipped == 0 ? null : "client bound: --max-concurrency " + schedule.maxConcurrency() + " requests in flight");
        m.put("unfinished", unfinished);
        m.put("wall_seconds", schedule.wallNanos() / 1e9);
        m.put("trace_seconds", traceSeconds());
        m.put("intended_rps", finite(intendedRps()));
        m.put("achieved_rps", finite(achievedRps()));
        m.put("ok_rps", finite(rate(ok, schedule.wallNanos())));
        m.put("latency_ms", percentilesJson(latency));
        m.put("ttft_ms", s.stream() ? percentilesJson(ttft) : null);
        m.put("prompt_tokens", promptTokens);
        m.put("completion_tokens", completionTokens);
        m.put("max_send_lag_ms", maxLagNanos / 1e6);
        m.put("late_sends", lateSends);
        return m;
    }

    private static Map<String, Object> percentilesJson(Percentiles p) {
        if (p.empty()) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", p.p50() / 1e6);
        m.put("p90", p.p90() / 1e6);
        m.put("p99", p.p99() / 1e6);
        m.put("max", p.max() / 1e6);
        return m;
    }

    private static Double finite(double d) {
        return Double.isFinite(d) ? d : null;
    }

    /** {@code 812 ms}, {@code 2.41 s}; {@code -} for no sample. */
    static String millis(long nanos) {
        if (nanos < 0) {
            return "-";
        }
        if (nanos < 1_000_000_000L) {
            return String.format(Locale.ROOT, "%d ms", Math.round(nanos / 1e6));
        }
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    /** {@code 45s}, {@code 3m05s}, {@code 2h10m}. */
    static String elapsed(long nanos) {
        long s = Math.round(nanos / 1e9);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }

    /** A speedup as written: {@code 4}, {@code 0.5}. */
    static String times(double speedup) {
        return java.math.BigDecimal.valueOf(speedup).stripTrailingZeros().toPlainString();
    }

    /** Two decimals under 100, none above; {@code -} for NaN. */
    static String number(double d) {
        if (!Double.isFinite(d)) {
            return "-";
        }
        return d < 100 ? String.format(Locale.ROOT, "%.2f", d) : String.format(Locale.ROOT, "%.0f", d);
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() <= 160 ? one : one.substring(0, 157) + "...";
    }
}
