package dev.flotilla.agent.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.WorkerToken;
import dev.flotilla.emulator.EmulatorConfig;
import dev.flotilla.emulator.EmulatorServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxy on an ephemeral port in front of a real, in-process emulator (and, where the test
 * must see what reached the backend, a small echo server). Time for the tokens is a fixed clock,
 * so expiry is exact.
 */
class WorkerProxyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "Llama-3.1-8B";
    private static final String ENDPOINT = "3";
    private static final String WORKER = "12";
    private static final byte[] KEY = WorkerToken.workerKey("proxy-test-signing-secret-0123456".getBytes(
            StandardCharsets.UTF_8), WORKER);
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final InstantSource CLOCK = InstantSource.fixed(NOW);

    private static Vertx vertx;
    private static WebClient web;
    private static HttpClient http;
    private static EmulatorServer fast;
    private static EmulatorServer slow;

    private WorkerProxy proxy;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        web = WebClient.create(vertx);
        http = vertx.createHttpClient();
        fast = EmulatorServer.start(EmulatorConfig.of(0, MODEL, "H100_SXM", 0.05));
        // Ten times slower than the modelled GPU: an answer takes seconds, long enough to drain or
        // cancel in the middle (the emulator's answers end naturally after 24 to 279 tokens).
        slow = EmulatorServer.start(EmulatorConfig.of(0, MODEL, "H100_SXM", 10.0));
    }

    @AfterAll
    static void stop() {
        fast.close();
        slow.close();
        vertx.close().await();
    }

    @AfterEach
    void closeProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private WorkerProxy proxyTo(int backendPort) throws InterruptedException {
        // A sequence an earlier test cut may still be winding down on the shared emulator.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (slow.load().running() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        proxy = WorkerProxy.start(vertx, new WorkerProxy.Options("127.0.0.1", 0, backendPort, ENDPOINT, WORKER, KEY),
                CLOCK);
        return proxy;
    }

    private static String token() {
        return WorkerToken.mint(KEY, ENDPOINT, WORKER, NOW.plusSeconds(60));
    }

    private static String chat(String extra) {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about proxies\"}]"
                + extra + "}";
    }

    private HttpResponse<Buffer> post(String token, String body) {
        var request = web.post(proxy.port(), "127.0.0.1", "/v1/chat/completions").putHeader("Content-Type",
                "application/json");
        if (token != null) {
            request.putHeader(WorkerToken.HEADER, token);
        }
        return request.sendBuffer(Buffer.buffer(body)).await();
    }

    private static JsonNode assertError(HttpResponse<Buffer> response, int status, String type, String code)
            throws Exception {
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
        assertThat(response.getHeader("Content-Type")).startsWith("application/json");
        JsonNode error = JSON.readTree(response.bodyAsString()).path("error");
        assertThat(error.path("type").asText()).isEqualTo(type);
        assertThat(error.path("code").asText()).isEqualTo(code);
        assertThat(error.has("param") && error.get("param").isNull()).isTrue();
        return error;
    }

    @Test
    void aValidTokenPassesAndTheBackendsAnswerComesBackWhole() throws Exception {
        proxyTo(fast.port());

        HttpResponse<Buffer> response = post(token(), chat(",\"max_tokens\":8"));

        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
        assertThat(response.getHeader(EmulatorServer.EMULATED_HEADER)).isEqualTo("true");
        JsonNode body = JSON.readTree(response.bodyAsString());
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(8);
        assertThat(body.at("/choices/0/message/content").asText()).isNotBlank();
        assertThat(proxy.inFlight()).isZero();
        assertThat(proxy.served()).isEqualTo(1);
    }

    @Test
    void aStreamedAnswerArrivesInSeveralChunksEndingWithDone() throws Exception {
        proxyTo(fast.port());
        List<String> chunks = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Integer> done = new CompletableFuture<>();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(proxy.port()).setURI("/v1/chat/completions").putHeader("Content-Type", "application/json")
                .putHeader(WorkerToken.HEADER, token());
        http.request(options).compose(req -> req.send(Buffer.buffer(chat(",\"stream\":true,\"max_tokens\":20"))))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        done.completeExceptionally(ar.cause());
                        return;
                    }
                    HttpClientResponse response = ar.result();
                    response.handler(b -> chunks.add(b.toString(StandardCharsets.UTF_8)));
                    response.exceptionHandler(done::completeExceptionally);
                    response.endHandler(v -> done.complete(response.statusCode()));
                });

        assertThat(done.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        String all = String.join("", chunks);
        assertThat(chunks).hasSizeGreaterThan(2);
        assertThat(all).startsWith("data: ").contains("\"delta\"").endsWith("data: [DONE]\n\n");
        assertThat(proxy.inFlight()).isZero();
    }

    @Test
    void aRequestWithoutATokenIsRefusedWith401SayingItIsMissing() throws Exception {
        proxyTo(fast.port());

        JsonNode error = assertError(post(null, chat("")), 401, "authentication_error", "invalid_worker_token");

        assertThat(error.path("message").asText()).isEqualTo("worker 12 refused the request: missing "
                + WorkerToken.HEADER);
        assertThat(proxy.served()).isZero();
    }

    @Test
    void anExpiredTokenIsRefusedWithItsExpiry() throws Exception {
        proxyTo(fast.port());

        JsonNode error = assertError(post(WorkerToken.mint(KEY, ENDPOINT, WORKER, NOW.minusSeconds(1)), chat("")), 401,
                "authentication_error", "invalid_worker_token");

        assertThat(error.path("message").asText()).endsWith("token expired at " + NOW.minusSeconds(1));
    }

    @Test
    void anotherWorkersTokenIsRefused() throws Exception {
        proxyTo(fast.port());
        byte[] otherKey = WorkerToken.workerKey("proxy-test-signing-secret-0123456".getBytes(StandardCharsets.UTF_8),
                "13");

        JsonNode signedByOther = assertError(post(WorkerToken.mint(otherKey, ENDPOINT, "13", NOW.plusSeconds(60)),
                chat("")), 401, "authentication_error", "invalid_worker_token");
        JsonNode namingOther = assertError(post(WorkerToken.mint(KEY, ENDPOINT, "13", NOW.plusSeconds(60)), chat("")),
                401, "authentication_error", "invalid_worker_token");

        assertThat(signedByOther.path("message").asText()).endsWith("bad signature");
        assertThat(namingOther.path("message").asText()).endsWith("token is for endpoint 3 worker 13, not endpoint 3"
                + " worker 12");
    }

    @Test
    void aBackendThatIsDownGets502WorkerUnavailable() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        proxyTo(closed);

        JsonNode error = assertError(post(token(), chat("")), 502, "server_error", "worker_unavailable");

        assertThat(error.path("message").asText()).startsWith("worker 12: its backend on port " + closed
                + " did not answer: ");
        assertThat(proxy.inFlight()).isZero();
    }

    @Test
    void forwardsMethodPathQueryHeadersAndBodyButNotTheTokenOrHopByHopHeaders() throws Exception {
        AtomicReference<JsonObject> seen = new AtomicReference<>();
        HttpServer echo = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            JsonObject headers = new JsonObject();
            req.headers().forEach((n, v) -> headers.put(n.toLowerCase(java.util.Locale.ROOT), v));
            seen.set(new JsonObject().put("method", req.method().name()).put("uri", req.uri()).put("headers", headers)
                    .put("body", body.toString()));
            req.response().setStatusCode(201).putHeader("X-Echo", "yes").end("echoed");
        })).listen(0, "127.0.0.1").await();
        try {
            proxyTo(echo.actualPort());

            HttpResponse<Buffer> response = web.put(proxy.port(), "127.0.0.1", "/v1/things/7?x=1&y=two")
                    .putHeader(WorkerToken.HEADER, token()).putHeader("X-Request-Id", "req-9")
                    .putHeader("Keep-Alive", "timeout=5").putHeader("Content-Type", "text/plain")
                    .sendBuffer(Buffer.buffer("hello body")).await();

            assertThat(response.statusCode()).isEqualTo(201);
            assertThat(response.getHeader("X-Echo")).isEqualTo("yes");
            assertThat(response.bodyAsString()).isEqualTo("echoed");
            JsonObject got = seen.get();
            assertThat(got.getString("method")).isEqualTo("PUT");
            assertThat(got.getString("uri")).isEqualTo("/v1/things/7?x=1&y=two");
            assertThat(got.getString("body")).isEqualTo("hello body");
            JsonObject headers = got.getJsonObject("headers");
            assertThat(headers.getString("x-request-id")).isEqualTo("req-9");
            assertThat(headers.getString("content-type")).isEqualTo("text/plain");
            assertThat(headers.fieldNames()).doesNotContain(WorkerToken.HEADER.toLowerCase(java.util.Locale.ROOT),
                    "keep-alive");
        } finally {
            echo.close().await();
        }
    }

    @Test
    void drainWaitsForTheRequestInFlightThenRefusesNewOnes() throws Exception {
        proxyTo(slow.port());
        CountDownLatch firstChunk = new CountDownLatch(1);
        StringBuilder text = new StringBuilder();
        CompletableFuture<Integer> streamed = new CompletableFuture<>();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(proxy.port()).setURI("/v1/chat/completions").putHeader("Content-Type", "application/json")
                .putHeader(WorkerToken.HEADER, token());
        http.request(options).compose(req -> req.send(Buffer.buffer(chat(",\"stream\":true,\"max_tokens\":300"))))
                .onSuccess(response -> {
                    response.handler(b -> {
                        synchronized (text) {
                            text.append(b.toString(StandardCharsets.UTF_8));
                        }
                        firstChunk.countDown();
                    });
                    response.endHandler(v -> streamed.complete(response.statusCode()));
                    response.exceptionHandler(streamed::completeExceptionally);
                })
                .onFailure(streamed::completeExceptionally);
        assertThat(firstChunk.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.inFlight()).isEqualTo(1);

        CompletableFuture<Boolean> drained = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                drained.complete(proxy.drain(Duration.ofSeconds(60)));
            } catch (InterruptedException e) {
                drained.completeExceptionally(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!proxy.draining() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }

        assertError(post(token(), chat(",\"max_tokens\":4")), 503, "server_error", "worker_draining");
        assertThat(streamed).isNotDone();
        assertThat(drained).isNotDone();

        assertThat(drained.get(60, TimeUnit.SECONDS)).isTrue();
        assertThat(streamed.get(10, TimeUnit.SECONDS)).isEqualTo(200);
        synchronized (text) {
            assertThat(text.toString()).endsWith("data: [DONE]\n\n");
        }
        assertThat(proxy.inFlight()).isZero();
        assertThat(proxy.served()).isEqualTo(1);
    }

    @Test
    void drainGivesUpAtItsTimeoutWhileARequestIsStillInFlight() throws Exception {
        proxyTo(slow.port());
        CountDownLatch firstChunk = new CountDownLatch(1);
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(proxy.port()).setURI("/v1/chat/completions").putHeader("Content-Type", "application/json")
                .putHeader(WorkerToken.HEADER, token());
        http.request(options).compose(req -> req.send(Buffer.buffer(chat(",\"stream\":true,\"max_tokens\":500"))))
                .onSuccess(response -> response.handler(b -> firstChunk.countDown()));
        assertThat(firstChunk.await(30, TimeUnit.SECONDS)).isTrue();

        assertThat(proxy.drain(Duration.ofMillis(100))).isFalse();
        assertThat(proxy.inFlight()).isEqualTo(1);
    }

    @Test
    void aClientThatGoesAwayHasTheBackendSequenceCancelled() throws Exception {
        proxyTo(slow.port());
        CountDownLatch firstChunk = new CountDownLatch(1);
        AtomicReference<HttpClientRequest> request = new AtomicReference<>();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(proxy.port()).setURI("/v1/chat/completions").putHeader("Content-Type", "application/json")
                .putHeader(WorkerToken.HEADER, token());
        http.request(options).compose(req -> {
            request.set(req);
            return req.send(Buffer.buffer(chat(",\"stream\":true,\"max_tokens\":500")));
        }).onSuccess(response -> response.handler(b -> firstChunk.countDown()));
        assertThat(firstChunk.await(30, TimeUnit.SECONDS)).isTrue();
        long started = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (slow.load().running() == 0 && System.nanoTime() < started) {
            Thread.sleep(5);
        }
        assertThat(slow.load().running()).isEqualTo(1);

        request.get().reset();

        // The answer would run for seconds more at this time scale; a cancel ends it at once.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while ((proxy.inFlight() > 0 || slow.load().running() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(proxy.inFlight()).isZero();
        assertThat(slow.load().running()).isZero();
    }
}
