package dev.flotilla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.flotilla.autoscale.ScalingSettings;
import dev.flotilla.cli.client.CliException;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.engine.EngineModel;
import dev.flotilla.sim.Baselines;
import dev.flotilla.sim.PolicyScaler;
import dev.flotilla.sim.Scaler;
import dev.flotilla.sim.SimConfig;
import dev.flotilla.sim.SimRequest;
import dev.flotilla.sim.SimResult;
import dev.flotilla.sim.Simulator;
import dev.flotilla.traces.Trace;
import dev.flotilla.traces.TraceFormat;
import dev.flotilla.traces.TraceReader;
import dev.flotilla.traces.TraceRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla simulate}: replays a trace in virtual time through the production admission
 * queue, router and scaling policies, with the engine model for service times, and prints what
 * each policy cost and how well it served, beside the static-peak and oracle baselines of the same
 * run (same seed, same cold starts).
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Replay a request trace through the scaling policies in virtual time and compare cost and SLO"
                + " attainment against static-peak provisioning and the oracle lower bound.",
        footer = {"", "Example:", "  flotilla simulate --trace ../shared/data/traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv.gz"
                + " --format azure"})
public final class SimulateCommand implements Callable<Integer> {
    static final int DEFAULT_MAX_WORKERS = 64;
    static final List<String> POLICIES = List.of("static-peak", "reactive", "predictive", "oracle");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--trace", required = true, paramLabel = "FILE", description = "The trace file (.csv, .jsonl, .gz, .tar.gz).")
    Path trace;

    @Option(names = "--format", required = true, paramLabel = "F", description = "azure, mooncake, servegen or gentd.")
    String format;

    @Option(names = "--policy", paramLabel = "P", split = ",", description = "Policies to run, default all: static-peak,"
            + " reactive, predictive, oracle.")
    List<String> policies;

    @CommandLine.Mixin
    TraceSelection selection = new TraceSelection();

    @Option(names = "--endpoint", paramLabel = "FILE", description = "The endpoint's settings in YAML, with the endpoint"
            + " API's keys: min_workers, max_workers, min_load, target_util, cold_mult, cold_workers, inactivity_timeout,"
            + " max_queue_time, target_queue_time, ..., capacity (interruptible|on-demand), gpu, model, concurrency."
            + " Options given on the command line win.")
    Path endpoint;

    @Option(names = "--max-workers", paramLabel = "N", description = "Policies' max workers (default 64).")
    Integer maxWorkers;

    @Option(names = "--target-util", paramLabel = "U", description = "Target utilisation (default 0.7).")
    Double targetUtil;

    @Option(names = "--concurrency", paramLabel = "N", description = "Requests one worker serves at once (default 32;"
            + " 1 for gentd, whose requests are image generations with measured service times).")
    Integer concurrency;

