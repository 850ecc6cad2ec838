package dev.flotilla.traces;

import static dev.flotilla.traces.RecordedTracesTest.assertInvalid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ServeGen's rate models turned into arrivals, on small hand-written archives. */
class ServeGenTest {
    @TempDir
    Path dir;

    /** Client 1: busy, bursty Gamma, an idle window; client 2: quieter Weibull. */
    private static final String CLIENT_1 = """
            0,20.0,1.414,Gamma,0.5,0.1
            600,0,0,,0,0
            1200,20.0,0.5,Gamma,4.0,0.0125
            1800,10.0,1.0,Exponential,0,0
            """;
    private static final String CLIENT_2 = """
            0,2.0,1.0,Weibull,0.8,0.4
            600,2.0,1.0,Weibull,0.8,0.4
            1200,2.0,1.0,Weibull,1.5,0.55
            1800,2.0,1.0,Weibull,1.5,0.55
            """;

    private Path archive() {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("data/language/m-test/chunk-2-trace.csv", CLIENT_2);
        entries.put("data/language/m-test/chunk-1-trace.csv", CLIENT_1.replace("\n", "\r\n"));
        entries.put("data/language/m-test/README", "not a trace");
        return TestFiles.write(dir.resolve("servegen_language_m-test_trace_csvs.tar.gz"), TestFiles.gzipBytes(TestFiles.tar(entries)));
    }

    private static List<TraceRequest> read(Path file, ReadOptions options) {
        return TraceReader.read(file, TraceFormat.SERVEGEN, options).requests();
    }

    @Test
    void readsAnArchiveIntoSortedArrivalsTaggedByClient() {
        Trace t = TraceReader.read(archive(), TraceFormat.SERVEGEN);
        assertThat(t.name()).isEqualTo("language/m-test");
        assertThat(t.start()).isEmpty();
        assertThat(t.requests()).extracting(r -> r.tag().orElseThrow()).containsOnly("client-1", "client-2");
        assertThat(t.requests().getLast().arrivalMicros()).isLessThan(2_400_000_000L);
        // expected 20*600 + 20*600 + 10*600 + 4*2*600 = 34,800
        assertThat((double) t.size()).isCloseTo(34_800, within(34_800 * 0.03));
    }

    @Test
    void eachWindowGetsRateTimesLengthArrivalsAndIdleWindowsNone() {
        List<TraceRequest> all = read(archive(), ReadOptions.defaults());
        long[] perWindow = new long[4];
        for (TraceRequest r : all) {
            if (r.tag().orElseThrow().equals("client-1")) {
                perWindow[(int) (r.arrivalMicros() / 600_000_000L)]++;
            }
        }
        assertThat(perWindow[1]).isZero();
        assertThat((double) perWindow[0]).isCloseTo(12_000, within(12_000 * 0.04));
        assertThat((double) perWindow[2]).isCloseTo(12_000, within(12_000 * 0.03));
        assertThat((double) perWindow[3]).isCloseTo(6_000, within(6_000 * 0.04));
    }

    @Test
    void theSameSeedGivesTheSameArrivalsAndAnotherSeedOthers() {
        Path f = archive();
        assertThat(read(f, ReadOptions.defaults())).isEqualTo(read(f, ReadOptions.defaults().withSeed(42)));
        assertThat(read(f, ReadOptions.defaults().withSeed(43))).isNotEqualTo(read(f, ReadOptions.defaults()));
    }

