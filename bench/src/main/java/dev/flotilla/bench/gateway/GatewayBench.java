package dev.flotilla.bench.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Gateway throughput and latency against two baselines measured in the same run on the same
 * machine: the fast upstream called directly, and nginx as a plain reverse proxy in front of it.
 * The gateway runs with everything on (API key, rate limit, admission, least-load routing, a worker
 * token per request, usage metering). Cells: {direct, nginx, gateway} x {non-streaming, streaming}
 * x connections (16 and 64 by default), the three targets of a cell back to back so they share the
 * machine's noise, the target order rotated each round; after the rounds, each figure is the
 * median over rounds and each ratio the median of the same-round ratios. Per run it also records
 * where the CPU went ({@link CpuSampler}), which explains a ratio and exposes a run that another
 * process disturbed.
 *
 * <p>Targets (issue 3): gateway/nginx throughput at least 0.5 non-streaming and 0.4 streaming, and
 * under 1 ms added to the direct p50 at 16 connections. Load is {@code wrk} with {@code -t2}; on a
 * small machine wrk, nginx, the upstream and the gateway share the same cores, so the ratios, not
 * the absolute numbers, are the result.
 *
 * <p>Usage: {@code GatewayBench [--out file.json]}, settings from the environment (see
 * {@code bench/run-gateway.sh}): {@code BENCH_WARMUP_S}, {@code BENCH_SECONDS}, {@code BENCH_ROUNDS},
 * {@code BENCH_CONNECTIONS}, {@code BENCH_WRK_THREADS}, {@code BENCH_UPSTREAM_INSTANCES},
 * {@code BENCH_JIT_MAX_S}, {@code BENCH_MAX_OTHERS}, {@code BENCH_RETRIES}, {@code NGINX}, {@code WRK}.
 */
public final class GatewayBench {
    private static final String PATH = "/v1/chat/completions";
    private static final String REQUEST = "{\"model\":\"" + FastUpstream.MODEL + "\",\"messages\":["
            + "{\"role\":\"system\",\"content\":\"You are a concise assistant.\"},"
            + "{\"role\":\"user\",\"content\":\"In one sentence: why should a gateway send each request to the least "
            + "loaded worker of an endpoint?\"}],\"max_tokens\":64,\"temperature\":0.7";
    private static final String NON_STREAMING_BODY = REQUEST + "}";
    private static final String STREAMING_BODY = REQUEST + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
    /** 16 content chunks, the usage chunk and [DONE]. */
    private static final int STREAM_EVENTS = FastUpstream.CHUNKS + 2;
    /** Compilation time in one warm-up cycle under which the JIT counts as settled. */
    private static final long JIT_QUIET_MS = 500;

    enum Target {
        DIRECT, NGINX, GATEWAY;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    enum Mode {
        NON_STREAMING("non-streaming", 0.5), STREAMING("streaming", 0.4);

        final String label;
        final double targetRatio;

        Mode(String label, double targetRatio) {
            this.label = label;
            this.targetRatio = targetRatio;
        }
    }

    record Settings(int warmupSeconds, int seconds, int rounds, List<Integer> connections, int wrkThreads,
            int upstreamInstances, int jitMaxSeconds, double maxOthers, int retries, String nginx, String wrk,
            Path out) {
        static Settings from(Map<String, String> env, String[] args) {
            Path out = Path.of("bench/target/gateway-bench.json");
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--out") && i + 1 < args.length) {
                    out = Path.of(args[++i]);
                } else {
                    throw new IllegalArgumentException("unknown argument '" + args[i] + "'; accepted: --out <file.json>");
                }
            }
            return new Settings(positive(env, "BENCH_WARMUP_S", 1), positive(env, "BENCH_SECONDS", 4),
                    positive(env, "BENCH_ROUNDS", 3),
                    connections(env.getOrDefault("BENCH_CONNECTIONS", "16,64")),
                    positive(env, "BENCH_WRK_THREADS", 2),
                    positive(env, "BENCH_UPSTREAM_INSTANCES", Runtime.getRuntime().availableProcessors()),
                    positive(env, "BENCH_JIT_MAX_S", 60),
                    number(env, "BENCH_MAX_OTHERS", 0.5), (int) number(env, "BENCH_RETRIES", 1),
                    env.getOrDefault("NGINX", "/usr/sbin/nginx"), env.getOrDefault("WRK", "/usr/bin/wrk"), out);
        }