    @Option(names = "--on-demand", description = "Rent on demand only (no interruptible capacity, no preemptions).")
    boolean onDemand;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of every random draw (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print one JSON object per policy instead of the table.")
    boolean json;

    @Option(names = "--report", paramLabel = "DIR", description = "Also write results.json, timeline.csv, latency.csv and workers.svg (load and forecast, workers, p99 TTFT) here.")
    Path report;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        List<String> chosen = policies == null || policies.isEmpty() ? POLICIES : policies;
        for (String p : chosen) {
            if (!POLICIES.contains(p)) {
                throw new CliException(CliException.USAGE, "invalid_argument", "unknown policy '" + p + "'; accepted: "
                        + String.join(", ", POLICIES));
            }
        }
        ScalingSettings settings = ScalingSettings.defaults().withWorkers(0, DEFAULT_MAX_WORKERS);
        SimConfig base = SimConfig.defaults();
        boolean concurrencyFromFile = false;
        if (endpoint != null) {
            SimEndpointFile.Loaded loaded = SimEndpointFile.read(endpoint, settings, base);
            settings = loaded.settings();
            base = loaded.config();
            concurrencyFromFile = loaded.concurrencySet();
        }
        Trace t;
        try {
            if (maxWorkers != null) {
                settings = settings.withMaxWorkers(maxWorkers);
            }
            if (targetUtil != null) {
                settings = settings.withTargetUtil(targetUtil);
            }
            t = TraceReader.read(trace, TraceFormat.parse(format), selection.readOptions(seed));
        } catch (FlotillaException e) {
            throw new CliException(CliException.USAGE, e.code().name().toLowerCase(Locale.ROOT), e.getMessage());
        }
        int context = base.deployment().model().maxContext();
        List<SimRequest> requests = new ArrayList<>(t.size());
        long truncated = 0;
        for (TraceRequest r : t.requests()) {
            long service = r.serviceSeconds().isPresent() ? Math.round(r.serviceSeconds().getAsDouble() * 1e6) : -1;
            int output = Math.min(context - 1, Math.max(1, r.outputTokens()));
            int input = Math.max(1, r.inputTokens());
            if (input + output > context) {
                // Longer than the served model's context (Mooncake has prompts of 130k+ tokens): kept, with
                // the prompt cut to fit, so the load stays whole; the count is printed below.
                input = context - output;
                truncated++;
            }
            requests.add(new SimRequest(r.arrivalMicros(), input, output, service));
        }
        int sequences = concurrency != null ? concurrency
                : concurrencyFromFile ? base.concurrency() : t.format() == TraceFormat.GENTD ? 1 : 32;
        if (sequences < 1) {
            throw new CliException(CliException.USAGE, "invalid_argument", "--concurrency must be >= 1, got " + sequences);
        }
        SimConfig cfg = base.withSeed(seed).withConcurrency(sequences).withMaxQueueTime(settings.maxQueueTime());
        if (onDemand) {
            cfg = cfg.withPreemptions(false, 0);
        }
        Simulator sim = new Simulator(cfg, EngineModel.calibrated());
        List<SimResult> results = new ArrayList<>();
        for (String p : chosen) {
            Scaler scaler = switch (p) {
                case "static-peak" -> Baselines.staticPeak(settings.targetUtil());
                case "oracle" -> Baselines.oracle(settings.targetUtil());
                case "reactive" -> PolicyScaler.reactive(settings, cfg.tick());
                case "predictive" -> PolicyScaler.predictive(settings, cfg.tick());
                default -> throw new IllegalStateException(p);
            };
            results.add(sim.run(requests, scaler));
        }
        double oracleCost = results.stream().filter(r -> r.policy().equals("oracle")).mapToDouble(SimResult::costUsd)
                .findFirst().orElse(Double.NaN);
        List<Map<String, Object>> rows = results.stream().map(r -> row(r, oracleCost)).toList();
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        if (json) {
            out.println(mapper.writeValueAsString(rows));
        } else {
            out.printf(Locale.ROOT, "trace %s (%s): %d requests over %.1f h; %s on %s, %d sequences per worker%n",
                    t.name(), format, t.size(), t.stats().span().toSeconds() / 3600.0, cfg.deployment().model().id(),
                    cfg.deployment().gpu().id(), cfg.concurrency());
            if (truncated > 0) {
                out.printf(Locale.ROOT, "%d requests longer than the %d-token context had their prompts cut to fit%n",
                        truncated, context);
            }
            out.printf(Locale.ROOT, "%-12s %10s %9s %9s %9s %9s %9s %9s %11s %11s %8s %12s%n", "POLICY", "COST $", "GPU-H", "ON-DEM %",
                    "x ORACLE", "TTFT OK", "TPOT OK", "REJECTED", "QUEUE P50", "QUEUE P99", "WALL S", "EVENTS/S");
            for (SimResult r : results) {
                out.printf(Locale.ROOT, "%-12s %10.2f %9.2f %8.1f%% %9s %8.2f%% %8.2f%% %9d %9.0fms %9.0fms %8.2f %12.0f%n",
                        r.policy(), r.costUsd(), r.gpuHours(),
                        r.gpuHours() == 0 ? 0 : 100 * r.onDemandGpuHours() / r.gpuHours(), Double.isNaN(oracleCost) ? "-"
                                : String.format(Locale.ROOT, "%.2fx", r.costUsd() / oracleCost),
                        100 * r.ttftSloAttainment(), 100 * r.tpotSloAttainment(), r.rejected(), r.queueMsP50(),
                        r.queueMsP99(), r.wallSeconds(), r.eventsPerSecond());
            }
        }
        if (report != null) {
            writeReport(mapper, rows, results, cfg.ttftSlo().toMillis());
            out.println("report written to " + report);
        }
        out.flush();
        return 0;
    }

    private static String csvNumber(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    private static Map<String, Object> row(SimResult r, double oracleCost) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("policy", r.policy());
        m.put("cost_usd", r.costUsd());
        m.put("gpu_hours", r.gpuHours());
        m.put("on_demand_gpu_hours", r.onDemandGpuHours());
        m.put("cost_vs_oracle", Double.isNaN(oracleCost) || oracleCost == 0 ? null : r.costUsd() / oracleCost);
        m.put("requests", r.requests());
        m.put("ttft_slo_attainment", r.ttftSloAttainment());
        m.put("tpot_slo_attainment", r.tpotSloAttainment());
        m.put("rejected", r.rejected());
        m.put("queue_ms_p50", r.queueMsP50());
        m.put("queue_ms_p99", r.queueMsP99());
        m.put("retried", r.retried());
        m.put("preemptions", r.preemptions());
        m.put("rebalanced", r.rebalanced());
        m.put("events", r.events());
        m.put("wall_seconds", r.wallSeconds());
        m.put("events_per_second", r.eventsPerSecond());
        return m;
    }

    private void writeReport(ObjectMapper mapper, List<Map<String, Object>> rows, List<SimResult> results, double ttftSloMs)
            throws IOException {
        Files.createDirectories(report);
        Files.writeString(report.resolve("results.json"), mapper.writeValueAsString(rows));
        StringBuilder csv = new StringBuilder("policy,seconds,arrivals_per_s,workers,desired,forecast_rps,forecast_upper_rps\n");
        for (SimResult r : results) {
            for (SimResult.Point p : r.timeline()) {
                csv.append(r.policy()).append(',').append(p.seconds()).append(',').append(p.arrivalsPerSecond()).append(',')
                        .append(p.workers()).append(',').append(p.desired()).append(',').append(csvNumber(p.forecastRps()))
                        .append(',').append(csvNumber(p.forecastUpperRps())).append('\n');
            }
        }
        Files.writeString(report.resolve("timeline.csv"), csv);
        StringBuilder lat = new StringBuilder("policy,seconds,requests,queue_ms_p99,ttft_ms_p99,rejected\n");
        for (SimResult r : results) {
            for (SimResult.Latency l : r.latency()) {
                lat.append(r.policy()).append(',').append(l.seconds()).append(',').append(l.requests()).append(',')
                        .append(l.queueMsP99()).append(',').append(l.ttftMsP99()).append(',').append(l.rejected())
                        .append('\n');
            }
        }
        Files.writeString(report.resolve("latency.csv"), lat);
        Files.writeString(report.resolve("workers.svg"), Plots.workersSvg(results, ttftSloMs));
    }
}
