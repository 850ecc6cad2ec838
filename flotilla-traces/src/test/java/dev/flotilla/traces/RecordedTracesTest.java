package dev.flotilla.traces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Azure, Mooncake and GenTD files: what they read as, and every way they can be wrong. */
class RecordedTracesTest {
    @TempDir
    Path dir;

    private static final String AZURE = """
            TIMESTAMP,ContextTokens,GeneratedTokens
            2023-11-16 18:17:03.9799600,4808,10
            2023-11-16 18:17:04.0319600,3180,8
            2023-11-16 18:18:04.0319600,110,27
            """;

    @Test
    void readsAzureWithOffsetsFromTheFirstRequest() {
        Trace t = TraceReader.read(TestFiles.gzip(dir.resolve("code.csv.gz"), AZURE), TraceFormat.AZURE);
        assertThat(t.name()).isEqualTo("code");
        assertThat(t.start()).contains(Instant.parse("2023-11-16T18:17:03.979960Z"));
        assertThat(t.requests()).containsExactly(TraceRequest.of(0, 4808, 10), TraceRequest.of(52_000, 3180, 8), TraceRequest.of(60_052_000, 110, 27));
        assertThat(t.stats().requests()).isEqualTo(3);
        assertThat(t.stats().span()).isEqualTo(Duration.ofMillis(60_052));
        assertThat(t.stats().meanInputTokens()).isEqualTo((4808 + 3180 + 110) / 3.0);
    }

    @Test
    void readsPlainAndGzippedFilesAlikeWhateverTheirName() {
        Trace plain = TraceReader.read(TestFiles.text(dir.resolve("a.csv"), AZURE.replace("\n", "\r\n")), TraceFormat.AZURE);
        Trace gz = TraceReader.read(TestFiles.gzip(dir.resolve("b.csv"), AZURE), TraceFormat.AZURE);
        Trace blankFirst = TraceReader.read(TestFiles.text(dir.resolve("c.csv"), "\n" + AZURE + "\n\n"), TraceFormat.AZURE);
        assertThat(plain.requests()).isEqualTo(gz.requests()).isEqualTo(blankFirst.requests());
    }

    @Test
    void selectsARangeWithoutMovingTheOrigin() {
        Trace t = TraceReader.read(TestFiles.text(dir.resolve("a.csv"), AZURE), TraceFormat.AZURE,
                ReadOptions.defaults().withRange(Duration.ofMillis(10), Duration.ofSeconds(60)));
        assertThat(t.requests()).containsExactly(TraceRequest.of(52_000, 3180, 8));
        assertThatThrownBy(() -> TraceReader.read(dir.resolve("a.csv"), TraceFormat.AZURE, ReadOptions.defaults().withFrom(Duration.ofHours(1))))
                .isInstanceOf(FlotillaException.class).hasMessageContaining("no requests in [PT1H, end)");
    }

    @Test
    void refusesUnsortedRowsNamingTheFirstOutOfOrderLine() {
        Path f = TestFiles.text(dir.resolve("u.csv"), """
                TIMESTAMP,ContextTokens,GeneratedTokens
                2023-11-16 18:17:03.0,1,1
                2023-11-16 18:17:05.0,2,2
                2023-11-16 18:17:04.0,3,3
                """);
        assertInvalid(() -> TraceReader.read(f, TraceFormat.AZURE),
                "u.csv line 4: time 2023-11-16 18:17:04 is earlier than line 3's 2023-11-16 18:17:05; rows must be sorted by time");
    }

    @Test
    void sortsUnsortedRowsWhenAskedWithTheEarliestAsOrigin() {
        Path f = TestFiles.text(dir.resolve("u.csv"), """
                TIMESTAMP,ContextTokens,GeneratedTokens
                2023-11-16 18:17:03.0,1,1
                2023-11-16 18:17:05.0,2,2
                2023-11-16 18:17:01.0,3,3
                """);
        Trace t = TraceReader.read(f, TraceFormat.AZURE, ReadOptions.defaults().withSortUnsorted(true));
        assertThat(t.requests()).containsExactly(TraceRequest.of(0, 3, 3), TraceRequest.of(2_000_000, 1, 1), TraceRequest.of(4_000_000, 2, 2));
        assertThat(t.start()).contains(Instant.parse("2023-11-16T18:17:01Z"));
    }

