package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.flotilla.server.FlotillaServer;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.server.demo.DemoMarket;
import dev.flotilla.store.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The "done when", against what {@code flotilla demo} brings up: the official OpenAI Java
 * SDK, unchanged but for base URL and key, calls chat (streaming and not) and embeddings through
 * the gateway; and killing a worker's model server during a load run loses no non-streamed
 * request. Real agents, real child processes, real database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoServingTest {
    private FlotillaServer server;
    private DemoServing demo;
    private OpenAIClient openai;
    private String tenantKey;

    @BeforeAll
    void start() throws Exception {
        server = FlotillaServer.start(FlotillaConfig.defaultsOnly().withHttpPort(0).withGatewayPort(0),
                InstantSource.system(), TestDatabases.open());
        DemoMarket.Credentials creds = DemoMarket.ensure(server.market(), 42);
        tenantKey = creds.tenantKey();
        Path state = Files.createTempDirectory("flotilla-demo-agents");
        demo = DemoServing.start(server.url(), creds.hostToken(), creds.tenantKey(), state);
        assertThat(demo.awaitReady(Duration.ofMinutes(3))).as("both demo endpoints have a ready worker").isTrue();
        openai = OpenAIOkHttpClient.builder().baseUrl(server.openAiUrl().orElseThrow()).apiKey(tenantKey)
                .timeout(Duration.ofSeconds(60)).maxRetries(0).build();
    }

    @AfterAll
    void stop() {
        if (openai != null) {
            openai.close();
        }
        if (demo != null) {
            demo.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static ChatCompletionCreateParams chat(String content, long maxTokens) {
        return ChatCompletionCreateParams.builder().model(DemoServing.LLM).addUserMessage(content)
                .maxCompletionTokens(maxTokens).build();
    }

    @Test
    @SuppressWarnings("deprecation") // OpenAI deprecated system_fingerprint; the emulator still marks itself with it
    void theOpenAiSdkChatsWithTheEmulatedLlm() {
        ChatCompletion c = openai.chat().completions().create(chat("Say hello to the fleet.", 16));

        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().get(0).message().content()).hasValueSatisfying(t -> assertThat(t).isNotBlank());
        assertThat(c.usage()).hasValueSatisfying(u -> {
            assertThat(u.promptTokens()).isPositive();
            assertThat(u.completionTokens()).isPositive();
        });
        // the emulator says so on every answer
        assertThat(c.systemFingerprint()).hasValueSatisfying(f -> assertThat(f).contains("emulat"));
    }

    @Test
    void theOpenAiSdkStreamsChunkByChunk() {
        List<String> deltas = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions()
                .createStreaming(chat("Stream a short answer.", 24))) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(ch -> ch.delta().content().ifPresent(deltas::add)));
        }
        assertThat(deltas.size()).as("content arrived as several chunks").isGreaterThan(3);
        assertThat(String.join("", deltas)).isNotBlank();
    }

    @Test
    void theOpenAiSdkEmbedsWithTheRealModel() {
        CreateEmbeddingResponse r = openai.embeddings().create(EmbeddingCreateParams.builder().model(DemoServing.EMBEDDINGS)
                .inputOfArrayOfStrings(List.of("A cat sits on the mat.", "A kitten is sitting on a rug.",
                        "Quarterly revenue rose by four percent."))
                .build());

        assertThat(r.data()).hasSize(3);
        List<List<Float>> v = r.data().stream().map(e -> e.embedding()).toList();
        assertThat(v.get(0)).hasSize(384);
        double norm = Math.sqrt(v.get(0).stream().mapToDouble(x -> x * x).sum());
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(dot(v.get(0), v.get(1))).as("similar sentences score higher than unrelated ones")
                .isGreaterThan(dot(v.get(0), v.get(2)) + 0.2);
    }

    /** The process's command line: /proc first, since the JDK gives only the executable when it is long. */
    private static String commandLine(ProcessHandle p) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline")).replace('\0', ' ');
        } catch (java.io.IOException | RuntimeException e) {
            return p.info().commandLine().orElse("");
        }
    }

    private static double dot(List<Float> a, List<Float> b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) {
            s += a.get(i) * b.get(i);
        }
        return s;
    }

    @Test
    void killingAWorkerDuringALoadRunLosesNoNonStreamedRequest() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        // The demo's LLM endpoint is autoscaled; this test sets the count itself.
        HttpRequest manual = HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/endpoints/" + DemoServing.LLM))
                .header("Authorization", "Bearer " + tenantKey).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"policy\": \"manual\"}")).build();
        assertThat(http.send(manual, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        HttpRequest scale = HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/endpoints/" + DemoServing.LLM + "/scale"))
                .header("Authorization", "Bearer " + tenantKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"workers\": 2}")).build();
        assertThat(http.send(scale, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (demo.readyWorkers(DemoServing.LLM) < 2) {
            assertThat(System.nanoTime()).as("two ready LLM workers within 3 minutes").isLessThan(deadline);
            Thread.sleep(250);
        }

        int requests = 120;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ChatCompletion>> answers = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                int n = i;
                answers.add(pool.submit(() -> openai.chat().completions().create(chat("request " + n, 24))));
            }
            // once the run is under way, kill one of the LLM model servers outright
            Thread.sleep(1500);
            ProcessHandle victim = ProcessHandle.current().descendants()
                    .filter(p -> commandLine(p).contains("dev.flotilla.emulator.EmulatorServer"))
                    .findFirst().orElseThrow();
            assertThat(victim.destroyForcibly()).isTrue();

            int ok = 0;
            for (Future<ChatCompletion> f : answers) {
                ChatCompletion c = f.get();
                assertThat(c.choices()).hasSize(1);
                ok++;
            }
            assertThat(ok).isEqualTo(requests);
            // the agent saw its model server die and said so; the reconciler replaces the worker
            HttpRequest all = HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/endpoints/" + DemoServing.LLM
                    + "/workers?all=true")).header("Authorization", "Bearer " + tenantKey).build();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            String workers = "";
            while (!workers.contains("\"state\":\"failed\"") && System.nanoTime() < until) {
                Thread.sleep(200);
                workers = http.send(all, HttpResponse.BodyHandlers.ofString()).body();
            }
            assertThat(workers).contains("\"state\":\"failed\"");
        } finally {
            pool.shutdownNow();
            http.close();
        }
    }
}
