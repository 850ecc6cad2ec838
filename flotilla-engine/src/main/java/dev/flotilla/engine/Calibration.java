package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.flotilla.core.Csv;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Compares the engine model with measurements and fits its efficiency factors. Pure: it reads the
 * shared data files it is pointed at and computes; nothing else.
 *
 * <p><b>Kernel profiles.</b> microsoft/vidur (MIT) measured, with CUDA events, each operation of a
 * transformer layer for 1 to 4,096 (Llama-2-7B) or 32,768 (Llama-3-8B) tokens at tensor parallel
 * 1, 2, 4 and 8, on A100 and H100. For every profiled point the engine predicts the four
 * projections of one layer (attn_pre_proj = QKV, attn_post_proj = O, mlp_up_proj = gate and up,
 * mlp_down_proj = down) with {@code EngineModel.projectionSeconds} and compares with the sum of
 * their median times. vidur's device configuration names the A100 and H100 as 80 GB parts without a
 * form factor; they are compared with the SXM datasheets of the GPU catalog (the H100 profile
 * streams weights at 2.6 TB/s, above any PCIe H100, so it is an SXM part; the A100 could be the
 * 80 GB PCIe board, whose 1,935 GB/s would make its fitted bandwidth factor about 5% conservative).
 *
 * <p><b>Fit.</b> Per GPU, {@code computeEfficiency}, {@code bandwidthEfficiency} and
 * {@code kernelLatency} minimise the mean over buckets (data set, power-of-two token count, tensor
 * parallel degree) of the mean |ln(predicted / measured)|: a grid, then coordinate descent. Buckets
 * weigh decode-sized and prefill-sized points equally, although the files hold far more large
 * token counts.
 *
 * <p><b>Serving.</b> {@code serving-measurements.csv} holds offline output throughput of vLLM,
 * SGLang and LMDeploy on one H100 SXM (Llama-3.1-8B, bf16, 1,000 ShareGPT prompts). The model
 * predicts {@link EngineModel#offlineOutputThroughput} with ShareGPT means of
 * {@value #SHAREGPT_MEAN_INPUT} prompt and {@value #SHAREGPT_MEAN_OUTPUT} completion tokens:
 * vllm-project/vllm pull request 18566 reports 229,711 input and 203,068 generated tokens for
 * 1,000 ShareGPT prompts with the Llama-3.1-8B tokenizer. The per-sequence CPU time is fitted on
 * the vLLM figure ({@link #fitSequenceOverhead}), so agreement with vLLM is by construction; the
 * independent check is that SGLang and LMDeploy, which overlap their CPU work with the GPU, land
 * near the model's GPU time alone.
 *
 * <p>Run {@link #main} to print the fitted factors and the tables of
 * {@code docs/engine-calibration.md}.
 */
public final class Calibration {
    /** Mean ShareGPT prompt length in Llama-3 tokens (vLLM PR 18566: 229,711 over 1,000 prompts). */
    public static final double SHAREGPT_MEAN_INPUT = 229.7;
    /** Mean ShareGPT completion length in Llama-3 tokens (vLLM PR 18566: 203,068 over 1,000 prompts). */
    public static final double SHAREGPT_MEAN_OUTPUT = 203.1;

    private static final List<String> PROJECTIONS =
            List.of("attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj");

    /** One vidur profile file: which GPU, which model. */
    public record DataSet(String name, String gpuId, String modelId, String path) {
        public DataSet {
            requireNonNull(name, "name is null");
            requireNonNull(gpuId, "gpuId is null");
            requireNonNull(modelId, "modelId is null");
            requireNonNull(path, "path is null");
        }
    }

    /** The profiles under {@code shared/data}. */
    public static final List<DataSet> VIDUR = List.of(
            new DataSet("A100 Llama-2-7B", "A100_SXM4_80GB", "Llama-2-7b",
                    "profiling/vidur/a100/meta-llama/Llama-2-7b-hf/mlp.csv.gz"),
            new DataSet("A100 Llama-3-8B", "A100_SXM4_80GB", "Meta-Llama-3-8B",
                    "profiling/vidur/a100/meta-llama/Meta-Llama-3-8B/mlp.csv.gz"),
            new DataSet("H100 Llama-2-7B", "H100_SXM", "Llama-2-7b",
                    "profiling/vidur/h100/meta-llama/Llama-2-7b-hf/mlp.csv.gz"));

    /** One profiled point: measured and predicted time of one layer's four projections. */
    public record Point(int tokens, int tensorParallel, double measuredMs, double predictedMs) {
        /** {@code predicted / measured - 1}. */
        public double error() {
            return predictedMs / measuredMs - 1;
        }
    }

    /** Predicted against measured for one data set. */
    public record DataSetReport(DataSet dataSet, List<Point> points) {
        public DataSetReport {
            requireNonNull(dataSet, "dataSet is null");
            points = List.copyOf(points);
        }

        /** Median of |error|. */
        public double medianError() {
            return quantile(absErrors(), 0.5);
        }

        /** 90th percentile of |error|. */
        public double p90Error() {
            return quantile(absErrors(), 0.9);
        }

        /** Largest |error|. */
        public double maxError() {
            return quantile(absErrors(), 1.0);
        }

        /** Mean signed error: positive when the model predicts too slow. */
        public double bias() {
            return points.stream().mapToDouble(Point::error).average().orElse(0);
        }

        private double[] absErrors() {
            return points.stream().mapToDouble(p -> Math.abs(p.error())).sorted().toArray();
        }
    }

    /**
     * One published end-to-end figure against the model's steady-state prediction
     * ({@link EngineModel#offlineOutputThroughput}), with and without the engine's CPU overheads.
     */
    public record ServingCheck(String engine, String gpuId, String modelId, String precision, String workload,
            double measured, double predicted, double predictedGpuOnly, String source) {
        /** {@code predicted / measured - 1}. */
        public double error() {
            return predicted / measured - 1;
        }

        /** {@code predictedGpuOnly / measured - 1}. */
        public double gpuOnlyError() {
            return predictedGpuOnly / measured - 1;
        }
    }

    /** Everything {@link #run} compared. */
    public record Report(List<DataSetReport> dataSets, List<ServingCheck> serving) {
        public Report {
            dataSets = List.copyOf(dataSets);
            serving = List.copyOf(serving);
        }

        /** The tables of {@code docs/engine-calibration.md}, in Markdown. */
        public String toMarkdown() {
            StringBuilder sb = new StringBuilder();
            sb.append("| data set | GPU | points | median error | p90 error | max error | bias |\n");
            sb.append("|---|---|---:|---:|---:|---:|---:|\n");
            for (DataSetReport r : dataSets) {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f%% | %.1f%% | %.1f%% | %+.1f%% |%n",
                        r.dataSet().name(), r.dataSet().gpuId(), r.points().size(), 100 * r.medianError(),
                        100 * r.p90Error(), 100 * r.maxError(), 100 * r.bias()));
            }
            sb.append("\nRepresentative points (one layer's QKV + O + gate/up + down, milliseconds):\n\n");
            sb.append("| data set | tokens | TP | measured | predicted | error |\n");
            sb.append("|---|---:|---:|---:|---:|---:|\n");
            for (DataSetReport r : dataSets) {
                for (Point p : representative(r.points())) {
                    sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %.3f | %.3f | %+.1f%% |%n",
                            r.dataSet().name(), p.tokens(), p.tensorParallel(), p.measuredMs(), p.predictedMs(),
                            100 * p.error()));
                }
            }
            if (!serving.isEmpty()) {
                sb.append("\nServing measurements (output tokens/s; ShareGPT means ").append(SHAREGPT_MEAN_INPUT)
                        .append(" in / ").append(SHAREGPT_MEAN_OUTPUT).append(" out):\n\n");
                sb.append("| engine | GPU | model | measured | predicted | error | GPU time only | error |\n");
                sb.append("|---|---|---|---:|---:|---:|---:|---:|\n");
                for (ServingCheck c : serving) {
                    sb.append(String.format(Locale.ROOT, "| %s | %s | %s %s | %.0f | %.0f | %+.1f%% | %.0f | %+.1f%% |%n",
                            c.engine(), c.gpuId(), c.modelId(), c.precision(), c.measured(), c.predicted(),
                            100 * c.error(), c.predictedGpuOnly(), 100 * c.gpuOnlyError()));
                }
            }
            return sb.toString();
        }

        private static List<Point> representative(List<Point> points) {
            List<Point> out = new ArrayList<>();
            for (int tp : new int[] {1, 8}) {
                for (int tokens : new int[] {1, 64, 256, 1024, 4096, 32768}) {
                    points.stream().filter(p -> p.tokens() == tokens && p.tensorParallel() == tp).findFirst()
                            .ifPresent(out::add);
                }
            }
            return out;
        }
    }

    private Calibration() {}

    /** Compares {@code engine} with every vidur point and every serving measurement under {@code sharedData}. */
    public static Report run(Path sharedData, EngineModel engine) {
        requireNonNull(sharedData, "sharedData is null");
        requireNonNull(engine, "engine is null");
        List<DataSetReport> reports = new ArrayList<>();
        for (DataSet ds : VIDUR) {
            reports.add(new DataSetReport(ds, predict(engine, ds, readProfile(sharedData, ds))));
        }
        return new Report(reports, serving(sharedData, engine));
    }

    /** The measured rows of one profile, in file order. */
    record Row(int tokens, int tensorParallel, double measuredMs) {}

    static List<Row> readProfile(Path sharedData, DataSet ds) {
        ModelShape model = ModelCatalog.defaultCatalog().get(ds.modelId());
        Path file = sharedData.resolve(ds.path());
        List<Row> rows = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
                BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw),
                        StandardCharsets.UTF_8))) {
            Map<String, Integer> col = new HashMap<>();
            List<String> header = Csv.split(r.readLine());
            for (int i = 0; i < header.size(); i++) {
                col.put(header.get(i), i);
            }
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                List<String> v = Csv.split(line);
                checkShape(ds, model, v, col);
                double ms = 0;
                for (String op : PROJECTIONS) {
                    ms += Double.parseDouble(v.get(column(col, "time_stats." + op + ".median", ds)));
                }
                rows.add(new Row(Integer.parseInt(v.get(column(col, "num_tokens", ds))),
                        Integer.parseInt(v.get(column(col, "num_tensor_parallel_workers", ds))), ms));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read vidur profile " + file, e);
        }
        return rows;
    }

    private static int column(Map<String, Integer> col, String name, DataSet ds) {
        Integer i = col.get(name);
        if (i == null) {
            throw new IllegalStateException(ds.path() + " has no column " + name);
        }
        return i;
    }

    /** The profile's model columns must be the catalog model's, or the comparison means nothing. */
    private static void checkShape(DataSet ds, ModelShape m, List<String> v, Map<String, Integer> col) {
        int[] expected = {m.attentionHeads(), m.kvHeads(), m.hiddenSize(), m.intermediateSize()};
        String[] names = {"n_head", "n_kv_head", "n_embd", "n_expanded_embd"};
        for (int i = 0; i < names.length; i++) {
            int got = Integer.parseInt(v.get(column(col, names[i], ds)));
            if (got != expected[i]) {
                throw new IllegalStateException(ds.path() + ": " + names[i] + " " + got + " differs from "
                        + m.id() + "'s " + expected[i]);
            }
        }
    }

    private static List<Point> predict(EngineModel engine, DataSet ds, List<Row> rows) {
        ModelShape model = ModelCatalog.defaultCatalog().get(ds.modelId());
        GpuSpec gpu = gpu(ds.gpuId());
        Map<Integer, Deployment> byTp = new HashMap<>();
        List<Point> points = new ArrayList<>(rows.size());
        for (Row row : rows) {
            Deployment d = byTp.computeIfAbsent(row.tensorParallel(),
                    tp -> new Deployment(model, gpu, tp, WeightPrecision.BF16, KvPrecision.BITS_16));
            points.add(new Point(row.tokens(), row.tensorParallel(), row.measuredMs(),
                    engine.projectionSeconds(d, row.tokens()) * 1e3));
        }
        return points;
    }

    private static GpuSpec gpu(String id) {
        return GpuCatalog.defaultCatalog().byId(id)
                .orElseThrow(() -> new IllegalStateException("GPU " + id + " missing from the GPU catalog"));
    }

    // ---------------------------------------------------------------------------------------------
    // Serving measurements

    /** One row of {@code serving-measurements.csv}. */
    record Measurement(String engine, String gpuId, int gpus, String modelId, String precision, String workload,
            String metric, double value, String source) {}

    static List<Measurement> readServing(Path sharedData) {
        Path file = sharedData.resolve("serving-measurements.csv");
        List<Measurement> out = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> header = Csv.split(lines.getFirst());
            for (String line : lines.subList(1, lines.size())) {
                if (line.isBlank()) {
                    continue;
                }
                List<String> v = Csv.split(line);
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    row.put(header.get(i), i < v.size() ? v.get(i) : "");
                }
                out.add(new Measurement(row.get("engine"), row.get("gpu"), Integer.parseInt(row.get("gpus")),
                        row.get("model"), row.get("precision"), row.get("workload"), row.get("metric"),
                        Double.parseDouble(row.get("value")), row.get("source")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }

    private static List<ServingCheck> serving(Path sharedData, EngineModel engine) {
        EngineModel gpuOnly = engine.withOverheads(0, 0);
        List<ServingCheck> checks = new ArrayList<>();
        for (Measurement m : readServing(sharedData)) {
            if (!m.metric().equals("output_throughput") || !m.workload().contains("ShareGPT")) {
                continue;
            }
            Deployment d = servingDeployment(m);
            checks.add(new ServingCheck(m.engine(), m.gpuId(), m.modelId(), m.precision(), m.workload(), m.value(),
                    engine.offlineOutputThroughput(d, SHAREGPT_MEAN_INPUT, SHAREGPT_MEAN_OUTPUT),
                    gpuOnly.offlineOutputThroughput(d, SHAREGPT_MEAN_INPUT, SHAREGPT_MEAN_OUTPUT), m.source()));
        }
        return checks;
    }

    private static Deployment servingDeployment(Measurement m) {
        return new Deployment(ModelCatalog.defaultCatalog().get(m.modelId()), gpu(m.gpuId()), m.gpus(),
                WeightPrecision.parse(m.precision()), KvPrecision.BITS_16);
    }

    // ---------------------------------------------------------------------------------------------
    // Fitting

    /** Fits the efficiency factors of each profiled GPU (smoothed roofline, p = 1.5). */
    public static Map<String, Efficiency> fit(Path sharedData) {
        return fit(sharedData, EngineModel.ROOFLINE_EXPONENT);
    }

    static Map<String, Efficiency> fit(Path sharedData, double exponent) {
        Map<String, List<DataSet>> byGpu = new LinkedHashMap<>();
        for (DataSet ds : VIDUR) {
            byGpu.computeIfAbsent(ds.gpuId(), g -> new ArrayList<>()).add(ds);
        }
        Map<String, List<Row>> rows = new HashMap<>();
        for (DataSet ds : VIDUR) {
            rows.put(ds.path(), readProfile(sharedData, ds));
        }
        Map<String, Efficiency> fits = new LinkedHashMap<>();
        for (Map.Entry<String, List<DataSet>> e : byGpu.entrySet()) {
            fits.put(e.getKey(), fitGpu(e.getKey(), e.getValue(), rows, exponent));
        }
        return fits;
    }

    private static Efficiency fitGpu(String gpuId, List<DataSet> sets, Map<String, List<Row>> rows, double exponent) {
        double[] best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (int ci = 10; ci <= 20; ci++) {
            for (int bi = 10; bi <= 20; bi++) {
                for (int li = 0; li <= 6; li++) {
                    double c = ci * 0.05;
                    double b = bi * 0.05;
                    double l = li * 2.0;
                    double loss = loss(gpuId, sets, rows, exponent, c, b, l);
                    if (loss < bestLoss) {
                        bestLoss = loss;
                        best = new double[] {c, b, l};
                    }
                }
            }
        }
        double[] step = {0.025, 0.025, 1.0};
        double[] min = {0.3, 0.3, 0};
        double[] max = {1.0, 1.0, 20};
        while (step[0] > 0.0005) {
            boolean improved = false;
            for (int i = 0; i < 3; i++) {
                for (int sign : new int[] {1, -1}) {
                    double[] x = best.clone();
                    x[i] = Math.clamp(x[i] + sign * step[i], min[i], max[i]);
                    double loss = loss(gpuId, sets, rows, exponent, x[0], x[1], x[2]);
                    if (loss < bestLoss - 1e-12) {
                        bestLoss = loss;
                        best = x;
                        improved = true;
                    }
                }
            }
            if (!improved) {
                for (int i = 0; i < 3; i++) {
                    step[i] /= 2;
                }
            }
        }
        return new Efficiency(round(best[0], 1000), round(best[1], 1000), round(best[2], 10) * 1e-6);
    }

    private static double round(double v, double scale) {
        return Math.round(v * scale) / scale;
    }

    private static double loss(String gpuId, List<DataSet> sets, Map<String, List<Row>> rows, double exponent,
            double compute, double bandwidth, double latencyMicros) {
        Efficiency e = new Efficiency(compute, bandwidth, latencyMicros * 1e-6);
        EngineModel engine = new EngineModel(Map.of(gpuId, e), e, 0, 0, exponent);
        Map<String, double[]> buckets = new HashMap<>();
        for (DataSet ds : sets) {
            for (Point p : predict(engine, ds, rows.get(ds.path()))) {
                String key = ds.path() + "|" + (31 - Integer.numberOfLeadingZeros(p.tokens())) + "|"
                        + p.tensorParallel();
                double[] acc = buckets.computeIfAbsent(key, k -> new double[2]);
                acc[0] += Math.abs(Math.log(p.predictedMs() / p.measuredMs()));
                acc[1]++;
            }
        }
        return buckets.values().stream().mapToDouble(a -> a[0] / a[1]).average().orElse(0);
    }

    /**
     * The CPU time per sequence and step (seconds) with which {@code engine}'s steady-state offline
     * throughput matches the vLLM figure of the serving measurements. Throughput is
     * {@code B / (t + B * s)} for a step of GPU and fixed time {@code t} at batch {@code B}, so
     * {@code s = 1 / measured - 1 / predicted(s = 0)}; never below zero.
     */
    public static double fitSequenceOverhead(Path sharedData, EngineModel engine) {
        Measurement vllm = readServing(sharedData).stream()
                .filter(m -> m.engine().equals("vLLM") && m.metric().equals("output_throughput"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no vLLM output_throughput in serving-measurements.csv"));
        Deployment d = servingDeployment(vllm);
        double withoutIt = engine.withOverheads(engine.stepOverheadSeconds(), 0)
                .offlineOutputThroughput(d, SHAREGPT_MEAN_INPUT, SHAREGPT_MEAN_OUTPUT);
        return Math.max(0, 1 / vllm.value() - 1 / withoutIt);
    }

    /**
     * Prints the fitted factors, the fitted step overhead, and the report of the calibrated model
     * as Markdown. Argument: the shared data folder (default: system property
     * {@code flotilla.shared.data}, else {@code ../shared/data}).
     */
    public static void main(String[] args) {
        Path data = Path.of(args.length > 0 ? args[0] : System.getProperty("flotilla.shared.data", "../shared/data"));
        StringBuilder out = new StringBuilder();
        out.append("## Fitted factors (smoothed roofline, p = ").append(EngineModel.ROOFLINE_EXPONENT).append(")\n\n");
        out.append(factorTable(fit(data)));
        out.append("\nIn EngineModel: A100 ").append(EngineModel.A100_FIT).append(", H100 ")
                .append(EngineModel.H100_FIT).append("\n");
        out.append(String.format(Locale.ROOT, "%nCPU time per sequence and step fitted on vLLM: %.1f us "
                        + "(in EngineModel: %.1f us; fixed step overhead %.2f ms)%n",
                fitSequenceOverhead(data, EngineModel.calibrated()) * 1e6,
                EngineModel.SEQUENCE_OVERHEAD_SECONDS * 1e6, EngineModel.STEP_OVERHEAD_SECONDS * 1e3));
        out.append("\n## Calibrated model against the measurements\n\n");
        out.append(run(data, EngineModel.calibrated()).toMarkdown());
        out.append("\n## For comparison: plain roofline max(c, m), refitted\n\n");
        Map<String, Efficiency> plainFit = fit(data, Double.POSITIVE_INFINITY);
        out.append(factorTable(plainFit));
        Efficiency plainMean = Efficiency.mean(plainFit.values().toArray(Efficiency[]::new));
        EngineModel plain = new EngineModel(plainFit, plainMean, EngineModel.STEP_OVERHEAD_SECONDS,
                EngineModel.SEQUENCE_OVERHEAD_SECONDS, Double.POSITIVE_INFINITY);
        out.append('\n');
        for (DataSetReport r : run(data, plain).dataSets()) {
            out.append(String.format(Locale.ROOT, "- %s: median %.1f%%, p90 %.1f%%, max %.1f%%%n", r.dataSet().name(),
                    100 * r.medianError(), 100 * r.p90Error(), 100 * r.maxError()));
        }
        System.out.print(out);
    }

    private static String factorTable(Map<String, Efficiency> fits) {
        StringBuilder sb = new StringBuilder("| GPU | compute efficiency | bandwidth efficiency | kernel latency |\n"
                + "|---|---:|---:|---:|\n");
        fits.entrySet().stream().sorted(Comparator.comparing(Map.Entry::getKey)).forEach(e -> sb.append(String.format(
                Locale.ROOT, "| %s | %.3f | %.3f | %.1f us |%n", e.getKey(), e.getValue().compute(),
                e.getValue().bandwidth(), e.getValue().kernelLatencySeconds() * 1e6)));
        return sb.toString();
    }

    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.clamp(i, 0, sorted.length - 1)];
    }
}