    @Test
    void namesLineAndColumnOfAMalformedAzureRow() {
        String head = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.0,1,1\n";
        assertInvalid(() -> read("t.csv", head + "2023-11-16 18:17:04.0,many,1\n"), "t.csv line 3, column ContextTokens: 'many' is not a whole number of tokens");
        assertInvalid(() -> read("t.csv", head + "2023-11-16 18:17:04.0,1,-3\n"), "t.csv line 3, column GeneratedTokens: -3 is negative");
        assertInvalid(() -> read("t.csv", head + "2023-13-16 18:17:04.0,1,1\n"), "t.csv line 3, column TIMESTAMP: '2023-13-16 18:17:04.0' is not a timestamp like 2023-11-16 18:17:03.9799600");
        assertInvalid(() -> read("t.csv", head + "yesterday,1,1\n"), "line 3, column TIMESTAMP: 'yesterday' is not a timestamp");
        assertInvalid(() -> read("t.csv", head + "2023-11-16 18:17:04.0,1\n"), "t.csv line 3: expected 3 comma-separated columns");
        assertInvalid(() -> read("t.csv", "TIMESTAMP,Tokens\n"), "t.csv line 1: header lacks column ContextTokens");
    }

    @Test
    void refusesEmptyFilesAndFilesWithoutDataRows() {
        assertInvalid(() -> read("e.csv", ""), "is empty");
        assertInvalid(() -> read("e.csv", "\n\n"), "is empty");
        assertInvalid(() -> read("h.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n"), "has no data rows");
        assertInvalid(() -> TraceReader.read(TestFiles.gzip(dir.resolve("e.jsonl.gz"), ""), TraceFormat.MOONCAKE), "has no data rows");
    }

