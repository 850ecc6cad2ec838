package dev.flotilla.traces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The traces in {@code shared/data}: the counts and shapes its README states. Fails when the data
 * is missing: these files are the simulator's input, so their absence is a broken checkout.
 */
class SharedTracesTest {
    private static final Path TRACES = TestFiles.sharedData().resolve("traces");

    @Test
    void azureCodeTraceHas8819RequestsOverAboutAnHour() {
        long t0 = System.nanoTime();
        Trace t = TraceReader.read(TRACES.resolve("azure-llm-2023/AzureLLMInferenceTrace_code.csv.gz"), TraceFormat.AZURE);
        report("azure", t, t0);
        assertThat(t.size()).isEqualTo(8_819);
        assertThat(t.start()).contains(Instant.parse("2023-11-16T18:17:03.979960Z"));
        assertThat(t.stats().span()).isBetween(Duration.ofMinutes(55), Duration.ofMinutes(60));
        assertThat(t.stats().peakToMeanPerMinute()).isCloseTo(4.2, within(0.1));
        assertThat(t.requests()).allSatisfy(r -> assertThat(r.prefixBlockCount()).isZero());
    }

    @Test
    void mooncakeTraceHas3993RequestsWithOneHashPer512TokenBlock() {
        long t0 = System.nanoTime();
        Trace t = TraceReader.read(TRACES.resolve("mooncake-fast25/synthetic_trace.jsonl.gz"), TraceFormat.MOONCAKE);
        report("mooncake", t, t0);
        assertThat(t.size()).isEqualTo(3_993);
        assertThat(t.start()).isEmpty();
        assertThat(t.requests()).allSatisfy(r -> assertThat(r.prefixBlockCount()).isEqualTo((r.inputTokens() + 511) / 512));
        // shared prefixes: 121,877 blocks but only 43,924 distinct ids; 3,993 prompts start in 2,211 ways
        long blocks = t.requests().stream().mapToLong(TraceRequest::prefixBlockCount).sum();
        long distinct = t.requests().stream().flatMapToLong(r -> java.util.Arrays.stream(r.prefixBlockHashes())).distinct().count();
        long firstBlocks = t.requests().stream().mapToLong(r -> r.prefixBlockHashes()[0]).distinct().count();
        assertThat(blocks).isEqualTo(121_877);
        assertThat(distinct).isEqualTo(43_924);
        assertThat(firstBlocks).isEqualTo(2_211);
        assertThat(t.stats().peakToMeanPerMinute()).isCloseTo(1.2, within(0.1));
    }

    @Test
    void gentdTraceHas26823RequestsOverAbout23DaysWithServiceTimes() {
        long t0 = System.nanoTime();
        Trace t = TraceReader.read(TRACES.resolve("alibaba-gentd26/lora_request_trace.csv.gz"), TraceFormat.GENTD);
        report("gentd", t, t0);
        assertThat(t.size()).isEqualTo(26_823);
        assertThat(t.stats().span()).isBetween(Duration.ofDays(22), Duration.ofDays(24));
        assertThat(t.requests()).allSatisfy(r -> {
            assertThat(r.serviceSeconds()).isPresent();
            assertThat(r.inputTokens()).isZero();
        });
        assertThat(t.stats().peakToMeanPerMinute()).isCloseTo(80, within(3.0));
    }

    @Test
    void servegenSmallModelMatchesEachWindowsRateAndRepeatsWithTheSameSeed() throws IOException {
        Path archive = TRACES.resolve("servegen/servegen_language_m-small_trace_csvs.tar.gz");
        int windows = 3;
        double[] expected = expectedPerWindow(archive, windows);
        long[] counts = new long[windows];
        long t0 = System.nanoTime();
        long hash = 0;
        ReadOptions firstWindows = ReadOptions.defaults().withUntil(Duration.ofSeconds(600L * windows));
        try (TraceStream s = TraceReader.open(archive, TraceFormat.SERVEGEN, firstWindows)) {
            assertThat(s.name()).isEqualTo("language/m-small");
            assertThat(s.expectedRequests().getAsDouble()).isCloseTo(expected[0] + expected[1] + expected[2], within(1.0));
            while (s.hasNext()) {
                TraceRequest r = s.next();
                counts[(int) (r.arrivalMicros() / 600_000_000L)]++;
                hash = 31 * hash + r.hashCode();
            }
        }
        long n = counts[0] + counts[1] + counts[2];
        System.out.printf("servegen m-small first %d windows: %,d arrivals in %.0f ms (expected %.0f, %.0f, %.0f; got %d, %d, %d)%n",
                windows, n, (System.nanoTime() - t0) / 1e6, expected[0], expected[1], expected[2], counts[0], counts[1], counts[2]);
        for (int w = 0; w < windows; w++) {
            assertThat((double) counts[w]).as("arrivals in window %d", w).isCloseTo(expected[w], within(expected[w] * 0.02));
        }
        // the same seed, read again: the same arrivals, tokens and clients
        long again = 0;
        try (TraceStream s = TraceReader.open(archive, TraceFormat.SERVEGEN, firstWindows)) {
            while (s.hasNext()) {
                again = 31 * again + s.next().hashCode();
            }
        }
        assertThat(again).isEqualTo(hash);
    }

    @Test
    void fourteenDaysOfTheSmallModelAreTooManyToHoldAndSaySo() {
        Path archive = TRACES.resolve("servegen/servegen_language_m-small_trace_csvs.tar.gz");
        RecordedTracesTest.assertInvalid(() -> TraceReader.read(archive, TraceFormat.SERVEGEN),
                "more than 20000000 requests in the selection (about 1420558786 expected); stream it with TraceReader.open");
    }

    /** Sum of rate x 600 s per window over all clients, read from the archive independently of the model. */
    private static double[] expectedPerWindow(Path archive, int windows) throws IOException {
        double[] sum = new double[windows];
        try (InputStream in = Input.open(archive)) {
            TarReader tar = new TarReader(in);
            for (TarReader.Entry e = tar.next(); e != null; e = tar.next()) {
                if (!e.name().endsWith("-trace.csv")) {
                    continue;
                }
                for (String line : new String(e.data(), StandardCharsets.UTF_8).split("\r?\n")) {
                    String[] f = line.split(",");
                    int w = (int) (Long.parseLong(f[0]) / 600);
                    if (w < windows) {
                        sum[w] += Double.parseDouble(f[1]) * 600;
                    }
                }
            }
        }
        return sum;
    }

    private static void report(String what, Trace t, long startNanos) {
        System.out.printf("%s: %,d requests read in %.0f ms (first read in this JVM); %s%n", what, t.size(), (System.nanoTime() - startNanos) / 1e6, t.stats());
    }
}