    @Test
    void aClientsArrivalsDoNotDependOnWhichOthersOrWhichRangeAreRead() {
        Path f = archive();
        List<TraceRequest> all = read(f, ReadOptions.defaults());
        List<TraceRequest> busiest = read(f, ReadOptions.defaults().withMaxClients(1));
        assertThat(busiest).isEqualTo(all.stream().filter(r -> r.tag().orElseThrow().equals("client-1")).toList());
        List<TraceRequest> window3 = read(f, ReadOptions.defaults().withRange(Duration.ofSeconds(1_300), Duration.ofSeconds(1_900)));
        assertThat(window3).isEqualTo(all.stream().filter(r -> r.arrivalMicros() >= 1_300_000_000L && r.arrivalMicros() < 1_900_000_000L).toList());
        assertThat(window3.getFirst().arrivalMicros()).isGreaterThanOrEqualTo(1_300_000_000L); // offsets keep the trace's origin
    }

    @Test
    void rateScaleMultipliesTheExpectedAndTheDrawnCounts() {
        Path f = archive();
        try (TraceStream full = TraceReader.open(f, TraceFormat.SERVEGEN, ReadOptions.defaults());
                TraceStream tenth = TraceReader.open(f, TraceFormat.SERVEGEN, ReadOptions.defaults().withRateScale(0.1))) {
            assertThat(full.expectedRequests()).hasValue(34_800);
            assertThat(tenth.expectedRequests().getAsDouble()).isCloseTo(3_480, within(1e-6));
            assertThat((double) tenth.stream().count()).isCloseTo(3_480, within(3_480 * 0.08));
        }
    }

    @Test
    void drawsTheCategorysDefaultLengthsOrTheGivenOnes() {
        Trace t = TraceReader.read(archive(), TraceFormat.SERVEGEN);
        assertThat(t.stats().meanInputTokens()).isCloseTo(2_048, within(2_048 * 0.05));
        assertThat(t.stats().meanOutputTokens()).isCloseTo(256, within(256 * 0.05));
        assertThat(t.requests()).allSatisfy(r -> assertThat(r.inputTokens()).isBetween(1, TokenLengths.MAX_INPUT));
        Trace fixed = TraceReader.read(archive(), TraceFormat.SERVEGEN, ReadOptions.defaults().withTokenLengths(TokenLengths.constant(300, 30)));
        assertThat(fixed.requests()).allSatisfy(r -> {
            assertThat(r.inputTokens()).isEqualTo(300);
            assertThat(r.outputTokens()).isEqualTo(30);
        });
    }

    @Test
    void theLengthModelChangesNoArrivalTime() {
        Path f = archive();
        List<Long> drawn = read(f, ReadOptions.defaults()).stream().map(TraceRequest::arrivalMicros).toList();
        List<Long> fixed = read(f, ReadOptions.defaults().withTokenLengths(TokenLengths.constant(1, 1))).stream().map(TraceRequest::arrivalMicros).toList();
        assertThat(fixed).isEqualTo(drawn);
    }

    @Test
    void readsASingleClientCsvAndTakesTheCategoryFromItsFolders() {
        Path f = TestFiles.text(dir.resolve("reason/deepseek-r1/chunk-7-trace.csv"), CLIENT_2);
        Trace t = TraceReader.read(f, TraceFormat.SERVEGEN);
        assertThat(t.name()).isEqualTo("reason/deepseek-r1");
        assertThat(t.requests()).extracting(r -> r.tag().orElseThrow()).containsOnly("client-7");
        assertThat(t.stats().meanOutputTokens()).isCloseTo(4_096, within(4_096 * 0.1));
    }

