package dev.flotilla.agent.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.emulator.EmulatorConfig;
import dev.flotilla.emulator.EmulatorServer;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's HTTP side: against a real in-process emulator for the measured climb, and against
 * small fake backends where a test needs a given answer, a failure, or time that moves by request
 * (a {@link SteppingClock} advanced by the fake), so the budget cases are exact.
 */
class CapacityBenchmarkTest {
    private static final String MODEL = "Llama-3.1-8B";
    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

    private static Vertx vertx;
    private HttpServer fake;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() {
        vertx.close().await();
    }

    @AfterEach
    void stopFake() {
        if (fake != null) {
            fake.close().await();
        }
    }

    private int fake(Handler<HttpServerRequest> handler) {
        fake = vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1").await();
        return fake.actualPort();
    }

    private static JsonObject chatAnswer() {
        return new JsonObject().put("object", "chat.completion").put("usage", new JsonObject().put("prompt_tokens", 200)
                .put("completion_tokens", 32).put("total_tokens", 232));
    }

    @Test
    void measuresTheEmulatorAtRisingConcurrencyAndChoosesByThePolicy() throws Exception {
        try (EmulatorServer emulator = EmulatorServer.start(EmulatorConfig.of(0, MODEL, "H100_SXM", 0.2))) {
            CapacityBenchmark benchmark = new CapacityBenchmark(vertx, BenchmarkConfig.defaults().withMaxConcurrency(16),
                    InstantSource.system());

            BenchmarkResult result = benchmark.run(emulator.port(), CapacityBenchmark.Workload.CHAT, MODEL);

            List<Integer> concurrency = result.levels().stream().map(BenchmarkLevel::concurrency).toList();
            assertThat(List.of(1, 2, 4, 8, 16)).startsWith(concurrency.toArray(Integer[]::new));
            assertThat(result.levels()).allSatisfy(level -> {
                assertThat(level.requests()).isEqualTo(2 * level.concurrency());
                assertThat(level.meanLatency()).isPositive();
                assertThat(level.requestsPerSecond()).isPositive();
                // every answer is max_tokens long or stops naturally, after at least 24 tokens
                assertThat(level.tokensPerSecond()).isGreaterThanOrEqualTo(24 * level.requestsPerSecond());
            });
            CapacityPolicy.Choice choice = CapacityPolicy.choose(result.levels());
            assertThat(result.capacity()).isEqualTo(choice.level().concurrency()).isGreaterThanOrEqualTo(1);
            assertThat(result.requestsPerSecond()).isEqualTo(choice.level().requestsPerSecond());
            assertThat(result.tokensPerSecond()).isEqualTo(choice.level().tokensPerSecond());
            assertThat(result.stoppedBecause()).isNotBlank();
        }
    }

    @Test
    void embeddingsAreMeasuredWithBatchesOfEightUnderTheModelTheServerLists() throws Exception {
        List<JsonObject> bodies = new CopyOnWriteArrayList<>();
        int port = fake(req -> {
            if (req.path().equals("/v1/models")) {
                req.response().end(new JsonObject().put("data", new JsonArray().add(new JsonObject()
                        .put("id", "all-MiniLM-L6-v2"))).encode());
                return;
            }
            req.body().onSuccess(b -> {
                bodies.add(b.toJsonObject().put("path", req.path()));
                req.response().end(new JsonObject().put("object", "list").put("usage", new JsonObject()
                        .put("prompt_tokens", 96).put("total_tokens", 96)).encode());
            });
        });
        CapacityBenchmark benchmark = new CapacityBenchmark(vertx, BenchmarkConfig.defaults().withMaxConcurrency(4),
                InstantSource.system());

        BenchmarkResult result = benchmark.run(port, CapacityBenchmark.Workload.EMBEDDINGS, "embeddings");

        assertThat(bodies).isNotEmpty().allSatisfy(body -> {
            assertThat(body.getString("path")).isEqualTo("/v1/embeddings");
            assertThat(body.getString("model")).isEqualTo("all-MiniLM-L6-v2");
            assertThat(body.getJsonArray("input")).hasSize(8);
        });
        assertThat(result.levels()).isNotEmpty();
        assertThat(result.tokensPerSecond()).isEqualTo(96 * result.requestsPerSecond(), org.assertj.core.data.Offset
                .offset(1e-6 * result.tokensPerSecond()));
    }

