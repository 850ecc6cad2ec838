package dev.flotilla.traces;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Not a test: how long reading each shared trace takes, first read and warm median of five, in
 * one JVM. ServeGen language traces are read whole (14 days) at rate scale 0.01 unless run with
 * {@code full}, which generates all of their arrivals (minutes). Run from the module folder:
 * {@code java -cp target/classes:target/test-classes:<deps> dev.flotilla.traces.ReadTimes [full]}.
 */
public final class ReadTimes {
    private ReadTimes() {}

    public static void main(String[] args) {
        boolean full = args.length > 0 && args[0].equals("full");
        Path traces = TestFiles.sharedData().resolve("traces");
        time("azure code", traces.resolve("azure-llm-2023/AzureLLMInferenceTrace_code.csv.gz"), TraceFormat.AZURE, ReadOptions.defaults(), 5);
        time("mooncake", traces.resolve("mooncake-fast25/synthetic_trace.jsonl.gz"), TraceFormat.MOONCAKE, ReadOptions.defaults(), 5);
        time("gentd", traces.resolve("alibaba-gentd26/lora_request_trace.csv.gz"), TraceFormat.GENTD, ReadOptions.defaults(), 5);
        time("servegen deepseek-r1", traces.resolve("servegen/servegen_reason_deepseek-r1_trace_csvs.tar.gz"), TraceFormat.SERVEGEN, ReadOptions.defaults(), 5);
        time("servegen mm-image", traces.resolve("servegen/servegen_multimodal_mm-image_trace_csvs.tar.gz"), TraceFormat.SERVEGEN, ReadOptions.defaults(), 5);
        double scale = full ? 1.0 : 0.01;
        int reps = full ? 1 : 3;
        time("servegen m-small x" + scale, traces.resolve("servegen/servegen_language_m-small_trace_csvs.tar.gz"), TraceFormat.SERVEGEN, ReadOptions.defaults().withRateScale(scale), reps);
        time("servegen m-mid x" + scale, traces.resolve("servegen/servegen_language_m-mid_trace_csvs.tar.gz"), TraceFormat.SERVEGEN, ReadOptions.defaults().withRateScale(scale), reps);
    }

    /** Streams the whole trace into stats (as the simulator would consume it) and prints the times. */
    private static void time(String what, Path file, TraceFormat format, ReadOptions options, int reps) {
        double[] ms = new double[reps];
        TraceStats stats = null;
        double expected = Double.NaN;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            try (TraceStream s = TraceReader.open(file, format, options)) {
                TraceStats.Accumulator acc = new TraceStats.Accumulator();
                s.forEachRemaining(acc::add);
                stats = acc.result();
                expected = s.expectedRequests().orElse(Double.NaN);
            }
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double first = ms[0];
        Arrays.sort(ms);
        System.out.printf("%-26s %,14d requests (expected %,.0f) first %8.0f ms, median %8.0f ms, %6.1f M requests/s; span %s, peak/mean %.2f%n",
                what, stats.requests(), expected, first, ms[reps / 2], stats.requests() / (ms[reps / 2] * 1e3), stats.span(), stats.peakToMeanPerMinute());
    }
}
