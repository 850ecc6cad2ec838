package dev.flotilla.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.emulator.EmulatorConfig;
import dev.flotilla.emulator.EmulatorServer;
import dev.flotilla.routing.RateLimit;
import dev.flotilla.routing.WorkerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway on an ephemeral port in front of real emulator servers. */
class GatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LLAMA = "Llama-3.1-8B";
    private static final String GPU = "H100_SXM";
    private static final byte[] SECRET = "gateway-test-signing-secret-0123".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private static EmulatorServer fast;
    private static EmulatorServer slow;
    private static EmulatorServer retry;
    private static Gateway gateway;
    private static final FakeDirectory DIRECTORY = new FakeDirectory();
    private static final List<Usage> USAGE = Collections.synchronizedList(new ArrayList<>());
    private static Vertx vertx;
    private static WebClient web;
    private static HttpClient http;

    @BeforeAll
    static void start() throws IOException {
        fast = emulator("fast-llama", 0.02);
        slow = emulator("slow-llama", 2.0);
        retry = emulator("retry-llama", 0.02);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        DIRECTORY.put("acme", endpoint("ep-fast", "fast-llama", Duration.ofSeconds(30), worker("w-fast", "ep-fast", fast, 64)))
                .put("acme", endpoint("ep-slow", "slow-llama", Duration.ofSeconds(30), worker("w-slow", "ep-slow", slow, 1)))
                .put("acme", new EndpointView("ep-retry", "retry-llama", "least-load", Duration.ofSeconds(30), 10,
                        List.of(WorkerState.ready("a-dead", "ep-retry", "eu", 8), WorkerState.ready("b-live", "ep-retry", "eu", 8)),
                        Map.of("a-dead", URI.create("http://127.0.0.1:" + closedPort),
                                "b-live", URI.create("http://127.0.0.1:" + retry.port()))))
                .put("tight", endpoint("ep-tight", "slow-llama", Duration.ofMillis(50), worker("w-tight", "ep-tight", slow, 1)))
                .put("limited", endpoint("ep-limited", "fast-llama", Duration.ofSeconds(30), worker("w-limited", "ep-limited", fast, 8)));
        Credentials credentials = key -> switch (key) {
            case "sk-acme" -> java.util.Optional.of(new Caller("acme", "acme key"));
            case "sk-tight" -> java.util.Optional.of(new Caller("tight", "tight key"));
            case "sk-limited" -> java.util.Optional.of(new Caller("limited", "limited key"));
            default -> java.util.Optional.empty();
        };
        gateway = Gateway.start(GatewayConfig.defaults().withMaxBodyBytes(64 * 1024)
                        .withRateLimits(RateLimit.perMinute(600, 1_000_000), Map.of("limited", RateLimit.perMinute(1, 100_000))),
                credentials, DIRECTORY, USAGE::add,
                (endpoint, worker) -> java.util.Optional.of(dev.flotilla.core.WorkerToken.mint(
                        dev.flotilla.core.WorkerToken.workerKey(SECRET, worker), endpoint, worker,
                        java.time.Instant.now().plusSeconds(60))),
                InstantSource.system());
        vertx = Vertx.vertx();
        web = WebClient.create(vertx);
        http = vertx.createHttpClient();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        fast.close();
        slow.close();
        retry.close();
        vertx.close().await();
    }

    private static EmulatorServer emulator(String served, double timeScale) {
        return EmulatorServer.start(new EmulatorConfig(0, LLAMA, served, GPU, 1, timeScale, 0));
    }

    private static EndpointView endpoint(String id, String model, Duration maxQueueTime, Map.Entry<WorkerState, URI> worker) {
        return new EndpointView(id, model, "least-load", maxQueueTime, 10, List.of(worker.getKey()),
                Map.of(worker.getKey().workerId(), worker.getValue()));
    }

    private static Map.Entry<WorkerState, URI> worker(String id, String endpointId, EmulatorServer server, double capacity) {
        return Map.entry(WorkerState.ready(id, endpointId, "eu", capacity), URI.create("http://127.0.0.1:" + server.port()));
    }

    private static String chat(String model, String content, String extra) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]" + extra + "}";
    }

    private static HttpResponse<Buffer> post(String key, String path, String body) {
        var request = web.post(gateway.port(), "127.0.0.1", path).putHeader("Content-Type", "application/json");
        if (key != null) {
            request.putHeader("Authorization", "Bearer " + key);
        }
        return request.sendBuffer(Buffer.buffer(body)).await();
    }

    private static HttpResponse<Buffer> direct(EmulatorServer server, String body) {
        return web.post(server.port(), "127.0.0.1", "/v1/chat/completions").putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer(body)).await();
    }

    private static JsonNode json(HttpResponse<Buffer> response) throws IOException {
        return JSON.readTree(response.bodyAsString());
    }

    private static void assertError(HttpResponse<Buffer> response, int status, String code) throws IOException {
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
        assertThat(response.getHeader("Content-Type")).startsWith("application/json");
        JsonNode error = json(response).get("error");
        assertThat(error).isNotNull();
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.has("type") && error.has("param") && error.has("code")).isTrue();
        if (code != null) {
            assertThat(error.get("code").asText()).isEqualTo(code);
        }
    }

    /** One SSE event as the client saw it, with its arrival time. */
    record Event(long arrivedNanos, String data) {}

    /**
     * Streams {@code body} through the gateway and returns the events in arrival order; {@code onFirst}
     * runs (on an event loop) when the first event arrives.
     */
    private static List<Event> stream(String key, String body, Consumer<Event> onFirst) throws Exception {
        List<Event> events = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> done = new CompletableFuture<>();
        StringBuilder pending = new StringBuilder();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(gateway.port()).setURI("/v1/chat/completions")
                .putHeader("Content-Type", "application/json").putHeader("Authorization", "Bearer " + key);
        http.request(options).compose(req -> req.send(Buffer.buffer(body))).onComplete(ar -> {
            if (ar.failed()) {
                done.completeExceptionally(ar.cause());
                return;
            }
            HttpClientResponse response = ar.result();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.getHeader("Content-Type")).startsWith("text/event-stream");
            response.handler(buf -> {
                long now = System.nanoTime();
                pending.append(buf.toString(StandardCharsets.UTF_8));
                int end;
                while ((end = pending.indexOf("\n\n")) >= 0) {
                    String event = pending.substring(0, end).strip();
                    pending.delete(0, end + 2);
                    if (event.startsWith("data:")) {
                        Event e = new Event(now, event.substring(5).strip());
                        events.add(e);
                        if (events.size() == 1) {
                            onFirst.accept(e);
                        }
                    }
                }
            });
            response.exceptionHandler(done::completeExceptionally);
            response.endHandler(v -> done.complete(null));
        });
        done.get(30, TimeUnit.SECONDS);
        return List.copyOf(events);
    }

    private static List<Usage> usageOf(String endpointId) {
        synchronized (USAGE) {
            return USAGE.stream().filter(u -> u.endpointId().equals(endpointId)).toList();
        }
    }

    @Test
    void nonStreamingChatEqualsTheEmulatorsOwnAnswerAndRecordsItsUsage() throws Exception {
        String body = chat("fast-llama", "Tell me about gateways", ",\"temperature\":1.7");
        HttpResponse<Buffer> through = post("sk-acme", "/v1/chat/completions", body);
        HttpResponse<Buffer> own = direct(fast, body);

        assertThat(through.statusCode()).isEqualTo(200);
        assertThat(through.getHeader(EmulatorServer.EMULATED_HEADER)).isEqualTo("true");
        JsonNode answer = json(through);
        JsonNode expected = json(own);
        assertThat(answer.at("/choices/0/message/content").asText()).isNotBlank()
                .isEqualTo(expected.at("/choices/0/message/content").asText());
        assertThat(answer.get("usage")).isEqualTo(expected.get("usage"));
        assertThat(answer.get("system_fingerprint")).isEqualTo(expected.get("system_fingerprint"));

        Usage usage = usageOf("ep-fast").getLast();
        assertThat(usage.tenantId()).isEqualTo("acme");
        assertThat(usage.workerId()).isEqualTo("w-fast");
        assertThat(usage.promptTokens()).isEqualTo(expected.at("/usage/prompt_tokens").asLong());
        assertThat(usage.completionTokens()).isEqualTo(expected.at("/usage/completion_tokens").asLong());
        assertThat(usage.estimated()).isFalse();
        assertThat(usage.status()).isEqualTo(200);
        assertThat(usage.workerSeconds()).isPositive();
    }

    @Test
    void streamingPassesChunksThroughInOrderAsTheyArrive() throws Exception {
        String prompt = "Stream me a story";
        long start = System.nanoTime();
        List<Event> events = stream("sk-acme",
                chat("slow-llama", prompt, ",\"stream\":true,\"max_tokens\":30,\"stream_options\":{\"include_usage\":true}"),
                e -> {});

        assertThat(events.size()).isGreaterThan(5);
        assertThat(events.getLast().data()).isEqualTo("[DONE]");
        StringBuilder content = new StringBuilder();
        JsonNode usageChunk = null;
        for (Event e : events.subList(0, events.size() - 1)) {
            JsonNode chunk = JSON.readTree(e.data());
            content.append(chunk.at("/choices/0/delta/content").asText(""));
            if (chunk.get("usage") != null && chunk.get("usage").isObject()) {
                usageChunk = chunk.get("usage");
            }
        }
        JsonNode whole = json(direct(slow, chat("slow-llama", prompt, ",\"max_tokens\":30")));
        assertThat(content.toString()).isEqualTo(whole.at("/choices/0/message/content").asText());
        assertThat(usageChunk).isNotNull();

        // Passed through as produced: the first event arrives well before the last one, not all at once.
        long first = events.getFirst().arrivedNanos() - start;
        long last = events.getLast().arrivedNanos() - start;
        assertThat(last - first).as("first at %d ms, last at %d ms", first / 1_000_000, last / 1_000_000)
                .isGreaterThan(last / 2);

        Usage usage = usageOf("ep-slow").getLast();
        assertThat(usage.estimated()).isFalse();
        assertThat(usage.completionTokens()).isEqualTo(usageChunk.get("completion_tokens").asLong());
        assertThat(usage.promptTokens()).isEqualTo(usageChunk.get("prompt_tokens").asLong());
    }

    @Test
    void modelsListsOnlyTheCallersModels() throws Exception {
        HttpResponse<Buffer> acme = web.get(gateway.port(), "127.0.0.1", "/v1/models")
                .putHeader("Authorization", "Bearer sk-acme").send().await();
        HttpResponse<Buffer> tight = web.get(gateway.port(), "127.0.0.1", "/v1/models")
                .putHeader("Authorization", "Bearer sk-tight").send().await();
        HttpResponse<Buffer> anonymous = web.get(gateway.port(), "127.0.0.1", "/v1/models").send().await();

        assertThat(json(acme).get("object").asText()).isEqualTo("list");
        assertThat(json(acme).findValuesAsText("id")).containsExactly("fast-llama", "retry-llama", "slow-llama");
        // other tests add endpoints to 'tight' too; what matters is that acme's own models stay hidden
        assertThat(json(tight).findValuesAsText("id")).contains("slow-llama").doesNotContain("fast-llama");
        assertError(anonymous, 401, "missing_api_key");
    }

    @Test
    void badInputIsAnsweredInOpenAiShapeNeverWith500() throws Exception {
        String ok = chat("fast-llama", "hi", "");
        assertError(post(null, "/v1/chat/completions", ok), 401, "missing_api_key");
        assertError(post("sk-wrong", "/v1/chat/completions", ok), 401, "invalid_api_key");
        assertError(post("sk-acme", "/v1/chat/completions", chat("no-such-model", "hi", "")), 404, "model_not_found");
        assertError(post("sk-tight", "/v1/chat/completions", chat("fast-llama", "hi", "")), 404, "model_not_found");
        assertError(post("sk-acme", "/v1/chat/completions", "{\"model\":\"fast-llama\","), 400, "invalid_json");
        assertError(post("sk-acme", "/v1/chat/completions", "[1,2]"), 400, "invalid_json");
        assertError(post("sk-acme", "/v1/chat/completions", ""), 400, "invalid_json");
        assertError(post("sk-acme", "/v1/chat/completions", "{\"messages\":[]}"), 400, "missing_model");
        assertError(post("sk-acme", "/v1/chat/completions", chat("fast-llama", "hi", ",\"stream\":\"yes\"")), 400, null);
        assertError(post("sk-acme", "/v1/chat/completions", chat("fast-llama", "hi", ",\"max_tokens\":0")), 400, "invalid_value");
        assertError(post("sk-acme", "/v1/chat/completions", chat("fast-llama", "hi", ",\"max_tokens\":\"ten\"")), 400,
                "invalid_value");
        assertError(post("sk-acme", "/v1/chat/completions", chat("fast-llama", "hi", ",\"n\":0")), 400, "invalid_value");
        assertError(post("sk-acme", "/v1/chat/completions", chat("fast-llama", "hi", ",\"n\":129")), 400, "invalid_value");
        assertError(post("sk-acme", "/v1/chat/completions", chat("fast-llama", "hi", ",\"n\":1.5")), 400, "invalid_value");
        assertError(post("sk-acme", "/v1/chat/completions", chat("fast-llama", "x".repeat(100_000), "")), 413,
                "request_too_large");
        assertError(post("sk-acme", "/v1/nothing", ok), 404, "not_found");
    }

    @Test
    void rateLimitedTenantGets429WithRetryAfter() throws Exception {
        HttpResponse<Buffer> first = post("sk-limited", "/v1/chat/completions", chat("fast-llama", "one", ""));
        HttpResponse<Buffer> second = post("sk-limited", "/v1/chat/completions", chat("fast-llama", "two", ""));

        assertThat(first.statusCode()).isEqualTo(200);
        assertError(second, 429, "rate_limit_exceeded");
        assertThat(Long.parseLong(second.getHeader("Retry-After"))).isBetween(1L, 60L);
    }

    @Test
    void queuedRequestWaitsForTheBusyWorkerThenSucceeds() throws Exception {
        EndpointLoad before = gateway.load().getOrDefault("ep-slow", new EndpointLoad(0, 0, 0, 0));
        // Without the queue the short second request would finish first (the emulator batches).
        Future<HttpResponse<Buffer>> first = web.post(gateway.port(), "127.0.0.1", "/v1/chat/completions")
                .putHeader("Authorization", "Bearer sk-acme")
                .sendBuffer(Buffer.buffer(chat("slow-llama", "first in line", ",\"max_tokens\":20")));
        Thread.sleep(50);
        Future<HttpResponse<Buffer>> second = web.post(gateway.port(), "127.0.0.1", "/v1/chat/completions")
                .putHeader("Authorization", "Bearer sk-acme")
                .sendBuffer(Buffer.buffer(chat("slow-llama", "second in line", ",\"max_tokens\":3")))
                .map(r -> {
                    assertThat(first.isComplete()).as("second answered only after the first").isTrue();
                    return r;
                });

        // what the autoscaler samples: both arrived, one holds the worker's slot, one waits
        waitUntil(() -> gateway.load().get("ep-slow").arrivals() == before.arrivals() + 2);
        EndpointLoad during = gateway.load().get("ep-slow");
        assertThat(during.inFlight()).isEqualTo(1);
        assertThat(during.queued()).isEqualTo(1);

        assertThat(first.await().statusCode()).isEqualTo(200);
        HttpResponse<Buffer> queued = second.await();
        assertThat(queued.statusCode()).as(queued.bodyAsString()).isEqualTo(200);
        assertThat(json(queued).at("/choices/0/message/content").asText()).isNotBlank();
        waitUntil(() -> gateway.inFlight("w-slow") == 0);
        EndpointLoad after = gateway.load().get("ep-slow");
        assertThat(after.inFlight()).isZero();
        assertThat(after.queued()).isZero();
        assertThat(after.tokens() - before.tokens()).as("prompt and completion tokens of both").isGreaterThan(23);
        assertThat(after.completed() - before.completed()).isEqualTo(2);
    }

    @Test
    void requestWaitingPastTheMaxQueueTimeGets503WithRetryAfter() throws Exception {
        Future<HttpResponse<Buffer>> busy = web.post(gateway.port(), "127.0.0.1", "/v1/chat/completions")
                .putHeader("Authorization", "Bearer sk-tight")
                .sendBuffer(Buffer.buffer(chat("slow-llama", "keep the worker busy", ",\"max_tokens\":60")));
        Thread.sleep(50);
        HttpResponse<Buffer> late = post("sk-tight", "/v1/chat/completions", chat("slow-llama", "too late", ""));

        assertError(late, 503, "no_capacity");
        assertThat(Long.parseLong(late.getHeader("Retry-After"))).isPositive();
        assertThat(busy.await().statusCode()).isEqualTo(200);
    }

    @Test
    void refusedConnectionIsRetriedOnAnotherWorker() throws Exception {
        String body = chat("retry-llama", "try again elsewhere", "");
        HttpResponse<Buffer> response = post("sk-acme", "/v1/chat/completions", body);

        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
        assertThat(json(response).at("/choices/0/message/content").asText())
                .isEqualTo(json(direct(retry, body)).at("/choices/0/message/content").asText());
        assertThat(usageOf("ep-retry")).extracting(Usage::workerId).containsExactly("b-live");
        assertThat(gateway.inFlight("a-dead")).isZero();
    }

    @Test
    void workerStoppedMidStreamEndsTheStreamWithAnErrorEventAndDone() throws Exception {
        EmulatorServer doomed = emulator("doomed-llama", 5.0);
        DIRECTORY.put("acme", endpoint("ep-doomed", "doomed-llama", Duration.ofSeconds(30),
                worker("w-doomed", "ep-doomed", doomed, 4)));
        CompletableFuture<Void> firstArrived = new CompletableFuture<>();
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
            firstArrived.join();
            doomed.close();
        });
        List<Event> events = stream("sk-acme", chat("doomed-llama", "a long story please", ",\"stream\":true"),
                e -> firstArrived.complete(null));
        stopped.get(30, TimeUnit.SECONDS);

        assertThat(events.size()).isGreaterThanOrEqualTo(3);
        assertThat(events.getLast().data()).isEqualTo("[DONE]");
        JsonNode error = JSON.readTree(events.get(events.size() - 2).data()).get("error");
        assertThat(error).as(events.toString()).isNotNull();
        assertThat(error.get("code").asText()).isEqualTo("stream_interrupted");
        assertThat(JSON.readTree(events.getFirst().data()).at("/choices/0/delta/content").asText()).isNotEmpty();
        assertThat(usageOf("ep-doomed")).singleElement().satisfies(u -> {
            assertThat(u.status()).isEqualTo(502);
            assertThat(u.estimated()).isTrue();
        });
    }

    @Test
    void clientThatDisconnectsWhileQueuedIsCancelled() throws Exception {
        Future<HttpResponse<Buffer>> busy = web.post(gateway.port(), "127.0.0.1", "/v1/chat/completions")
                .putHeader("Authorization", "Bearer sk-acme")
                .sendBuffer(Buffer.buffer(chat("slow-llama", "hold the only slot", ",\"max_tokens\":40")));
        Thread.sleep(50);
        var request = http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(gateway.port()).setURI("/v1/chat/completions")
                .putHeader("Authorization", "Bearer sk-acme")).await();
        request.send(Buffer.buffer(chat("slow-llama", "impatient", "")));
        waitUntil(() -> gateway.waiting("ep-slow") == 1);
        request.connection().close().await();
        waitUntil(() -> gateway.waiting("ep-slow") == 0);

        assertThat(busy.isComplete()).as("cancelled while the slot was still taken").isFalse();
        assertThat(busy.await().statusCode()).isEqualTo(200);
    }

    @Test
    void clientThatDisconnectsMidStreamCancelsTheWorkersRequest() throws Exception {
        EmulatorServer glacial = emulator("glacial-llama", 20.0);
        try {
            DIRECTORY.put("acme", endpoint("ep-glacial", "glacial-llama", Duration.ofSeconds(30),
                    worker("w-glacial", "ep-glacial", glacial, 4)));
            var request = http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                    .setPort(gateway.port()).setURI("/v1/chat/completions")
                    .putHeader("Authorization", "Bearer sk-acme")).await();
            CompletableFuture<Void> firstChunk = new CompletableFuture<>();
            request.send(Buffer.buffer(chat("glacial-llama", "a very slow story", ",\"stream\":true")))
                    .onSuccess(r -> r.handler(b -> firstChunk.complete(null)));
            firstChunk.get(30, TimeUnit.SECONDS);
            assertThat(glacial.load().running()).isEqualTo(1);
            long closedAt = System.nanoTime();
            request.connection().close().await();

            // The shortest answer is 24 tokens, several seconds at this time scale: only a cancel ends it this soon.
            waitUntil(() -> glacial.load().running() == 0 && gateway.inFlight("w-glacial") == 0);
            assertThat(System.nanoTime() - closedAt).isLessThan(TimeUnit.SECONDS.toNanos(2));
            waitUntil(() -> !usageOf("ep-glacial").isEmpty());
            assertThat(usageOf("ep-glacial").getFirst().status()).isEqualTo(499);
        } finally {
            glacial.close();
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within 5 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void workerAnswering5xxIsRetriedOnAnother() throws Exception {
        var broken = vertx.createHttpServer()
                .requestHandler(r -> r.response().setStatusCode(500).end("{\"error\":{\"message\":\"boom\"}}"))
                .listen(0).await();
        try {
            DIRECTORY.put("tight", new EndpointView("ep-retry5", "retry-llama", "least-load", Duration.ofSeconds(30), 10,
                    List.of(WorkerState.ready("a-broken", "ep-retry5", "eu", 8), WorkerState.ready("b-live", "ep-retry5", "eu", 8)),
                    Map.of("a-broken", URI.create("http://127.0.0.1:" + broken.actualPort()),
                            "b-live", URI.create("http://127.0.0.1:" + retry.port()))));
            HttpResponse<Buffer> response = post("sk-tight", "/v1/chat/completions", chat("retry-llama", "fix it", ""));

            assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
            assertThat(usageOf("ep-retry5")).extracting(Usage::workerId).containsExactly("b-live");
        } finally {
            broken.close().await();
        }
    }

    @Test
    void everyWorkerRequestCarriesATokenForThatEndpointAndWorker() throws Exception {
        List<String> tokens = Collections.synchronizedList(new ArrayList<>());
        var checking = vertx.createHttpServer()
                .requestHandler(r -> {
                    tokens.add(String.valueOf(r.getHeader(dev.flotilla.core.WorkerToken.HEADER)));
                    r.response().setStatusCode(404).end("{\"error\":{\"message\":\"only checks tokens\"}}");
                })
                .listen(0).await();
        try {
            DIRECTORY.put("tight", new EndpointView("ep-signed", "signed-llama", "least-load", Duration.ofSeconds(30), 10,
                    List.of(WorkerState.ready("w-signed", "ep-signed", "eu", 8)),
                    Map.of("w-signed", URI.create("http://127.0.0.1:" + checking.actualPort()))));
            post("sk-tight", "/v1/chat/completions", chat("signed-llama", "hi", ""));

            assertThat(tokens).hasSize(1);
            byte[] key = dev.flotilla.core.WorkerToken.workerKey(SECRET, "w-signed");
            java.time.Instant now = java.time.Instant.now();
            assertThat(dev.flotilla.core.WorkerToken.verify(key, tokens.get(0), "ep-signed", "w-signed", now,
                    Duration.ofMinutes(2)).valid()).as(tokens.get(0)).isTrue();
            assertThat(dev.flotilla.core.WorkerToken.verify(key, tokens.get(0), "ep-fast", "w-signed", now,
                    Duration.ofMinutes(2)).valid()).isFalse();
        } finally {
            checking.close().await();
        }
    }

    @Test
    void theRegionRouterPrefersTheCallersRegion() throws Exception {
        EmulatorServer eu = emulator("region-llama", 0.02);
        EmulatorServer us = emulator("region-llama", 0.02);
        DIRECTORY.put("tight", new EndpointView("ep-region", "region-llama", "region", Duration.ofSeconds(30), 10,
                List.of(WorkerState.ready("w-eu", "ep-region", "eu", 8), WorkerState.ready("w-us", "ep-region", "us", 8)),
                Map.of("w-eu", URI.create("http://127.0.0.1:" + eu.port()),
                        "w-us", URI.create("http://127.0.0.1:" + us.port()))));
        try {
            routeByRegion();
        } finally {
            eu.close();
            us.close();
        }
        assertThat(usageOf("ep-region")).extracting(Usage::workerId).containsExactly("w-us", "w-eu", "w-us");
    }

    private void routeByRegion() {
        for (String region : List.of("us", "eu", "us")) {
            HttpResponse<Buffer> r = web.post(gateway.port(), "127.0.0.1", "/v1/chat/completions")
                    .putHeader("Content-Type", "application/json").putHeader("Authorization", "Bearer sk-tight")
                    .putHeader("X-Flotilla-Region", region)
                    .sendBuffer(Buffer.buffer(chat("region-llama", "where am I", ",\"max_tokens\":2"))).await();
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        }
    }
}