    @Test
    void refusesAMissingFileAndACorruptGzip() {
        assertInvalid(() -> TraceReader.read(dir.resolve("nope.csv.gz"), TraceFormat.AZURE), "nope.csv.gz does not exist");
        assertInvalid(() -> TraceReader.read(dir, TraceFormat.AZURE), "is not a regular file");
        byte[] gz = TestFiles.gzipBytes(AZURE.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path cut = TestFiles.write(dir.resolve("cut.csv.gz"), java.util.Arrays.copyOf(gz, gz.length - 12));
        assertInvalid(() -> TraceReader.read(cut, TraceFormat.AZURE), "cannot read trace file");
    }

    @Test
    void refusesServeGenOnlyOptionsOnRecordedTraces() {
        Path f = TestFiles.text(dir.resolve("a.csv"), AZURE);
        assertInvalid(() -> TraceReader.read(f, TraceFormat.AZURE, ReadOptions.defaults().withRateScale(2)), "rate-scale applies to servegen traces only");
        assertInvalid(() -> TraceReader.read(f, TraceFormat.AZURE, ReadOptions.defaults().withMaxClients(3)), "max-clients applies to servegen traces only");
        assertInvalid(() -> TraceReader.read(f, TraceFormat.GENTD, ReadOptions.defaults().withTokenLengths(TokenLengths.constant(1, 1))), "token-lengths applies");
    }

    @Test
    void readsMooncakeWithPrefixHashesAndMillisecondTimes() {
        Path f = TestFiles.gzip(dir.resolve("mc.jsonl.gz"), """
                {"timestamp": 0, "input_length": 1000, "output_length": 6, "hash_ids": [0, 1]}
                {"timestamp": 40, "input_length": 600, "output_length": 3, "hash_ids": [0, 2], "extra": "ignored"}

                {"timestamp": 40, "input_length": 10, "output_length": 1}
                """);
        Trace t = TraceReader.read(f, TraceFormat.MOONCAKE);
        assertThat(t.name()).isEqualTo("mc");
        assertThat(t.start()).isEmpty();
        assertThat(t.requests()).containsExactly(
                TraceRequest.of(0, 1000, 6).withPrefix(0, 1),
                TraceRequest.of(40_000, 600, 3).withPrefix(0, 2),
                TraceRequest.of(40_000, 10, 1));
    }

    @Test
    void namesLineAndFieldOfAMalformedMooncakeRow() {
        String ok = "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n";
        assertInvalid(() -> mooncake(ok + "{\"timestamp\": 5, \"input_length\": 1,\n"), "m.jsonl line 2: not valid JSON");
        assertInvalid(() -> mooncake(ok + "[1, 2]\n"), "m.jsonl line 2: expected a JSON object");
        assertInvalid(() -> mooncake(ok + "{\"timestamp\": 5, \"output_length\": 1}\n"), "m.jsonl line 2, field input_length: missing");
        assertInvalid(() -> mooncake(ok + "{\"timestamp\": 5, \"input_length\": -4, \"output_length\": 1}\n"), "line 2, field input_length: -4 is negative");
        assertInvalid(() -> mooncake(ok + "{\"timestamp\": 5, \"input_length\": 1.5, \"output_length\": 1}\n"), "field input_length: '1.5' is not a whole number");
        assertInvalid(() -> mooncake(ok + "{\"timestamp\": \"soon\", \"input_length\": 1, \"output_length\": 1}\n"), "line 2, field timestamp: '\"soon\"' is not a number");
        assertInvalid(() -> mooncake(ok + "{\"timestamp\": 5, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1, \"x\"]}\n"), "field hash_ids: element 1");
        assertInvalid(() -> mooncake("{\"timestamp\": -5, \"input_length\": 1, \"output_length\": 1}\n"), "m.jsonl line 1, field timestamp: -5 is negative");
        assertInvalid(() -> mooncake("{\"timestamp\": 50, \"input_length\": 1, \"output_length\": 1}\n" + ok),
                "m.jsonl line 2: time 0 ms is earlier than line 1's 50 ms");
    }

    @Test
    void readsGentdWithServiceTimeAndModelTagInsteadOfTokens() {
        Path f = TestFiles.gzip(dir.resolve("lora_request_trace.csv.gz"), """
                gmt_create,predict_type,predict_status,exec_time_seconds,groupId,prompt_length,negative_prompt_length,num_images_per_prompt,num_inference_steps,checkpoint_model_version_id,num_lora
                2024-11-15 16:57:50,TXT_2_IMG,SUCCEED,32.0,G0000,63.0,26.0,1.0,30.0,M0000,0
                2024-11-15 18:16:14,TXT_2_IMG,FAILED,43.5,G0001,93.0,,1.0,40.0,M0001,0
                """);
        Trace t = TraceReader.read(f, TraceFormat.GENTD);
        assertThat(t.name()).isEqualTo("lora_request_trace");
        assertThat(t.start()).contains(Instant.parse("2024-11-15T16:57:50Z"));
        assertThat(t.requests()).containsExactly(
                new TraceRequest(0, 0, 0, null, Optional.of("M0000"), OptionalDouble.of(32.0)),
                new TraceRequest(4_704_000_000L, 0, 0, null, Optional.of("M0001"), OptionalDouble.of(43.5)));
    }

    @Test
    void namesTheProblemInAMalformedGentdRow() {
        String head = "gmt_create,predict_type,exec_time_seconds\n2024-11-15 16:57:50,TXT_2_IMG,3\n";
        assertInvalid(() -> gentd(head + "2024-11-15 16:58:50,TXT_2_IMG,-1\n"), "g.csv line 3, column exec_time_seconds: -1 is not a duration >= 0 seconds");
        assertInvalid(() -> gentd(head + "2024-11-15 16:58:50,TXT_2_IMG,slow\n"), "column exec_time_seconds: 'slow' is not a number of seconds");
        assertInvalid(() -> gentd("gmt_create,predict_type\n2024-11-15 16:57:50,TXT_2_IMG\n"), "header lacks column exec_time_seconds");
        // no model column: no tag, still read
        Trace t = TraceReader.read(TestFiles.text(dir.resolve("g2.csv"), head), TraceFormat.GENTD);
        assertThat(t.requests().getFirst().tag()).isEmpty();
        assertThat(t.requests().getFirst().serviceSeconds()).hasValue(3.0);
    }

    @Test
    void streamsRowsLazilyAndClosesAtTheEnd() {
        Path f = TestFiles.text(dir.resolve("s.csv"), AZURE + "2023-11-16 18:19:04.0,1,1\n2023-11-16 18:20:04.0,bad,1\n");
        try (TraceStream s = TraceReader.open(f, TraceFormat.AZURE, ReadOptions.defaults())) {
            assertThat(s.format()).isEqualTo(TraceFormat.AZURE);
            assertThat(s.expectedRequests()).isEmpty();
            List<TraceRequest> first = List.of(s.next(), s.next(), s.next(), s.next());
            assertThat(first).hasSize(4);
            // the bad row is only reached now
            assertInvalid(s::next, "s.csv line 6, column ContextTokens");
        }
        try (TraceStream s = TraceReader.open(f, TraceFormat.AZURE, ReadOptions.defaults().withUntil(Duration.ofSeconds(61)))) {
            assertThat(s.stream().count()).isEqualTo(3); // stops at the first row past until, never reaching the bad one
        }
    }

    private Trace read(String name, String content) {
        return TraceReader.read(TestFiles.text(dir.resolve(name), content), TraceFormat.AZURE);
    }

    private Trace mooncake(String content) {
        return TraceReader.read(TestFiles.text(dir.resolve("m.jsonl"), content), TraceFormat.MOONCAKE);
    }

    private Trace gentd(String content) {
        return TraceReader.read(TestFiles.text(dir.resolve("g.csv"), content), TraceFormat.GENTD);
    }

    static void assertInvalid(ThrowingCallable call, String message) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(FlotillaException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining(message);
    }
}
