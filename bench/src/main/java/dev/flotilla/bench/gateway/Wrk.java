package dev.flotilla.bench.gateway;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code wrk --latency} (the Debian package) as a child process with a Lua script that POSTs
 * one chat request, and reads requests per second and the latency percentiles from its report.
 * wrk is closed-loop: each connection sends its next request when the previous answer has fully
 * arrived (for a stream: after {@code data: [DONE]} and the last chunk), so latency is the whole
 * answer's.
 */
final class Wrk {
    private static final Pattern RPS = Pattern.compile("^Requests/sec:\\s+([\\d.]+)\\s*$", Pattern.MULTILINE);
    private static final Pattern TOTAL = Pattern.compile("^\\s*(\\d+) requests in ([\\d.]+)(us|ms|s|m|h),", Pattern.MULTILINE);
    private static final Pattern PERCENTILE = Pattern.compile("^\\s*(50|75|90|99)%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$",
            Pattern.MULTILINE);
    private static final Pattern NON_2XX = Pattern.compile("^\\s*Non-2xx or 3xx responses: (\\d+)", Pattern.MULTILINE);
    private static final Pattern SOCKET_ERRORS = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    private static final Pattern TIMES = Pattern.compile("^(\\d+)m([\\d.]+)s (\\d+)m([\\d.]+)s$", Pattern.MULTILINE);

    private final String binary;
    private final int threads;
    private final ChildProcesses children;

    Wrk(String binary, int threads, ChildProcesses children) {
        this.binary = requireNonNull(binary, "binary is null");
        this.threads = threads;
        this.children = requireNonNull(children, "children is null");
    }

    /** One wrk report. Latencies in milliseconds; {@code wrkCpuSeconds}: wrk's own user + system time. */
    record Result(double requestsPerSecond, long requests, double seconds, double p50Ms, double p75Ms, double p90Ms,
            double p99Ms, long non2xx, long socketErrors, double wrkCpuSeconds) {
        boolean clean() {
            return non2xx == 0 && socketErrors == 0 && requests > 0;
        }
    }

    /** Writes the Lua script that sends {@code body} with the bench API key to {@code path}. */
    static Path script(Path dir, String name, String path, String body) throws IOException {
        Path file = dir.resolve(name + ".lua");
        Files.writeString(file, String.join("\n",
                "wrk.method = \"POST\"",
                "wrk.path = \"" + path + "\"",
                "wrk.headers[\"Content-Type\"] = \"application/json\"",
                "wrk.headers[\"Authorization\"] = \"Bearer " + BenchGateway.API_KEY + "\"",
                "wrk.body = [==[" + body + "]==]",
                ""), StandardCharsets.UTF_8);
        return file;
    }

    /** Runs wrk for {@code seconds} with {@code connections} against {@code url}. */
    Result run(String url, Path script, int connections, int seconds) throws IOException, InterruptedException {
        // Through bash only for its `times`: wrk's own CPU time, which wrk does not report.
        Process p = new ProcessBuilder("bash", "-c", "\"$0\" \"$@\"; rc=$?; times; exit $rc", binary,
                "-t" + Math.min(threads, connections), "-c" + connections, "-d" + seconds + "s", "--latency", "-s",
                script.toString(), url)
                .redirectErrorStream(true)
                .start();
        children.add(p);
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("wrk did not end:\n" + out);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("wrk exited with status " + p.exitValue() + ":\n" + out);
        }
        return parse(out);
    }

    static Result parse(String out) {
        Matcher rps = RPS.matcher(out);
        Matcher total = TOTAL.matcher(out);
        if (!rps.find() || !total.find()) {
            throw new IllegalStateException("cannot read wrk's report:\n" + out);
        }
        double[] pct = new double[4];
        int found = 0;
        Matcher m = PERCENTILE.matcher(out);
        while (m.find()) {
            int slot = switch (m.group(1)) {
                case "50" -> 0;
                case "75" -> 1;
                case "90" -> 2;
                default -> 3;
            };
            pct[slot] = millis(Double.parseDouble(m.group(2)), m.group(3));
            found++;
        }
        if (found != 4) {
            throw new IllegalStateException("wrk's report has no latency distribution (run with --latency):\n" + out);
        }
        long non2xx = 0;
        Matcher n = NON_2XX.matcher(out);
        if (n.find()) {
            non2xx = Long.parseLong(n.group(1));
        }
        long socketErrors = 0;
        Matcher s = SOCKET_ERRORS.matcher(out);
        if (s.find()) {
            for (int g = 1; g <= 4; g++) {
                socketErrors += Long.parseLong(s.group(g));
            }
        }
        double cpu = 0;
        Matcher t = TIMES.matcher(out);
        while (t.find()) { // the last line of `times` is the children's (wrk's) user and system time
            cpu = Integer.parseInt(t.group(1)) * 60 + Double.parseDouble(t.group(2)) + Integer.parseInt(t.group(3)) * 60
                    + Double.parseDouble(t.group(4));
        }
        return new Result(Double.parseDouble(rps.group(1)), Long.parseLong(total.group(1)),
                millis(Double.parseDouble(total.group(2)), total.group(3)) / 1000, pct[0], pct[1], pct[2], pct[3],
                non2xx, socketErrors, cpu);
    }

    private static double millis(double value, String unit) {
        return switch (unit.toLowerCase(Locale.ROOT)) {
            case "us" -> value / 1000;
            case "ms" -> value;
            case "s" -> value * 1000;
            case "m" -> value * 60_000;
            case "h" -> value * 3_600_000;
            default -> throw new IllegalArgumentException("unknown wrk time unit '" + unit + "'");
        };
    }
}