    @Test
    void refusesMalformedRowsNamingEntryLineAndColumn() {
        String ok = "0,1.0,1.0,Gamma,1,1\n";
        assertInvalid(() -> csv(ok + "600,1.0,1.0,Gamma,1\n"), "chunk-1-trace.csv line 2: expected 6 columns (window_start_s,rate_rps,cv,distribution,param1,param2), got 5");
        assertInvalid(() -> csv(ok + "600,1.0,1.0,Pareto,1,1\n"), "line 2, column distribution: unknown distribution 'Pareto'; accepted: Gamma, Weibull, Exponential");
        assertInvalid(() -> csv(ok + "600,-1.0,1.0,Gamma,1,1\n"), "line 2, column rate_rps: -1.0 is negative");
        assertInvalid(() -> csv(ok + "600,fast,1.0,Gamma,1,1\n"), "line 2, column rate_rps: 'fast' is not a number");
        assertInvalid(() -> csv(ok + "600,1.0,1.0,Gamma,0,1\n"), "line 2, column param1: Gamma shape must be > 0");
        assertInvalid(() -> csv(ok + "-600,1.0,1.0,Gamma,1,1\n"), "line 2, column window_start_s: -600 is negative");
        assertInvalid(() -> csv(ok + "600.5,1.0,1.0,Gamma,1,1\n"), "column window_start_s: '600.5' is not a whole number");
        assertInvalid(() -> csv(ok + "0,1.0,1.0,Gamma,1,1\n"), "line 2, column window_start_s: window 0 also starts on line 1");
        assertInvalid(() -> csv(""), "is empty");
        assertInvalid(() -> csv("\n\n"), "chunk-1-trace.csv has no data rows");
    }

    @Test
    void refusesUnsortedWindowsUnlessAskedToSortThem() {
        String rows = "600,1.0,1.0,Gamma,1,1\n0,1.0,1.0,Gamma,1,1\n1200,1.0,1.0,Gamma,1,1\n";
        assertInvalid(() -> csv(rows), "line 2, column window_start_s: window 0 comes after window 600 (line 1); rows must be sorted by time");
        Path f = TestFiles.text(dir.resolve("language/m-test/chunk-1-trace.csv"), rows);
        Trace t = TraceReader.read(f, TraceFormat.SERVEGEN, ReadOptions.defaults().withSortUnsorted(true));
        assertThat((double) t.size()).isCloseTo(1_800, within(1_800 * 0.15));
        assertThat(t.requests().getLast().arrivalMicros()).isLessThan(1_800_000_000L);
    }

    @Test
    void refusesArchivesWithoutTracesAndCategoriesWithoutLengths() {
        Path none = TestFiles.write(dir.resolve("x.tar.gz"), TestFiles.gzipBytes(TestFiles.tar(Map.of("language/m/chunk-1-dataset.json", "{}"))));
        assertInvalid(() -> TraceReader.read(none, TraceFormat.SERVEGEN), "has no <category>/<model>/chunk-<N>-trace.csv entries");
        Path odd = TestFiles.text(dir.resolve("video/v1/chunk-1-trace.csv"), "0,1.0,1.0,Gamma,1,1\n");
        assertInvalid(() -> TraceReader.read(odd, TraceFormat.SERVEGEN), "ServeGen category 'video'");
        assertThat(TraceReader.read(odd, TraceFormat.SERVEGEN, ReadOptions.defaults().withTokenLengths(TokenLengths.constant(10, 10))).size()).isPositive();
    }

    @Test
    void readRefusesMoreThanMaxRequestsAndPointsToStreaming() {
        assertInvalid(() -> TraceReader.read(archive(), TraceFormat.SERVEGEN, ReadOptions.defaults().withMaxRequests(1_000)),
                "more than 1000 requests in the selection (about 34800 expected); stream it with TraceReader.open");
    }

    @Test
    void aRateWithoutAFittedDistributionIsPoisson() {
        Path f = TestFiles.text(dir.resolve("language/m-test/chunk-1-trace.csv"), "0,10.0,1.0,,0,0\n");
        assertThat((double) TraceReader.read(f, TraceFormat.SERVEGEN).size()).isCloseTo(6_000, within(6_000 * 0.05));
    }

    private Trace csv(String content) {
        Path f = TestFiles.write(dir.resolve("language/m-test/chunk-1-trace.csv"), content.getBytes(StandardCharsets.UTF_8));
        return TraceReader.read(f, TraceFormat.SERVEGEN, ReadOptions.defaults().withTokenLengths(TokenLengths.constant(1, 1)));
    }
}
