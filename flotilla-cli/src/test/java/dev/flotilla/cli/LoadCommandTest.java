package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code flotilla load} end to end: trace files in a temp dir, a fake OpenAI server on a real port, the real HTTP client. */
class LoadCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private LoadFakeGateway gateway;

    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new UncheckedIOException(out + err, e);
            }
        }
    }

    @BeforeEach
    void start() throws IOException {
        gateway = new LoadFakeGateway();
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    /** Runs the CLI in-process with these environment variables and a home without credentials. */
    private Run runWith(Map<String, String> env, String... args) {
        // the launcher with only this command, which sees only this environment and an empty home
        CommandLine cl = new CommandLine(new Main());
        CommandLine load = new CommandLine(new LoadCommand(new dev.flotilla.cli.client.ClientEnvironment(env, dir.resolve("home"))),
                cl.getFactory());
        cl.addSubcommand(load);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        dev.flotilla.cli.client.ClientCommands.configure(cl);
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** {@code flotilla load --trace FILE --format F --base-url FAKE --api-key sk-test --progress 0 ARGS}. */
    private Run load(Path trace, String format, String... args) {
        List<String> all = new ArrayList<>(List.of("load", "--trace", trace.toString(), "--format", format, "--base-url",
                gateway.baseUrl(), "--api-key", "sk-test", "--progress", "0"));
        all.addAll(List.of(args));
        return runWith(Map.of(), all.toArray(String[]::new));
    }

    /** An Azure trace: one row per {@code {offset ms, input tokens, output tokens}}. */
    private Path azure(String name, long[]... rows) {
        StringBuilder b = new StringBuilder("TIMESTAMP,ContextTokens,GeneratedTokens\n");
        for (long[] r : rows) {
            long ms = r[0];
            b.append(String.format("2023-11-16 18:%02d:%02d.%03d0000,%d,%d%n", 17 + ms / 60_000, ms / 1000 % 60, ms % 1000, r[1], r[2]));
        }
        return write(name, b.toString());
    }

    private Path write(String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void sendsOneChatRequestPerTraceRowWithTheModelPromptSizeAndCappedMaxTokens() {
        Path trace = azure("code.csv", new long[] {0, 100, 10}, new long[] {50, 3000, 600}, new long[] {100, 20_000, 0},
                new long[] {150, 0, 7});
        Run r = load(trace, "azure", "--endpoint", "llama-3.1-8b", "--speedup", "1", "--max-prompt-tokens", "4096");

        assertThat(r.exit()).as(r.err()).isZero();
        List<LoadFakeGateway.Received> got = gateway.received();
        assertThat(got).hasSize(4);
        assertThat(got).allSatisfy(g -> {
            assertThat(g.path()).isEqualTo("/v1/chat/completions");
            assertThat(g.authorization()).isEqualTo("Bearer sk-test");
            assertThat(g.body().get("model").asText()).isEqualTo("llama-3.1-8b");
            assertThat(g.body().has("stream")).isFalse();
        });
        // the send order is the trace's, so sort what arrived by max_tokens and prompt length instead of trusting arrival order
        Map<Integer, Integer> promptTokensByMaxTokens = got.stream().collect(Collectors.toMap(g -> g.body().get("max_tokens").asInt(),
                g -> g.body().at("/messages/0/content").asText().length() / 4));
        // output 600 is capped at 512; 0 becomes 1; input 20,000 is capped at 4096; 0 becomes 1
        assertThat(promptTokensByMaxTokens).containsOnly(Map.entry(10, 100), Map.entry(512, 3000), Map.entry(1, 4096), Map.entry(7, 1));
        assertThat(r.out()).contains("load: replaying 4 requests of azure trace code").contains("summary: azure trace code, 4 requests")
                .containsPattern("ok +4 ").contains("usage reported:");
    }

    @Test
    void theSpacingOfTheSendsIsTheTracesDividedByTheSpeedup() {
        // trace offsets 0, 1, 3, 4 s at 4x: sends at 0, 250, 750, 1000 ms
        Path trace = azure("spaced.csv", new long[] {0, 10, 1}, new long[] {1000, 10, 1}, new long[] {3000, 10, 1},
                new long[] {4000, 10, 1});
        Run r = load(trace, "azure", "--endpoint", "m", "--speedup", "4", "--json");

        assertThat(r.exit()).as(r.err()).isZero();
        List<Long> at = gateway.received().stream().map(LoadFakeGateway.Received::nanos).sorted().toList();
        assertThat(at).hasSize(4);
        double[] expectedMs = {250, 500, 250};
        for (int i = 0; i < 3; i++) {
            double gapMs = (at.get(i + 1) - at.get(i)) / 1e6;
            // loose: a send is never early, but a busy machine may deliver one late (and so the next gap short)
            assertThat(gapMs).as("gap %d", i).isBetween(expectedMs[i] * 0.5, expectedMs[i] * 1.5 + 150);
        }
        double spanMs = (at.get(3) - at.get(0)) / 1e6;
        assertThat(spanMs).isBetween(900.0, 1500.0);
        JsonNode s = r.json();
        assertThat(s.get("sent").asLong()).isEqualTo(4);
        assertThat(s.get("trace_seconds").asDouble()).isCloseTo(4.0, within(1e-9));
        assertThat(s.get("intended_rps").asDouble()).isCloseTo(4.0, within(1e-9));
        assertThat(s.get("speedup").asDouble()).isEqualTo(4.0);
    }

    @Test
    void streamingMeasuresTheTimeToTheFirstToken() {
        gateway.answering(n -> new LoadFakeGateway.Ok(150, false));
        Path trace = azure("s.csv", new long[] {0, 50, 20}, new long[] {10, 50, 20});
        Run r = load(trace, "azure", "--endpoint", "m", "--stream", "--json");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(gateway.received()).allSatisfy(g -> {
            assertThat(g.body().get("stream").asBoolean()).isTrue();
            assertThat(g.body().at("/stream_options/include_usage").asBoolean()).isTrue();
        });
        JsonNode s = r.json();
        assertThat(s.get("ok").asLong()).isEqualTo(2);
        assertThat(s.at("/ttft_ms/p50").asDouble()).isGreaterThanOrEqualTo(150);
        assertThat(s.at("/latency_ms/p50").asDouble()).isGreaterThanOrEqualTo(s.at("/ttft_ms/p50").asDouble());
        assertThat(s.get("completion_tokens").asLong()).as("from the stream's usage chunk").isEqualTo(40);
    }

    @Test
    void embeddingsPostTheInputWithoutMaxTokens() {
        Path trace = azure("e.csv", new long[] {0, 30, 99});
        Run r = load(trace, "azure", "--endpoint", "all-minilm-l6-v2", "--api", "embeddings");

        assertThat(r.exit()).as(r.err()).isZero();
        LoadFakeGateway.Received g = gateway.received().getFirst();
        assertThat(g.path()).isEqualTo("/v1/embeddings");
        assertThat(g.body().get("input").asText()).hasSize(120);
        assertThat(g.body().has("max_tokens")).isFalse();
        assertThat(r.out()).containsPattern("ok +1 ");
    }

    @Test
    void errorsAreDataCountedByStatusAndOpenAiCodeAndTheRunStillExitsZero() {
        gateway.answering(n -> switch (n % 3) {
            case 1 -> new LoadFakeGateway.Error(429, "rate_limit_exceeded");
            case 2 -> new LoadFakeGateway.Error(503, "no_capacity");
            default -> LoadFakeGateway.OK;
        });
        long[][] rows = IntStream.range(0, 6).mapToObj(i -> new long[] {i * 200L, 10, 5}).toArray(long[][]::new);
        Run r = load(azure("err.csv", rows), "azure", "--endpoint", "m", "--speedup", "10", "--json");

        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode s = r.json();
        assertThat(s.get("ok").asLong()).isEqualTo(2);
        assertThat(s.get("errors").asLong()).isEqualTo(4);
        assertThat(s.at("/errors_by_status/429/count").asLong()).isEqualTo(2);
        assertThat(s.at("/errors_by_status/429/codes/rate_limit_exceeded").asLong()).isEqualTo(2);
        assertThat(s.at("/errors_by_status/503/codes/no_capacity").asLong()).isEqualTo(2);
        assertThat(s.at("/error_examples").toString()).contains("planned rate_limit_exceeded");
    }

    @Test
    void aRequestDueWhileTheBoundIsFullIsSkippedAndReported() {
        gateway.answering(n -> new LoadFakeGateway.Ok(1500, false));
        long[][] rows = IntStream.range(0, 6).mapToObj(i -> new long[] {i * 20L, 10, 5}).toArray(long[][]::new);
        Run r = load(azure("bound.csv", rows), "azure", "--endpoint", "m", "--max-concurrency", "2");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(gateway.received()).hasSize(2);
        assertThat(r.out()).containsPattern("sent +2 ").containsPattern("skipped +4 +skipped \\(client bound\\): 2 requests were in flight");
    }

    @Test
    void aStreamThatStallsIsCutAtTheTimeoutAndCounted() {
        gateway.answering(n -> new LoadFakeGateway.Ok(0, true));
        long t0 = System.nanoTime();
        Run r = load(azure("stall.csv", new long[] {0, 10, 5}), "azure", "--endpoint", "m", "--stream", "--timeout", "1s", "--json");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.json().at("/errors_by_status/no-response/codes/timeout").asLong()).isEqualTo(1);
        assertThat((System.nanoTime() - t0) / 1e9).as("cut at the deadline, not at the server's 60 s").isLessThan(20);
    }

    @Test
    void theBaseUrlAndKeyComeFromTheCredentialsFileTheDemoWrites() throws IOException {
        Path creds = write("credentials", "url=http\\://127.0.0.1\\:1\nopenai_base_url=" + gateway.baseUrl().replace(":", "\\:")
                + "\napi_key=sk-from-file\n");
        Path trace = azure("c.csv", new long[] {0, 10, 5});
        Run r = runWith(Map.of("FLOTILLA_CREDENTIALS", creds.toString()), "load", "--trace", trace.toString(), "--format", "azure",
                "--endpoint", "m", "--progress", "0");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(gateway.received()).singleElement().satisfies(g -> assertThat(g.authorization()).isEqualTo("Bearer sk-from-file"));

        Run noKey = runWith(Map.of(), "load", "--trace", trace.toString(), "--format", "azure", "--endpoint", "m");
        assertThat(noKey.exit()).isEqualTo(3);
        assertThat(noKey.err()).contains("no API key for the gateway: pass --api-key");
    }

    @Test
    void aKeyTheGatewayRefusesExits3BeforeAnythingIsSent() {
        gateway.requiringKey("sk-right");
        Run r = load(azure("k.csv", new long[] {0, 10, 5}), "azure", "--endpoint", "m");

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).contains("refused the API key: invalid API key (invalid_api_key)");
        assertThat(gateway.received()).isEmpty();
    }

    @Test
    void mainRegistersTheCommand() {
        CommandLine cl = Main.commandLine(Map.of());
        assertThat(cl.getSubcommands()).containsKey("load");
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        assertThat(cl.execute("load", "--help")).isZero();
        assertThat(out.toString()).contains("--max-concurrency").contains("--allow-remote").contains("--duration");
    }

    @Test
    void aGatewayThatIsNotThereExits7BeforeTheReplay() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path trace = azure("u.csv", new long[] {0, 10, 5}, new long[] {10, 10, 5});
        Run r = runWith(Map.of(), "load", "--trace", trace.toString(), "--format", "azure", "--endpoint", "m", "--progress", "0",
                "--base-url", "http://127.0.0.1:" + port + "/v1", "--api-key", "k");

        assertThat(r.exit()).isEqualTo(7);
        assertThat(r.err()).contains("cannot reach the gateway at http://127.0.0.1:" + port + "/v1");
    }

    @Test
    void mooncakeRequestsThatShareHashIdsShareTheirPromptPrefix() {
        Path trace = write("mc.jsonl", """
                {"timestamp": 0, "input_length": 1000, "output_length": 6, "hash_ids": [7, 8]}
                {"timestamp": 20, "input_length": 700, "output_length": 3, "hash_ids": [7, 9]}
                {"timestamp": 40, "input_length": 600, "output_length": 3, "hash_ids": [1, 2]}
                """);
        Run r = load(trace, "mooncake", "--endpoint", "m", "--api", "completions", "--max-concurrency", "1", "--speedup", "0.5");

        assertThat(r.exit()).as(r.err()).isZero();
        Map<Integer, String> prompts = gateway.received().stream().collect(Collectors.toMap(g -> g.body().get("prompt").asText().length() / 4,
                g -> g.body().get("prompt").asText()));
        assertThat(prompts).containsOnlyKeys(1000, 700, 600);
        String block = prompts.get(1000).substring(0, 512 * 4);
        assertThat(prompts.get(700)).startsWith(block).isNotEqualTo(prompts.get(1000).substring(0, 700 * 4));
        assertThat(prompts.get(600)).doesNotStartWith(block.substring(0, 40));
    }

    @Test
    void gentdAndServeGenTracesReplayToo() throws IOException {
        Path gentd = write("g.csv", """
                gmt_create,predict_type,exec_time_seconds
                2024-11-15 16:57:50,TXT_2_IMG,3
                2024-11-15 16:57:51,TXT_2_IMG,4
                """);
        Run g = load(gentd, "gentd", "--endpoint", "m", "--speedup", "10");
        assertThat(g.exit()).as(g.err()).isZero();
        assertThat(gateway.received()).hasSize(2).allSatisfy(x -> assertThat(x.body().get("max_tokens").asInt()).isEqualTo(1));

        // ServeGen: one client at 20 requests/s for a 600-s window; a limit keeps the replay to 5 of them
        Path servegen = dir.resolve("servegen_language_m-test_trace_csvs.tar.gz");
        Files.write(servegen, gzip(tar("data/language/m-test/chunk-1-trace.csv", "0,20.0,1.0,Exponential,0,0\n")));
        Run s = load(servegen, "servegen", "--endpoint", "m", "--limit", "5", "--speedup", "2", "--rate-scale", "0.5", "--json");
        assertThat(s.exit()).as(s.err()).isZero();
        assertThat(s.json().get("replayed").asLong()).isEqualTo(5);
        assertThat(s.json().get("stopped_by").asText()).isEqualTo("limit");
        assertThat(s.err()).contains("the selection is about 6000 requests");
    }

    /** One bad invocation: the trace and format, the other arguments, and what the error line must say. */
    private record Bad(Path trace, String format, List<String> args, String... says) {}

    @Test
    void badInputExits2NamingTheOptionAndSendsNothing() {
        Path ok = azure("ok.csv", new long[] {0, 10, 5}, new long[] {100, 10, 5});
        Path unsorted = write("unsorted.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.0,1,1\n"
                + "2023-11-16 18:17:05.0,2,2\n2023-11-16 18:17:04.0,3,3\n");
        Path negative = write("neg.jsonl", "{\"timestamp\": -5, \"input_length\": 1, \"output_length\": 1}\n");
        Path empty = write("empty.csv", "");
        Path nope = dir.resolve("nope.csv");
        Path late = write("late.jsonl", "{\"timestamp\": 60000, \"input_length\": 1, \"output_length\": 1}\n");
        List<Bad> cases = List.of(
                new Bad(ok, "parquet", List.of(), "--format: unknown trace format 'parquet'; accepted: azure, mooncake, servegen, gentd"),
                new Bad(nope, "azure", List.of(), "--trace: trace file " + nope + " does not exist"),
                new Bad(dir, "azure", List.of(), "--trace: trace file " + dir + " is not a regular file"),
                new Bad(empty, "azure", List.of(), "--trace: ", "is empty"),
                new Bad(unsorted, "azure", List.of(), "--trace: unsorted.csv line 4: time 2023-11-16 18:17:04 is earlier than line 3's"),
                new Bad(negative, "mooncake", List.of(), "--trace: neg.jsonl line 1, field timestamp: -5 is negative"),
                new Bad(ok, "azure", List.of("--speedup", "0"), "--speedup must be a finite number > 0, got 0.0"),
                new Bad(ok, "azure", List.of("--speedup", "-2"), "--speedup must be a finite number > 0, got -2.0"),
                new Bad(ok, "azure", List.of("--speedup", "NaN"), "--speedup must be a finite number > 0, got NaN"),
                new Bad(ok, "azure", List.of("--speedup", "Infinity"), "--speedup must be a finite number > 0, got Infinity"),
                new Bad(ok, "azure", List.of("--speedup", "fast"), "'fast' is not a double", "--speedup"),
                new Bad(ok, "azure", List.of("--max-concurrency", "0"), "--max-concurrency must be >= 1, got 0"),
                new Bad(ok, "azure", List.of("--limit", "0"), "--limit must be >= 1, got 0"),
                new Bad(ok, "azure", List.of("--duration", "soon"), "--duration must be a duration such as 30s"),
                new Bad(ok, "azure", List.of("--api", "images"), "unknown --api 'images'; accepted: chat, completions, embeddings"),
                new Bad(ok, "azure", List.of("--api", "embeddings", "--stream"), "--stream applies to --api chat and completions"),
                new Bad(ok, "azure", List.of("--base-url", "http://example.com:8081/v1"),
                        "--base-url http://example.com:8081/v1 is not on this machine", "unless --allow-remote is given"),
                new Bad(ok, "azure", List.of("--base-url", "http://10.0.0.7:8081/v1"), "is not on this machine"),
                new Bad(ok, "azure", List.of("--base-url", "ftp://127.0.0.1/v1"), "--base-url must look like http://127.0.0.1:8081/v1"),
                new Bad(ok, "azure", List.of("--rate-scale", "2"), "--rate-scale: rate-scale applies to servegen traces only"),
                new Bad(late, "mooncake", List.of("--days", "0.0001"), "--trace " + late + " has no requests in the selection (--days 0.0001)"),
                new Bad(ok, "azure", List.of("--endpoint", "gpt-9"), "--endpoint 'gpt-9' is not served by the gateway at", "it serves: m,"));
        for (Bad c : cases) {
            List<String> args = new ArrayList<>(List.of("load", "--trace", c.trace().toString(), "--format", c.format(),
                    "--api-key", "k", "--progress", "0"));
            if (!c.args().contains("--endpoint")) {
                args.addAll(List.of("--endpoint", "m"));
            }
            if (!c.args().contains("--base-url")) {
                args.addAll(List.of("--base-url", gateway.baseUrl()));
            }
            args.addAll(c.args());
            Run r = runWith(Map.of(), args.toArray(String[]::new));
            assertThat(r.exit()).as("%s: %s", c, r.err()).isEqualTo(2);
            assertThat(r.err()).as(c.toString()).startsWith("error: ").contains(c.says());
        }
        assertThat(gateway.received()).as("no bad input sends anything").isEmpty();
    }

    @Test
    void loopbackMeansLocalhostOr127Slash8OrColonColon1AndNamesAreNotResolved() {
        for (String h : List.of("127.0.0.1", "127.9.8.7", "[::1]", "localhost", "LocalHost")) {
            assertThat(LoadCommand.isLoopback(h)).as(h).isTrue();
        }
        for (String h : List.of("10.0.0.1", "128.0.0.1", "0.0.0.0", "example.com", "localhost.example.com", "[::2]", "")) {
            assertThat(LoadCommand.isLoopback(h)).as(h).isFalse();
        }
        assertThat(LoadCommand.baseUrl("http://127.0.0.1:8081/").toString()).isEqualTo("http://127.0.0.1:8081/v1");
        assertThat(LoadCommand.baseUrl("http://127.0.0.1:8081/v1/").toString()).isEqualTo("http://127.0.0.1:8081/v1");
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    /** A one-entry POSIX ustar archive. */
    private static byte[] tar(String name, String content) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", data.length));
        put(h, 136, String.format("%011o", 0));
        h[156] = '0';
        put(h, 257, "ustar");
        put(h, 263, "00");
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(h);
        out.writeBytes(java.util.Arrays.copyOf(data, (data.length + 511) / 512 * 512));
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
