package dev.flotilla.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.emulator.EmulatorConfig;
import dev.flotilla.emulator.EmulatorServer;
import dev.flotilla.gateway.EndpointLoad;
import dev.flotilla.server.FakeClock;
import dev.flotilla.server.FlotillaServer;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.server.http.TestHttp;
import dev.flotilla.store.TestDatabases;
import io.vertx.core.http.HttpMethod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live autoscaler through the control plane: load reaches it from the real gateway (and from
 * a second replica's rows), the endpoint's policy decides on the test's clock, the decision and
 * its reason show on the endpoint, and the reconciler acts on it. The test plays the host's agent
 * as {@link ServingTest} does; the background autoscaling job is parked (one-hour interval) so
 * that every pass is the test's own {@link FlotillaServer#autoscaleNow()}, or the one the gateway
 * cues when a request waits at an endpoint without a ready worker.
 */
class AutoscalerTest {
    private static final Duration TICK = Duration.ofSeconds(2);
    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-28T00:00:00Z"));
    private FlotillaServer server;
    private TestHttp http;
    private String tenant;
    private String host;
    private String gatewayUrl;
    private EmulatorServer emulator;
    private final List<Long> machines = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() {
        server = FlotillaServer.start(FlotillaConfig.load(Optional.empty(), Map.of(), Map.of("http.port", "0",
                "gateway.port", "0", "serving.autoscale-interval", "1h")), clock, TestDatabases.open());
        http = new TestHttp(server.url());
        gatewayUrl = server.openAiUrl().orElseThrow();
        String admin = server.newAdminKey().orElseThrow();
        tenant = http.post("/api/v1/tenants", admin, "{\"name\":\"alice\",\"credit\":\"50.00\"}").json().get("api_key").asText();
        host = http.post("/api/v1/hosts", admin, "{\"name\":\"rack-1\"}").json().get("host_token").asText();
        for (String country : List.of("SE", "DE", "FR")) {
            long id = http.post("/api/v1/machines", host, """
                    {"gpu_name": "RTX_4090", "num_gpus": 1, "cpu_cores": 16, "cpu_ram": 64, "disk_space": 500,
                     "inet_up": 800, "inet_down": 900, "country": "%s", "region": "r-1", "cuda_vers": 12.4,
                     "driver_version": "550.54.15", "price_per_gpu_hour": "0.45", "min_bid_per_gpu_hour": "0.20",
                     "storage_per_gb_month": 0.10, "bandwidth_per_tb": 3, "end_date": "2027-06-30"}
                    """.formatted(country)).json().get("id").asLong();
            machines.add(id);
        }
        heartbeats();
        emulator = EmulatorServer.start(new EmulatorConfig(0, "Llama-3.1-8B", "llama", "RTX_4090", 1, 0.01, 0));
    }

    /** The test's agent is alive: without heartbeats its workers fail after the heartbeat timeout. */
    private void heartbeats() {
        for (long id : machines) {
            assertThat(http.post("/api/v1/machines/" + id + "/heartbeat", host, null).status()).isEqualTo(200);
        }
    }

    @AfterEach
    void stop() {
        emulator.close();
        http.close();
        server.close();
    }

    private JsonNode create(String extra) {
        TestHttp.Response r = http.post("/api/v1/endpoints", tenant, """
                {"name": "llama", "backend": "emulator", "model": "Llama-3.1-8B", "requirement": "gpu_name=RTX_4090",
                 "capacity": "on-demand", "max_workers": 3, "max_queue_ms": 20000 %s}""".formatted(extra));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json();
    }

    private JsonNode endpoint() {
        return http.get("/api/v1/endpoints/llama", tenant).json();
    }

    private TestHttp.Response patch(String body) {
        return http.call(HttpMethod.PATCH, "/api/v1/endpoints/llama", tenant, body);
    }

    /** One autoscaling pass a tick after the last on the test's clock. */
    private JsonNode pass() {
        clock.advance(TICK);
        server.autoscaleNow();
        return endpoint();
    }

    private CompletableFuture<HttpResponse<String>> chat() {
        HttpRequest r = HttpRequest.newBuilder(URI.create(gatewayUrl + "/chat/completions"))
                .header("Authorization", "Bearer " + tenant).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"llama\", \"messages\": [{\"role\": \"user\","
                        + " \"content\": \"hello\"}], \"max_tokens\": 4}"))
                .build();
        return client.sendAsync(r, HttpResponse.BodyHandlers.ofString());
    }

    private void bringUpCreatingWorkers() {
        for (JsonNode w : http.get("/api/v1/endpoints/llama/workers", tenant).json().get("workers")) {
            if (!w.get("state").asText().equals("creating")) {
                continue;
            }
            String id = w.get("id").asText();
            assertThat(http.post("/api/v1/workers/" + id + "/report", host, "{\"state\": \"benchmarking\", \"url\":"
                    + " \"http://127.0.0.1:" + emulator.port() + "\"}").status()).isEqualTo(200);
            TestHttp.Response ready = http.post("/api/v1/workers/" + id + "/report", host, "{\"state\": \"ready\","
                    + " \"capacity\": 8, \"requests_per_s\": 10, \"tokens_per_s\": 400}");
            assertThat(ready.status()).as(ready.body()).isEqualTo(200);
        }
    }

    @Test
    void aQueuedRequestWakesAnEndpointAtZeroLoadScalesItUpAndIdlenessScalesItBackToZero() throws Exception {
        JsonNode created = create(", \"policy\": \"reactive\", \"inactivity_timeout_s\": 60, \"cold_workers\": 1");
        assertThat(created.get("desired_workers").asInt()).isZero();
        assertThat(created.get("policy").asText()).isEqualTo("reactive");
        assertThat(created.get("decision").isNull()).isTrue();

        // scale from zero: the request waits in the gateway's queue, and the gateway's cold-start
        // cue runs a pass at once (the periodic pass is an hour away in this test)
        CompletableFuture<HttpResponse<String>> first = chat();
        JsonNode e = endpoint();
        for (int i = 0; i < 100 && e.get("desired_workers").asInt() == 0; i++) {
            Thread.sleep(50);
            e = endpoint();
        }
        assertThat(e.get("desired_workers").asInt()).isEqualTo(1);
        JsonNode d = e.get("decision");
        assertThat(d.get("mode").asText()).isEqualTo("panic");
        assertThat(d.get("acted").asBoolean()).isTrue();
        assertThat(d.get("reason").asText()).contains("no active workers");
        assertThat(d.get("inputs").get("per_worker_rps").asDouble()).isEqualTo(Autoscaler.UNMEASURED_RPS);

        server.reconcile();
        bringUpCreatingWorkers();
        assertThat(first.get().statusCode()).as(first.get().body()).isEqualTo(200);

        // a burst of 120 requests inside one 2 s tick is 60 req/s against one worker of 10 req/s
        List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            burst.add(chat());
        }
        for (CompletableFuture<HttpResponse<String>> f : burst) {
            assertThat(f.get().statusCode()).isEqualTo(200);
        }
        e = pass();
        assertThat(e.get("desired_workers").asInt()).isEqualTo(3);
        d = e.get("decision");
        assertThat(d.get("mode").asText()).isEqualTo("panic");
        assertThat(d.get("inputs").get("per_worker_rps").asDouble()).isEqualTo(10.0);
        assertThat(d.get("reason").asText()).contains("x current capacity 7.0 req/s").contains("needs 3 workers");
        server.reconcile();
        assertThat(http.get("/api/v1/endpoints/llama/workers", tenant).json().get("workers")).hasSize(3);
        bringUpCreatingWorkers();

        // then nothing: panic holds the count for a stable window, the grace period holds it after
        // the inactivity timeout, and only then does the endpoint go to zero
        List<String> modes = new ArrayList<>();
        for (int i = 0; i < 150 && e.get("desired_workers").asInt() > 0; i++) {
            heartbeats();
            e = pass();
            modes.add(e.get("decision").get("mode").asText());
            server.reconcile();
        }
        assertThat(e.get("desired_workers").asInt()).isZero();
        assertThat(e.get("decision").get("mode").asText()).isEqualTo("scale-to-zero");
        // at zero the policy keeps one worker cold (cold_mult 2 x 1, at most cold_workers 1): the
        // reconciler drains one ready worker to be parked instead of released
        assertThat(e.get("desired_cold").asInt()).isEqualTo(1);
        List<String> reasons = new ArrayList<>();
        http.get("/api/v1/endpoints/llama/workers?all=true", tenant).json().get("workers")
                .forEach(w -> reasons.add(w.get("reason").asText()));
        assertThat(reasons).filteredOn(r -> r.contains("kept cold (1 of 1)")).hasSize(1);
        assertThat(modes).startsWith("panic").contains("hold");
        // no pass may have gone to zero before the inactivity timeout and grace: 45 passes of 2 s
        assertThat(modes.indexOf("scale-to-zero")).isGreaterThanOrEqualTo(44);
    }

    @Test
    void advisoryDecidesAndShowsWithoutActingAndManualIsLeftAlone() throws Exception {
        create(", \"policy\": \"reactive\", \"advisory\": true");
        CompletableFuture<HttpResponse<String>> waiting = chat();
        JsonNode e = pass();
        for (int i = 0; i < 50 && e.get("decision").get("desired_workers").asInt() == 0; i++) {
            Thread.sleep(50);
            e = pass();
        }
        assertThat(e.get("decision").get("desired_workers").asInt()).isEqualTo(1);
        assertThat(e.get("decision").get("acted").asBoolean()).isFalse();
        assertThat(e.get("decision").get("advisory").asBoolean()).isTrue();
        assertThat(e.get("desired_workers").asInt()).isZero();
        // advisory leaves the count to the scale call
        assertThat(http.post("/api/v1/endpoints/llama/scale", tenant, "{\"workers\": 1}").status()).isEqualTo(200);
        assertThat(endpoint().get("desired_workers").asInt()).isEqualTo(1);

        TestHttp.Response manual = patch("{\"policy\": \"manual\", \"advisory\": false}");
        assertThat(manual.status()).as(manual.body()).isEqualTo(200);
        String before = endpoint().get("decision").toString();
        e = pass();
        assertThat(e.get("desired_workers").asInt()).isEqualTo(1);
        assertThat(e.get("decision").toString()).as("a manual endpoint gets no new decision").isEqualTo(before);
        waiting.cancel(true);
    }

    @Test
    void predictiveShowsItsForecastAndLeadTime() {
        create(", \"policy\": \"predictive\", \"min_load\": 5, \"target_util\": 0.5");
        JsonNode e = pass();
        JsonNode d = e.get("decision");
        assertThat(d.get("policy").asText()).isEqualTo("predictive");
        assertThat(d.get("forecast").get("horizon_s").asDouble()).isPositive();
        assertThat(d.get("lead_time_s").asDouble()).isEqualTo(60.0);
        // min_load 5 req/s at 50% of an unmeasured worker's 1 req/s: 10 workers, clamped to max 3
        assertThat(e.get("desired_workers").asInt()).isEqualTo(3);
        assertThat(d.get("reason").asText()).contains("min_load");
        // and for Prometheus, from the lease holder
        String metrics = http.get("/metrics", null).body();
        String tags = "{endpoint=\"llama\",endpoint_id=\"" + e.get("id").asText() + "\"}";
        assertThat(metrics).contains("flotilla_endpoint_desired_workers" + tags + " 3.0")
                .contains("flotilla_endpoint_forecast_rate" + tags)
                .containsPattern("flotilla_autoscaler_decisions_total\\{acted=\"true\",endpoint=\"llama\",.*mode=");
    }

    @Test
    void aPredictivePolicyStartsFromTheStoredLoadAfterARestartOrAHandOver() {
        long id = create(", \"policy\": \"predictive\", \"advisory\": true").get("id").asLong();
        // half an hour at 10 req/s, written by a replica before this autoscaler first saw the endpoint
        long[] total = {0};
        LoadRecorder earlier = new LoadRecorder(server.market().database(), clock, "replica-b",
                () -> Map.of(String.valueOf(id), new EndpointLoad(total[0], 0, 0, 0)));
        for (int minute = 0; minute < 30; minute++) {
            total[0] += 600;
            clock.advance(Duration.ofMinutes(1));
            earlier.record();
        }
        JsonNode d = pass().get("decision");
        assertThat(d.get("forecast").get("mean").asDouble()).as(d.toString()).isBetween(5.0, 15.0);
        assertThat(d.get("reason").asText()).contains("forecast p90");
    }

    @Test
    void underAStandingQueueTheObservedThroughputReplacesAHigherBenchmark() {
        long id = create(", \"policy\": \"reactive\", \"advisory\": true, \"initial_workers\": 1").get("id").asLong();
        server.reconcile();
        bringUpCreatingWorkers(); // benchmarked at 10 req/s with short prompts
        pass();
        // long prompts: 5 req/s arrive, the worker finishes 2 a second, and a queue of 20 stands
        long[] counters = {0, 0};
        LoadRecorder replica = new LoadRecorder(server.market().database(), clock, "replica-b",
                () -> Map.of(String.valueOf(id), new EndpointLoad(counters[0], 0, 8, 20, counters[1])));
        JsonNode in = null;
        for (int i = 0; i < 20; i++) {
            counters[0] += 10;
            counters[1] += 4;
            clock.advance(TICK);
            replica.record();
            server.autoscaleNow();
            in = endpoint().get("decision").get("inputs");
            if (i < 10) {
                assertThat(in.get("per_worker_rps").asDouble()).as("the benchmark until the queue stood 30 s")
                        .isEqualTo(10.0);
            }
        }
        assertThat(in.get("benchmark_rps").asDouble()).isEqualTo(10.0);
        assertThat(in.get("observed_rps").asDouble()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.01));
        assertThat(in.get("per_worker_rps").asDouble()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.01));
        // 5 req/s at 70% of 2 req/s per worker: the policy asks for the three the endpoint allows
        assertThat(endpoint().get("decision").get("desired_workers").asInt()).isEqualTo(3);
    }

    @Test
    void loadFromEveryReplicaIsSummedAndTheirQueuesCarriedUntilTheyReportAgain() {
        long id = create(", \"policy\": \"reactive\", \"advisory\": true").get("id").asLong();
        pass();
        var db = server.market().database();
        LoadRecorder b = new LoadRecorder(db, clock, "replica-b", () -> Map.of(String.valueOf(id), new EndpointLoad(40, 0, 0, 7)));
        LoadRecorder c = new LoadRecorder(db, clock, "replica-c", () -> Map.of(String.valueOf(id), new EndpointLoad(20, 0, 2, 3)));
        assertThat(b.record()).isEqualTo(1);
        assertThat(c.record()).isEqualTo(1);
        JsonNode in = pass().get("decision").get("inputs");
        assertThat(in.get("queued").asInt()).isEqualTo(10);
        assertThat(in.get("panic_rate").asDouble()).isPositive();
        // nothing new from either replica: their last queues still count
        assertThat(pass().get("decision").get("inputs").get("queued").asInt()).isEqualTo(10);
        // ... until they have been silent for three intervals (one hour each here): a busy replica
        // writes every interval, so a silent one is gone and its queue with it
        clock.advance(Duration.ofHours(3));
        assertThat(pass().get("decision").get("inputs").get("queued").asInt()).isZero();
        // a deleted endpoint's counters are dropped, not an error for the replica's batch
        assertThat(http.call(HttpMethod.DELETE, "/api/v1/endpoints/llama", tenant, null).status()).isEqualTo(200);
        LoadRecorder d = new LoadRecorder(db, clock, "replica-d", () -> Map.of(String.valueOf(id), new EndpointLoad(1, 0, 0, 1)));
        assertThat(d.record()).isEqualTo(1);
        assertThat(server.autoscaleNow()).isEmpty();
    }

    @Test
    void badScalingSettingsAreA4xxNamingTheFieldAndChangeNothing() {
        assertError(http.post("/api/v1/endpoints", tenant, spec("\"policy\": \"magic\"")), 400, "policy", "manual");
        assertError(http.post("/api/v1/endpoints", tenant, spec("\"target_util\": 0")), 400, "target_util", "(0, 1]");
        assertError(http.post("/api/v1/endpoints", tenant, spec("\"target_util\": 1.5")), 400, "target_util", "(0, 1]");
        assertError(http.post("/api/v1/endpoints", tenant, spec("\"cold_mult\": 0.5")), 400, "cold_mult", ">= 1");
        assertError(http.post("/api/v1/endpoints", tenant, spec("\"min_load\": -1")), 400, "min_load", ">= 0");
        assertError(http.post("/api/v1/endpoints", tenant, spec("\"target_queue_ms\": 30000")), 400, "target_queue_ms",
                "max_queue_ms");
        assertError(http.post("/api/v1/endpoints", tenant, spec("\"initial_workers\": 4")), 400, "initial_workers",
                "max_workers (3)");
        assertError(http.post("/api/v1/endpoints", tenant, spec("\"advisory\": \"yes\"")), 400, "advisory", "true or false");
        assertThat(http.get("/api/v1/endpoints", tenant).json().get("endpoints")).isEmpty();

        create(", \"policy\": \"reactive\"");
        assertError(http.post("/api/v1/endpoints/llama/scale", tenant, "{\"workers\": 2}"), 409, "policy",
                "policy to manual");
        assertError(patch("{\"min_workers\": 4}"), 400, "min_workers", "max_workers");
        assertError(patch("{\"target_util\": 2}"), 400, "target_util", "(0, 1]");
        assertError(patch("{\"policy\": \"fast\"}"), 400, "policy", "predictive");
        assertError(patch("{\"target_queue_ms\": 0}"), 400, "target_queue_ms", ">= 1");
        assertError(patch("{\"max_queue_ms\": 1000}"), 400, "target_queue_ms", "max_queue_ms (1000)");
        assertError(patch("{\"name\": \"other\"}"), 400, "name", "");
        assertThat(http.call(HttpMethod.PATCH, "/api/v1/endpoints/nope", tenant, "{}").status()).isEqualTo(404);
        JsonNode e = endpoint();
        assertThat(e.get("policy").asText()).isEqualTo("reactive");
        assertThat(e.get("target_util").asDouble()).isEqualTo(0.7);
        assertThat(e.get("max_queue_ms").asLong()).isEqualTo(20000);

        // a good update lands whole, and the desired count follows the new bounds
        TestHttp.Response ok = patch("{\"policy\": \"manual\", \"min_workers\": 2, \"target_util\": 0.5}");
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().get("desired_workers").asInt()).isEqualTo(2);
        assertThat(ok.json().get("target_util").asDouble()).isEqualTo(0.5);
    }

    private static String spec(String field) {
        return """
                {"name": "x", "backend": "emulator", "model": "Llama-3.1-8B", "requirement": "gpu_name=RTX_4090",
                 "max_workers": 3, "max_queue_ms": 20000, %s}""".formatted(field);
    }

    private static void assertError(TestHttp.Response r, int status, String field, String says) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode err = r.json().get("error");
        assertThat(err.get("field").asText()).as(r.body()).isEqualTo(field);
        assertThat(err.get("message").asText()).as(r.body()).contains(says);
    }
}