    @Test
    void chatRequestsCarryTheFixedPromptAndMaxTokensWithoutStreaming() throws Exception {
        List<JsonObject> bodies = new CopyOnWriteArrayList<>();
        int port = fake(req -> {
            if (!req.path().equals("/v1/chat/completions")) {
                req.response().setStatusCode(404).end();
                return;
            }
            req.body().onSuccess(b -> {
                bodies.add(b.toJsonObject());
                req.response().end(chatAnswer().encode());
            });
        });

        new CapacityBenchmark(vertx, BenchmarkConfig.defaults().withMaxConcurrency(1), InstantSource.system())
                .run(port, CapacityBenchmark.Workload.CHAT, MODEL);

        // the warm-up and the two requests of concurrency 1
        assertThat(bodies).hasSize(3).allSatisfy(body -> {
            assertThat(body.getString("model")).isEqualTo(MODEL); // no /v1/models: the assignment's name
            assertThat(body.getInteger("max_tokens")).isEqualTo(32);
            assertThat(body.getBoolean("stream")).isFalse();
            String prompt = body.getJsonArray("messages").getJsonObject(0).getString("content");
            assertThat(prompt.length() / 4).isBetween(180, 260); // about 200 tokens at 4 characters a token
        });
    }

    @Test
    void aLevelWithFailedRequestsFailsTheBenchmarkNamingTheLevelAndTheAnswer() {
        AtomicInteger posts = new AtomicInteger();
        int port = fake(req -> req.body().onSuccess(b -> {
            if (req.path().equals("/v1/models")) {
                req.response().setStatusCode(404).end();
                return;
            }
            // the warm-up and concurrency 1 pass; from concurrency 2 on the backend breaks
            if (posts.incrementAndGet() <= 3) {
                req.response().end(chatAnswer().encode());
            } else {
                req.response().setStatusCode(500).end("{\"error\":{\"message\":\"CUDA out of memory\"}}");
            }
        }));
        CapacityBenchmark benchmark = new CapacityBenchmark(vertx, BenchmarkConfig.defaults(), InstantSource.system());

        assertThatThrownBy(() -> benchmark.run(port, CapacityBenchmark.Workload.CHAT, MODEL))
                .isInstanceOfSatisfying(FlotillaException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
                .hasMessageStartingWith("capacity benchmark failed: at concurrency 2, 2 of 2 requests to"
                        + " /v1/chat/completions failed; the first: HTTP 500: ")
                .hasMessageContaining("CUDA out of memory");
    }

    @Test
    void aBackendThatRefusesTheWarmUpFailsTheBenchmark() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CapacityBenchmark benchmark = new CapacityBenchmark(vertx, BenchmarkConfig.defaults(), InstantSource.system());
        int closed = port;

        assertThatThrownBy(() -> benchmark.run(closed, CapacityBenchmark.Workload.CHAT, MODEL))
                .hasMessageStartingWith("capacity benchmark failed: the warm-up request to /v1/chat/completions failed: ");
    }

    @Test
    void theBudgetCutsALevelAndTheResultComesFromTheLevelsThatFinished() throws Exception {
        SteppingClock clock = new SteppingClock(T0);
        int port = fake(tenSecondsPerRequest(clock));
        CapacityBenchmark benchmark = new CapacityBenchmark(vertx, BenchmarkConfig.defaults()
                .withBudget(Duration.ofSeconds(45)), clock);

        // warm-up ends at +10 s, concurrency 1 at +30 s; concurrency 2's second round would start at +50 s
        BenchmarkResult result = benchmark.run(port, CapacityBenchmark.Workload.CHAT, MODEL);

        assertThat(result.levels()).hasSize(1);
        BenchmarkLevel one = result.levels().getFirst();
        assertThat(one.concurrency()).isEqualTo(1);
        assertThat(one.meanLatency()).isEqualTo(Duration.ofSeconds(10));
        assertThat(one.requestsPerSecond()).isEqualTo(0.1);
        assertThat(one.tokensPerSecond()).isEqualTo(3.2);
        assertThat(result.capacity()).isEqualTo(1);
        assertThat(result.stoppedBecause()).isEqualTo("the time budget of 45 s ran out during concurrency 2");
    }

    @Test
    void noLevelFinishedWithinTheBudgetFailsTheBenchmark() {
        SteppingClock clock = new SteppingClock(T0);
        int port = fake(tenSecondsPerRequest(clock));
        CapacityBenchmark benchmark = new CapacityBenchmark(vertx, BenchmarkConfig.defaults()
                .withBudget(Duration.ofSeconds(15)), clock);

        assertThatThrownBy(() -> benchmark.run(port, CapacityBenchmark.Workload.CHAT, MODEL))
                .hasMessage("capacity benchmark failed: not even concurrency 1 finished within the time budget of 15 s");
    }

    /** A chat backend on which every request takes ten seconds of {@code clock}'s time. */
    private static Handler<HttpServerRequest> tenSecondsPerRequest(SteppingClock clock) {
        return req -> {
            if (!req.path().equals("/v1/chat/completions")) {
                req.response().setStatusCode(404).end();
                return;
            }
            req.body().onSuccess(b -> {
                clock.advance(Duration.ofSeconds(10));
                req.response().end(chatAnswer().encode());
            });
        };
    }
}
