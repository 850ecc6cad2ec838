package dev.flotilla.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmulatorServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "Llama-3.1-8B";

    private static Vertx vertx;
    private static WebClient web;
    private static HttpClient http;
    private static EmulatorServer server;

    @BeforeAll
    static void start() {
        server = EmulatorServer.start(EmulatorConfig.of(0, MODEL, "H100_SXM", 0.02));
        vertx = Vertx.vertx();
        web = WebClient.create(vertx);
        http = vertx.createHttpClient();
    }

    @AfterAll
    static void stop() {
        server.close();
        vertx.close().await();
    }

    private static String chat(String content, String extra) {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]"
                + extra + "}";
    }

    private static HttpResponse<Buffer> post(EmulatorServer s, String path, String body) {
        return web.post(s.port(), "localhost", path).putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer(body)).await();
    }

    private static JsonNode json(HttpResponse<Buffer> response) throws Exception {
        return JSON.readTree(response.bodyAsString());
    }

    @Test
    void chatCompletionIsDeterministicWithUsageAndEmulatedMarkers() throws Exception {
        HttpResponse<Buffer> first = post(server, "/v1/chat/completions", chat("Hello there", ",\"temperature\":1.5"));
        HttpResponse<Buffer> second = post(server, "/v1/chat/completions", chat("Hello there", ",\"temperature\":0"));
        HttpResponse<Buffer> other = post(server, "/v1/chat/completions", chat("Something else", ""));

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.getHeader(EmulatorServer.EMULATED_HEADER)).isEqualTo("true");
        JsonNode body = json(first);
        String content = body.at("/choices/0/message/content").asText();
        assertThat(content).isNotBlank().isEqualTo(json(second).at("/choices/0/message/content").asText())
                .isNotEqualTo(json(other).at("/choices/0/message/content").asText());
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("model").asText()).isEqualTo(MODEL);
        assertThat(body.get("system_fingerprint").asText()).isEqualTo("flotilla-emulator-H100_SXM");
        assertThat(body.at("/choices/0/message/role").asText()).isEqualTo("assistant");
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        // "Hello there": 11 characters = 3 tokens, + 4 for the message + 3 to prime the reply.
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(10);
        int completion = body.at("/usage/completion_tokens").asInt();
        assertThat(completion).isBetween(24, 279);
        assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(10 + completion);
    }

    @Test
    void maxTokensCutsTheAnswerWithFinishReasonLength() throws Exception {
        JsonNode body = json(post(server, "/v1/chat/completions", chat("Hello there", ",\"max_tokens\":5")));
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(5);
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");

        JsonNode full = json(post(server, "/v1/chat/completions", chat("Hello there", "")));
        assertThat(full.at("/choices/0/message/content").asText())
                .startsWith(body.at("/choices/0/message/content").asText());
    }

    @Test
    void textCompletionAnswersThePrompt() throws Exception {
        HttpResponse<Buffer> response = post(server, "/v1/completions",
                "{\"model\":\"" + MODEL + "\",\"prompt\":\"Once upon a time\",\"max_completion_tokens\":4}");
        JsonNode body = json(response);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(body.get("object").asText()).isEqualTo("text_completion");
        assertThat(body.at("/choices/0/text").asText()).isNotBlank();
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(4);
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void streamSendsOrderedChunksThenFinishThenUsageThenDone() throws Exception {
        Sse sse = stream(server, "/v1/chat/completions",
                chat("Stream me", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"), e -> {}).get(30,
                        TimeUnit.SECONDS);
        String whole = json(post(server, "/v1/chat/completions", chat("Stream me", "")))
                .at("/choices/0/message/content").asText();

        assertThat(sse.status).isEqualTo(200);
        assertThat(sse.emulated).isEqualTo("true");
        List<String> data = sse.data;
        assertThat(data.getLast()).isEqualTo("[DONE]");
        List<JsonNode> chunks = new ArrayList<>();
        for (String d : data.subList(0, data.size() - 1)) {
            chunks.add(JSON.readTree(d));
        }
        JsonNode usage = chunks.getLast();
        JsonNode finish = chunks.get(chunks.size() - 2);
        List<JsonNode> tokens = chunks.subList(0, chunks.size() - 2);

        assertThat(tokens.getFirst().at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(tokens.subList(1, tokens.size())).allMatch(c -> c.at("/choices/0/delta/role").isMissingNode());
        StringBuilder text = new StringBuilder();
        for (JsonNode c : tokens) {
            assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.get("system_fingerprint").asText()).isEqualTo("flotilla-emulator-H100_SXM");
            assertThat(c.at("/choices/0/finish_reason").isNull()).isTrue();
            text.append(c.at("/choices/0/delta/content").asText());
        }
        assertThat(text.toString()).isEqualTo(whole);
        assertThat(finish.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.at("/usage/completion_tokens").asInt()).isEqualTo(tokens.size());
        assertThat(chunks).extracting(c -> c.get("id").asText()).containsOnly(tokens.getFirst().get("id").asText());
    }

    @Test
    void streamWithoutIncludeUsageHasNoUsageChunk() throws Exception {
        Sse sse = stream(server, "/v1/completions", "{\"model\":\"" + MODEL
                + "\",\"prompt\":\"abc\",\"max_tokens\":3,\"stream\":true}", e -> {}).get(30, TimeUnit.SECONDS);
        assertThat(sse.data).hasSize(3 + 1 + 1).last().isEqualTo("[DONE]");
        JsonNode finish = JSON.readTree(sse.data.get(3));
        assertThat(finish.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(finish.has("usage")).isFalse();
    }

    @Test
    void modelsListsTheServedModel() throws Exception {
        HttpResponse<Buffer> response = web.get(server.port(), "localhost", "/v1/models").send().await();
        JsonNode body = json(response);
        assertThat(response.getHeader(EmulatorServer.EMULATED_HEADER)).isEqualTo("true");
        assertThat(body.get("object").asText()).isEqualTo("list");
        assertThat(body.at("/data/0/id").asText()).isEqualTo(MODEL);
        assertThat(body.at("/data/0/object").asText()).isEqualTo("model");
        assertThat(body.at("/data/0/owned_by").asText()).isEqualTo("flotilla-emulator");
    }

    @Test
    void healthIsOkWhenListening() {
        HttpResponse<Buffer> response = web.get(server.port(), "localhost", "/health").send().await();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.getHeader(EmulatorServer.EMULATED_HEADER)).isEqualTo("true");
    }

    @Test
    void badRequestsGetOpenAiErrors() throws Exception {
        int max = server.maxModelLen();
        assertError(post(server, "/v1/chat/completions", "{\"model\":"), 400, null, null);
        assertError(post(server, "/v1/chat/completions", "[1,2]"), 400, null, null);
        assertError(post(server, "/v1/chat/completions", chat("hi", ",\"max_tokens\":\"ten\"")), 400, "max_tokens",
                null);
        assertError(post(server, "/v1/chat/completions", chat("hi", ",\"max_tokens\":0")), 400, "max_tokens", null);
        assertError(post(server, "/v1/chat/completions", chat("hi", ",\"max_tokens\":" + (max + 1))), 400,
                "max_tokens", null);
        assertError(post(server, "/v1/chat/completions", chat("hi", ",\"max_tokens\":" + max)), 400, "messages",
                "context_length_exceeded");
        assertError(post(server, "/v1/chat/completions", chat("hi", ",\"n\":2")), 400, "n", null);
        assertError(post(server, "/v1/chat/completions", chat("hi", ",\"stream\":\"yes\"")), 400, "stream", null);
        assertError(post(server, "/v1/chat/completions", chat("hi", ",\"temperature\":\"hot\"")), 400, "temperature",
                null);
        assertError(post(server, "/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[]}"), 400,
                "messages", null);
        assertError(post(server, "/v1/chat/completions", "{\"model\":\"" + MODEL
                + "\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}"), 400, "messages[0].role", null);
        assertError(post(server, "/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":[\"a\",\"b\"]}"), 400,
                "prompt", null);
        assertError(post(server, "/v1/chat/completions", chat("hi", "").replace(MODEL, "gpt-9")), 404, "model",
                "model_not_found");
        assertError(post(server, "/v1/chat/completions", chat("x".repeat(2 << 20), "")), 413, null,
                "request_too_large");
        assertError(web.get(server.port(), "localhost", "/v1/nothing").send().await(), 404, null, "not_found");
    }

    private static void assertError(HttpResponse<Buffer> response, int status, String param, String code)
            throws Exception {
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
        assertThat(response.getHeader(EmulatorServer.EMULATED_HEADER)).isEqualTo("true");
        JsonNode error = json(response).get("error");
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
        assertThat(error.get("param").isNull() ? null : error.get("param").asText()).isEqualTo(param);
        assertThat(error.get("code").isNull() ? null : error.get("code").asText()).isEqualTo(code);
    }

    @Test
    void parallelRequestsAllCompleteAndQueueingRaisesTimeToFirstToken() throws Exception {
        // Slower time scale so that prefill (about 0.1 s modelled for 4,000 tokens) dwarfs HTTP noise.
        try (EmulatorServer slow = EmulatorServer.start(EmulatorConfig.of(0, MODEL, "H100_SXM", 0.2))) {
            String longPrompt = "word ".repeat(3200);
            String body = chat(longPrompt, ",\"max_tokens\":8,\"stream\":true");
            double lone = stream(slow, "/v1/chat/completions", body, e -> {}).get(30, TimeUnit.SECONDS).ttftMillis;

            List<CompletableFuture<Sse>> parallel = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                parallel.add(stream(slow, "/v1/chat/completions", chat(longPrompt + i, ",\"max_tokens\":8,"
                        + "\"stream\":true"), e -> {}));
            }
            double sum = 0;
            for (CompletableFuture<Sse> f : parallel) {
                Sse sse = f.get(30, TimeUnit.SECONDS);
                assertThat(sse.status).isEqualTo(200);
                assertThat(sse.data.getLast()).isEqualTo("[DONE]");
                sum += sse.ttftMillis;
            }
            assertThat(sum / 8).isGreaterThan(lone * 1.5);
            awaitIdle(slow, 1000);
            assertThat(slow.load().running()).isZero();
            assertThat(slow.load().waiting()).isZero();
        }
    }

    @Test
    void disconnectingMidStreamCancelsTheRequest() throws Exception {
        // A prompt whose deterministic answer is long, on a server at twice real time, so the
        // answer would take seconds to finish on its own.
        String prompt = null;
        for (int i = 0; prompt == null; i++) {
            String candidate = "tell me a story " + i;
            if (DeterministicText.tokens(DeterministicText.seed("user\u0000" + candidate + "\u0000")).size() > 200) {
                prompt = candidate;
            }
        }
        try (EmulatorServer slow = EmulatorServer.start(EmulatorConfig.of(0, MODEL, "H100_SXM", 2.0))) {
            AtomicBoolean closed = new AtomicBoolean();
            AtomicInteger runningAtDisconnect = new AtomicInteger(-1);
            CompletableFuture<Sse> sse = stream(slow, "/v1/chat/completions", chat(prompt, ",\"stream\":true"),
                    response -> {
                        if (closed.compareAndSet(false, true)) {
                            runningAtDisconnect.set(slow.load().running());
                            response.request().connection().close();
                        }
                    });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!closed.get() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(closed).isTrue();
            assertThat(runningAtDisconnect).hasValue(1);
            awaitIdle(slow, 1000);
            // 200 tokens at about 14 ms each would run for seconds without the cancel.
            assertThat(slow.load().running()).isZero();
            assertThat(slow.load().kvUsedTokens()).isZero();
            long steps = slow.load().steps();
            Thread.sleep(100);
            assertThat(slow.load().steps()).isEqualTo(steps);
            assertThat(sse).isNotCompletedExceptionally();
        }
    }

    private static void awaitIdle(EmulatorServer s, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (s.load().running() + s.load().waiting() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    @Test
    void loadReportsQueueAndKvFigures() throws Exception {
        JsonNode load = json(web.get(server.port(), "localhost", "/load").send().await());
        assertThat(load.get("emulated").asBoolean()).isTrue();
        assertThat(load.get("running").asInt()).isGreaterThanOrEqualTo(0);
        assertThat(load.get("kv_cache_utilization").asDouble()).isBetween(0.0, 1.0);
        assertThat(load.get("kv_cache_capacity_tokens").asLong()).isPositive();
        assertThat(load.has("tokens_per_second")).isTrue();
    }

    /** A streamed response as received: status, header, each {@code data:} payload, time to first byte. */
    private record Sse(int status, String emulated, List<String> data, double ttftMillis) {}

    /** Posts and reads the SSE stream; {@code onChunk} sees the response at each body chunk. */
    private static CompletableFuture<Sse> stream(EmulatorServer s, String path, String body,
            Consumer<HttpClientResponse> onChunk) {
        CompletableFuture<Sse> done = new CompletableFuture<>();
        long start = System.nanoTime();
        http.request(HttpMethod.POST, s.port(), "localhost", path)
                .compose(request -> request.putHeader("Content-Type", "application/json").send(body))
                .onSuccess(response -> {
                    double ttft = (System.nanoTime() - start) / 1e6;
                    StringBuilder text = new StringBuilder();
                    response.handler(chunk -> {
                        text.append(chunk.toString());
                        onChunk.accept(response);
                    });
                    response.exceptionHandler(e -> done.complete(new Sse(response.statusCode(),
                            response.getHeader(EmulatorServer.EMULATED_HEADER), events(text), ttft)));
                    response.endHandler(v -> done.complete(new Sse(response.statusCode(),
                            response.getHeader(EmulatorServer.EMULATED_HEADER), events(text), ttft)));
                })
                .onFailure(done::completeExceptionally);
        return done;
    }

    private static List<String> events(StringBuilder text) {
        List<String> data = new ArrayList<>();
        for (String event : text.toString().split("\n\n")) {
            if (event.startsWith("data: ")) {
                data.add(event.substring("data: ".length()));
            }
        }
        return data;
    }
}