        private static List<Integer> connections(String list) {
            try {
                List<Integer> counts = Arrays.stream(list.split(",")).map(String::strip).map(Integer::parseInt).toList();
                if (!counts.isEmpty() && counts.stream().allMatch(c -> c > 0)) {
                    return counts;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("BENCH_CONNECTIONS must be positive integers separated by commas, "
                    + "e.g. 16,64; got '" + list + "'");
        }

        private static double number(Map<String, String> env, String name, double dflt) {
            String v = env.get(name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            try {
                double d = Double.parseDouble(v.strip());
                if (d >= 0) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(name + " must be a number >= 0, got '" + v + "'");
        }

        private static int positive(Map<String, String> env, String name, int dflt) {
            String v = env.get(name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            int n;
            try {
                n = Integer.parseInt(v.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a positive integer, got '" + v + "'");
            }
            if (n <= 0) {
                throw new IllegalArgumentException(name + " must be a positive integer, got " + n);
            }
            return n;
        }
    }

    /** One measured wrk run and the CPU use during it. */
    record Run(int round, Target target, Mode mode, int connections, Wrk.Result wrk, CpuSampler.Sample cpu) {}

    /** The medians over rounds of one target in one cell. */
    record Cell(Target target, Mode mode, int connections, double requestsPerSecond, double minRequestsPerSecond,
            double maxRequestsPerSecond, double p50Ms, double p99Ms, double machineBusyCores, double otherCores,
            CpuPerRequest cpuPerRequest) {}

    /** Median CPU microseconds per request of each part of the path (0 where a part is not on it). */
    record CpuPerRequest(double gateway, double upstream, double nginx, double wrk, double jvmOther) {
        double total() {
            return gateway + upstream + nginx + wrk + jvmOther;
        }
    }

    /** Median same-round ratios of one (mode, connections) cell. */
    record Ratios(Mode mode, int connections, double gatewayToNginx, double gatewayToDirect, double nginxToDirect,
            double addedP50VsDirectMs, double addedP50VsNginxMs, double nginxToGatewayCpuPerRequest,
            double gatewayLoops, double gatewayBusiestLoop, int gatewayLoopsActive) {}

    private GatewayBench() {}

    public static void main(String[] args) throws Exception {
        Settings s = Settings.from(System.getenv(), args);
        requireExecutable(s.nginx(), "nginx (Debian package 'nginx'; or set NGINX)");
        requireExecutable(s.wrk(), "wrk (Debian package 'wrk'; or set WRK)");
        Path dir = Files.createTempDirectory("flotilla-gateway-bench");
        ChildProcesses children = new ChildProcesses();
        Wrk wrk = new Wrk(s.wrk(), s.wrkThreads(), children);
        Map<Mode, Path> scripts = new EnumMap<>(Mode.class);
        scripts.put(Mode.NON_STREAMING, Wrk.script(dir, "non-streaming", PATH, NON_STREAMING_BODY));
        scripts.put(Mode.STREAMING, Wrk.script(dir, "streaming", PATH, STREAMING_BODY));

        System.out.printf(Locale.ROOT, "%s %s, %d cores; %s; %s%n", System.getProperty("java.vm.name"),
                Runtime.version(), Runtime.getRuntime().availableProcessors(), version(s.nginx(), "-v"),
                version(s.wrk(), "-v"));
        System.out.printf(Locale.ROOT, "%d s warm-up + %d s measured per run, %d round(s), connections %s, wrk -t%d, "
                        + "upstream %d event loop(s); scratch dir %s%n%n", s.warmupSeconds(), s.seconds(), s.rounds(),
                s.connections(), s.wrkThreads(), s.upstreamInstances(), dir);

        List<Run> runs = new ArrayList<>();
        long gatewayRequests = 0;
        UsageMeter.Totals usage;
        try (FastUpstream upstream = FastUpstream.start(s.upstreamInstances());
                BenchGateway gateway = new BenchGateway(URI.create("http://127.0.0.1:" + upstream.port()));
                Nginx nginx = Nginx.start(s.nginx(), dir, upstream.port(), children)) {
            Map<Target, Integer> ports = new EnumMap<>(Target.class);
            ports.put(Target.DIRECT, upstream.port());
            ports.put(Target.NGINX, nginx.port());
            ports.put(Target.GATEWAY, gateway.port());
            for (Target t : Target.values()) {
                preflight(t, ports.get(t));
            }
            gatewayRequests += 2; // the preflight's two requests through the gateway
            System.out.println("preflight: each target answers the chat completion with usage, and streams "
                    + STREAM_EVENTS + " data events (" + FastUpstream.CHUNKS + " chunks, usage, [DONE])");
            gatewayRequests += jitWarmup(s, wrk, scripts, ports);
            System.out.println();

            List<Target> order = new ArrayList<>(List.of(Target.values()));
            for (int r = 1; r <= s.rounds(); r++) {
                int round = r;
                for (Mode mode : Mode.values()) {
                    for (int connections : s.connections()) {
                        for (Target t : order) {
                            String url = "http://127.0.0.1:" + ports.get(t) + PATH;
                            Wrk.Result warm = wrk.run(url, scripts.get(mode), connections, s.warmupSeconds());
                            List<Run> attempts = measure(s, wrk, url, scripts.get(mode), connections,
                                    (res, cpu) -> new Run(round, t, mode, connections, res, cpu), upstream);
                            Run run = attempts.stream().min(Comparator.comparingDouble(a -> a.cpu().others()))
                                    .orElseThrow();
                            if (t == Target.GATEWAY) {
                                gatewayRequests += warm.requests()
                                        + attempts.stream().mapToLong(a -> a.wrk().requests()).sum();
                            }
                            runs.add(run);
                        }
                    }
                }
                order.add(order.removeFirst());
            }
            usage = gateway.usage();
        }
        report(s, runs, usage, gatewayRequests);
        deleteTree(dir); // kept when the run failed, for nginx's error.log
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * One measured run, repeated (at most {@code BENCH_RETRIES} more times) while processes outside
     * the benchmark used more than {@code BENCH_MAX_OTHERS} cores during it: on a shared machine a
     * run that lost a core to someone's build measures the build. Returns every attempt; the caller
     * keeps the least disturbed.
     */
    private static List<Run> measure(Settings s, Wrk wrk, String url, Path script, int connections,
            BiFunction<Wrk.Result, CpuSampler.Sample, Run> toRun, FastUpstream upstream)
            throws IOException, InterruptedException {
        List<Run> attempts = new ArrayList<>();
        for (int attempt = 0; attempt <= s.retries(); attempt++) {
            CpuSampler cpu = CpuSampler.start();
            Wrk.Result r = wrk.run(url, script, connections, s.seconds());
            Run run = toRun.apply(r, cpu.stop(upstream.threadIds()));
            System.out.println(line(run));
            attempts.add(run);
            if (run.cpu().others() <= s.maxOthers()) {
                break;
            }
        }
        return attempts;
    }

    /**
     * Load through the gateway and directly, in 2 s blocks alternating the modes, until a whole cycle
     * compiles less than {@value #JIT_QUIET_MS} ms (at least two cycles, at most
     * {@code BENCH_JIT_MAX_S}). On two cores the JIT's compiler threads take a core from the
     * gateway for tens of seconds after it first sees traffic; a fixed 2 s warm-up measured the
     * compiler, not the gateway (1-1.6k instead of 6-9k req/s non-streaming). Compilation time is
     * wall time, inflated when the compiler threads wait for a core. nginx needs no warm-up.
     *
     * @return the requests sent through the gateway
     */
    private static long jitWarmup(Settings s, Wrk wrk, Map<Mode, Path> scripts, Map<Target, Integer> ports)
            throws IOException, InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        int connections = s.connections().stream().mapToInt(Integer::intValue).max().orElse(16);
        long start = System.nanoTime();
        long deadline = start + s.jitMaxSeconds() * 1_000_000_000L;
        long gatewayRequests = 0;
        long compiled;
        int cycles = 0;
        List<Long> series = new ArrayList<>();
        do {
            long before = jit.getTotalCompilationTime();
            for (Target t : List.of(Target.GATEWAY, Target.DIRECT)) {
                for (Mode mode : Mode.values()) {
                    Wrk.Result r = wrk.run("http://127.0.0.1:" + ports.get(t) + PATH, scripts.get(mode), connections, 2);
                    if (t == Target.GATEWAY) {
                        gatewayRequests += r.requests();
                    }
                }
            }
            compiled = jit.getTotalCompilationTime() - before;
            series.add(compiled);
            cycles++;
        } while ((cycles < 2 || compiled >= JIT_QUIET_MS) && System.nanoTime() < deadline);
        System.out.printf(Locale.ROOT, "JIT warm-up: %.0f s of load through the gateway and directly; ms compiling "
                        + "per 8 s cycle: %s%s%n", (System.nanoTime() - start) / 1e9, series,
                compiled >= JIT_QUIET_MS ? " (still compiling: BENCH_JIT_MAX_S reached)" : "");
        return gatewayRequests;
    }

    private static void report(Settings s, List<Run> runs, UsageMeter.Totals usage, long gatewayRequests)
            throws IOException {
        List<Cell> cells = new ArrayList<>();
        List<Ratios> ratios = new ArrayList<>();
        for (Mode mode : Mode.values()) {
            for (int c : s.connections()) {
                for (Target t : Target.values()) {
                    List<Run> rs = select(runs, t, mode, c);
                    cells.add(new Cell(t, mode, c, median(rs, r -> r.wrk().requestsPerSecond()),
                            rs.stream().mapToDouble(r -> r.wrk().requestsPerSecond()).min().orElse(Double.NaN),
                            rs.stream().mapToDouble(r -> r.wrk().requestsPerSecond()).max().orElse(Double.NaN),
                            median(rs, r -> r.wrk().p50Ms()), median(rs, r -> r.wrk().p99Ms()),
                            median(rs, r -> r.cpu().machineBusy()), median(rs, r -> r.cpu().others()),
                            new CpuPerRequest(perRequest(rs, CpuSampler.Sample::gatewayLoops),
                                    perRequest(rs, CpuSampler.Sample::upstreamLoops),
                                    perRequest(rs, CpuSampler.Sample::nginx),
                                    median(rs, r -> 1e6 * r.wrk().wrkCpuSeconds() / r.wrk().requests()),
                                    perRequest(rs, CpuSampler.Sample::jvmOther))));
                }
                List<Run> direct = select(runs, Target.DIRECT, mode, c);
                List<Run> nginx = select(runs, Target.NGINX, mode, c);
                List<Run> gateway = select(runs, Target.GATEWAY, mode, c);
                List<double[]> paired = new ArrayList<>();
                for (int i = 0; i < gateway.size(); i++) {
                    Wrk.Result d = direct.get(i).wrk();
                    Wrk.Result n = nginx.get(i).wrk();
                    Wrk.Result g = gateway.get(i).wrk();
                    paired.add(new double[] {g.requestsPerSecond() / n.requestsPerSecond(),
                        g.requestsPerSecond() / d.requestsPerSecond(), n.requestsPerSecond() / d.requestsPerSecond(),
                        g.p50Ms() - d.p50Ms(), g.p50Ms() - n.p50Ms(),
                        cpuPerRequest(nginx.get(i)) / cpuPerRequest(gateway.get(i))});
                }
                ratios.add(new Ratios(mode, c, medianOf(paired, 0), medianOf(paired, 1), medianOf(paired, 2),
                        medianOf(paired, 3), medianOf(paired, 4), medianOf(paired, 5), median(gateway, r -> r.cpu().gatewayLoops()),
                        median(gateway, r -> r.cpu().gatewayBusiestLoop()),
                        (int) median(gateway, r -> r.cpu().gatewayLoopsActive())));
            }
        }

        System.out.printf(Locale.ROOT, "%nMedians over %d round(s) of %d s (req/s range over rounds in brackets):%n",
                s.rounds(), s.seconds());
        System.out.printf(Locale.ROOT, "%-8s %-14s %5s %8s %15s %7s %7s | %6s %6s | %7s %8s %6s %5s %4s %5s%n",
                "target", "mode", "conns", "req/s", "(min-max)", "p50 ms", "p99 ms", "busy", "others", "gateway",
                "upstream", "nginx", "wrk", "jvm", "total");
        for (Cell c : cells) {
            CpuPerRequest u = c.cpuPerRequest();
            System.out.printf(Locale.ROOT,
                    "%-8s %-14s %5d %8.0f %15s %7.2f %7.2f | %6.2f %6.2f | %7.0f %8.0f %6.0f %5.0f %4.0f %5.0f%n",
                    c.target().label(), c.mode().label, c.connections(), c.requestsPerSecond(),
                    String.format(Locale.ROOT, "(%.0f-%.0f)", c.minRequestsPerSecond(), c.maxRequestsPerSecond()),
                    c.p50Ms(), c.p99Ms(), c.machineBusyCores(), c.otherCores(), u.gateway(), u.upstream(), u.nginx(),
                    u.wrk(), u.jvmOther(), u.total());
        }
        System.out.println("busy: cores busy on the machine; others: cores used by processes outside this benchmark; "
                + "then CPU microseconds per request by part (jvm: JIT, GC and the rest of the benchmark's JVM)");

        System.out.printf(Locale.ROOT, "%nRatios (median of same-round ratios); gw loops: cores the gateway's "
                + "event loops used together / the busiest loop's share of one core / loops above 5%% of a core;%n"
                + "cpu n/gw: CPU per request of the whole nginx path over the whole gateway path (wrk included), "
                + "a throughput ratio that other processes' load does not skew:%n");
        System.out.printf(Locale.ROOT, "%-14s %5s %9s %10s %12s %14s %13s %11s %16s%n", "mode", "conns", "gw/nginx",
                "gw/direct", "nginx/direct", "+p50 vs direct", "+p50 vs nginx", "cpu n/gw", "gw loops");
        for (Ratios r : ratios) {
            System.out.printf(Locale.ROOT, "%-14s %5d %8.2fx %9.2fx %11.2fx %11.2f ms %10.2f ms %10.2fx %16s%n",
                    r.mode().label, r.connections(), r.gatewayToNginx(), r.gatewayToDirect(), r.nginxToDirect(),
                    r.addedP50VsDirectMs(), r.addedP50VsNginxMs(), r.nginxToGatewayCpuPerRequest(),
                    String.format(Locale.ROOT, "%.2f / %.0f%% / %d",
                            r.gatewayLoops(), 100 * r.gatewayBusiestLoop(), r.gatewayLoopsActive()));
        }

        System.out.println();
        List<Map<String, Object>> verdicts = new ArrayList<>();
        for (Ratios r : ratios) {
            boolean pass = r.gatewayToNginx() >= r.mode().targetRatio;
            String what = String.format(Locale.ROOT, "gateway/nginx throughput %s c=%d >= %.1fx", r.mode().label,
                    r.connections(), r.mode().targetRatio);
            System.out.printf(Locale.ROOT, "%-4s %-56s (%.2fx)%n", pass ? "PASS" : "MISS", what, r.gatewayToNginx());
            verdicts.add(verdict(what, pass, r.gatewayToNginx()));
        }
        for (Ratios r : ratios) {
            if (r.connections() == 16) {
                boolean pass = r.addedP50VsDirectMs() < 1.0;
                String what = "added p50 vs direct " + r.mode().label + " c=16 < 1 ms";
                System.out.printf(Locale.ROOT, "%-4s %-56s (%.2f ms)%n", pass ? "PASS" : "MISS", what,
                        r.addedP50VsDirectMs());
                verdicts.add(verdict(what, pass, r.addedP50VsDirectMs()));
            }
        }

        long errors = runs.stream().filter(r -> !r.wrk().clean()).count();
        System.out.printf(Locale.ROOT, "%nMetering: %d usage records (by status %s; %d estimated), %d prompt + %d "
                        + "completion tokens, for %d requests wrk counted through the gateway (the difference: "
                        + "answers in flight when a wrk run stopped)%n", usage.requests(), usage.requestsByStatus(),
                usage.estimated(), usage.promptTokens(), usage.completionTokens(), gatewayRequests);
        if (errors > 0) {
            System.out.printf(Locale.ROOT, "WARNING: %d run(s) had non-2xx answers or socket errors (see above)%n",
                    errors);
        }

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("settings", s);
        json.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version());
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("cells", cells);
        json.put("ratios", ratios);
        json.put("verdicts", verdicts);
        json.put("usage", usage);
        json.put("gatewayRequestsCountedByWrk", gatewayRequests);
        json.put("runs", runs);
        Path out = s.out().toAbsolutePath();
        Files.createDirectories(out.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
        System.out.println("Results: " + out);
    }

    private static Map<String, Object> verdict(String what, boolean pass, double measured) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("target", what);
        v.put("measured", measured);
        v.put("result", pass ? "PASS" : "MISS");
        return v;
    }

    private static List<Run> select(List<Run> runs, Target t, Mode mode, int connections) {
        return runs.stream()
                .filter(r -> r.target() == t && r.mode() == mode && r.connections() == connections)
                .sorted(Comparator.comparingInt(Run::round))
                .toList();
    }

    private static String line(Run run) {
        Wrk.Result r = run.wrk();
        CpuSampler.Sample cpu = run.cpu();
        return String.format(Locale.ROOT, "round %d  %-8s %-14s c=%-3d %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  "
                        + "machine %.2f cores busy, others %.2f%s%s", run.round(), run.target().label(), run.mode().label,
                run.connections(), r.requestsPerSecond(), r.p50Ms(), r.p99Ms(), cpu.machineBusy(), cpu.others(),
                cpu.busiestOthers().isEmpty() ? "" : " (" + cpu.busiestOthers() + ")",
                r.clean() ? "" : "  ERRORS: " + r.non2xx() + " non-2xx, " + r.socketErrors() + " socket errors");
    }

    /** CPU microseconds per request of the whole path: wrk, nginx and this JVM. */
    private static double cpuPerRequest(Run r) {
        CpuSampler.Sample c = r.cpu();
        double cores = c.gatewayLoops() + c.upstreamLoops() + c.nginx() + c.jvmOther();
        return 1e6 * (cores / r.wrk().requestsPerSecond() + r.wrk().wrkCpuSeconds() / r.wrk().requests());
    }

    private static double perRequest(List<Run> runs, ToDoubleFunction<CpuSampler.Sample> cores) {
        return median(runs, r -> 1e6 * cores.applyAsDouble(r.cpu()) / r.wrk().requestsPerSecond());
    }

    private static double median(List<Run> runs, ToDoubleFunction<Run> f) {
        return median(runs.stream().mapToDouble(f).toArray());
    }

    private static double medianOf(List<double[]> rows, int column) {
        return median(rows.stream().mapToDouble(r -> r[column]).toArray());
    }

    private static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    /**
     * One request of each kind through {@code target}: the completion must carry {@code usage}, the
     * stream must be {@code text/event-stream} with all of its events and end with [DONE], so that
     * the benchmark never times a path that answers something else (an error, a buffered stream).
     */
    private static void preflight(Target target, int port) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (http) {
            HttpResponse<String> plain = http.send(request(port, NON_STREAMING_BODY), HttpResponse.BodyHandlers.ofString());
            if (plain.statusCode() != 200 || !plain.body().contains("\"usage\":{\"prompt_tokens\"")) {
                throw new IllegalStateException(target.label() + " answered the non-streaming request with HTTP "
                        + plain.statusCode() + ": " + plain.body());
            }
            HttpResponse<Stream<String>> sse = http.send(request(port, STREAMING_BODY), HttpResponse.BodyHandlers.ofLines());
            List<String> data;
            try (Stream<String> lines = sse.body()) {
                data = lines.filter(l -> l.startsWith("data: ")).toList();
            }
            String type = sse.headers().firstValue("Content-Type").orElse("");
            if (sse.statusCode() != 200 || !type.startsWith("text/event-stream") || data.size() != STREAM_EVENTS
                    || !data.getLast().equals("data: [DONE]") || !data.get(data.size() - 2).contains("\"usage\":{")) {
                throw new IllegalStateException(target.label() + " answered the streaming request with HTTP "
                        + sse.statusCode() + " " + type + " and " + data.size() + " data events, expected "
                        + STREAM_EVENTS + " ending with usage and [DONE]: " + data);
            }
        }
    }

    private static HttpRequest request(int port, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + PATH))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + BenchGateway.API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private static void requireExecutable(String path, String what) {
        if (!Files.isExecutable(Path.of(path))) {
            throw new IllegalStateException("missing " + what + ": " + path + " is not an executable; "
                    + "bench/run-gateway.sh installs both with apt-get when run as root");
        }
    }

    private static String version(String binary, String flag) {
        try {
            Process p = new ProcessBuilder(binary, flag).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("?");
            p.waitFor();
            return out.strip();
        } catch (IOException e) {
            return binary + " (version unknown)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return binary + " (version unknown)";
        }
    }
}
