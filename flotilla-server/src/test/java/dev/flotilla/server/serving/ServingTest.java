package dev.flotilla.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.emulator.EmulatorConfig;
import dev.flotilla.emulator.EmulatorServer;
import dev.flotilla.server.FakeClock;
import dev.flotilla.server.FlotillaServer;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.server.http.TestHttp;
import dev.flotilla.store.TestDatabases;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Endpoints and workers through the control plane's HTTP API, with the test playing the host's
 * agent over the agent contract (assignments and reports) and a real emulator as the worker
 * behind the gateway. The real agent's side is tested in flotilla-agent and end to end in the CLI.
 */
class ServingTest {
    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-27T00:00:00Z"));
    private FlotillaServer server;
    private TestHttp http;
    private TestHttp gateway;
    private String tenant;
    private String host;
    private String otherHost;
    private long se;
    private long de;
    private EmulatorServer emulator;

    @BeforeEach
    void start() {
        server = FlotillaServer.start(FlotillaConfig.defaultsOnly().withHttpPort(0).withGatewayPort(0), clock,
                TestDatabases.open());
        http = new TestHttp(server.url());
        gateway = new TestHttp(server.openAiUrl().orElseThrow().replace("/v1", ""));
        String admin = server.newAdminKey().orElseThrow();
        tenant = http.post("/api/v1/tenants", admin, "{\"name\":\"alice\",\"credit\":\"50.00\"}").json().get("api_key").asText();
        host = http.post("/api/v1/hosts", admin, "{\"name\":\"rack-1\"}").json().get("host_token").asText();
        otherHost = http.post("/api/v1/hosts", admin, "{\"name\":\"rack-2\"}").json().get("host_token").asText();
        se = machine(host, "SE", "0.45", "0.20");
        de = machine(host, "DE", "0.50", "0.22");
        emulator = EmulatorServer.start(new EmulatorConfig(0, "Llama-3.1-8B", "llama", "RTX_4090", 1, 0.01, 0));
    }

    @AfterEach
    void stop() {
        emulator.close();
        gateway.close();
        http.close();
        server.close();
    }

    private long machine(String token, String country, String price, String minBid) {
        long id = http.post("/api/v1/machines", token, """
                {"gpu_name": "RTX_4090", "num_gpus": 1, "cpu_cores": 16, "cpu_ram": 64, "disk_space": 500,
                 "inet_up": 800, "inet_down": 900, "country": "%s", "region": "r-1", "cuda_vers": 12.4,
                 "driver_version": "550.54.15", "price_per_gpu_hour": "%s", "min_bid_per_gpu_hour": "%s",
                 "storage_per_gb_month": 0.10, "bandwidth_per_tb": 3, "end_date": "2027-06-30"}
                """.formatted(country, price, minBid)).json().get("id").asLong();
        heartbeat(token, id);
        return id;
    }

    private void heartbeat(String token, long machineId) {
        assertThat(http.post("/api/v1/machines/" + machineId + "/heartbeat", token, null).status()).isEqualTo(200);
    }

    private void createEndpoint(String name, String capacity) {
        TestHttp.Response r = http.post("/api/v1/endpoints", tenant, """
                {"name": "%s", "backend": "emulator", "model": "Llama-3.1-8B", "requirement": "gpu_name=RTX_4090",
                 "capacity": "%s", "max_workers": 3, "max_queue_ms": 300, "policy": "manual"}
                """.formatted(name, capacity));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    private JsonNode scale(String name, int n) {
        TestHttp.Response r = http.post("/api/v1/endpoints/" + name + "/scale", tenant, "{\"workers\": " + n + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private List<JsonNode> assignments(String token, long machineId) {
        TestHttp.Response r = http.get("/api/v1/machines/" + machineId + "/workers", token);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().get("workers").forEach(out::add);
        return out;
    }

    private TestHttp.Response report(String workerId, String body) {
        return http.post("/api/v1/workers/" + workerId + "/report", host, body);
    }

    private void bringUp(JsonNode assignment) {
        String id = assignment.get("id").asText();
        assertThat(report(id, "{\"state\": \"loading\", \"reason\": \"launched emulator\", \"log\": [\"starting\"]}").status())
                .isEqualTo(200);
        assertThat(report(id, "{\"state\": \"benchmarking\", \"url\": \"http://127.0.0.1:" + emulator.port() + "\"}")
                .status()).isEqualTo(200);
        TestHttp.Response ready = report(id, "{\"state\": \"ready\", \"reason\": \"benchmarked\", \"capacity\": 8,"
                + " \"requests_per_s\": 12.5, \"tokens_per_s\": 400, \"load\": {\"in_flight\": 0, \"kv_use\": 0.0}}");
        assertThat(ready.status()).as(ready.body()).isEqualTo(200);
        assertThat(ready.json().get("state").asText()).isEqualTo("ready");
    }

    private List<JsonNode> workers(String endpoint, boolean all) {
        List<JsonNode> out = new ArrayList<>();
        http.get("/api/v1/endpoints/" + endpoint + "/workers" + (all ? "?all=true" : ""), tenant).json().get("workers")
                .forEach(out::add);
        return out;
    }

    private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within 10 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private TestHttp.Response chat(String model) {
        return gateway.post("/v1/chat/completions", tenant,
                "{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}], \"max_tokens\": 8}");
    }

    @Test
    void scaleUpRentsSpreadsAndRoutesOnceTheAgentReportsReady() throws Exception {
        createEndpoint("llama", "interruptible");
        scale("llama", 2);
        server.reconcile();

        List<JsonNode> workers = workers("llama", false);
        assertThat(workers).hasSize(2);
        // spread: one worker per machine, both interruptible at the minimum bid
        assertThat(workers).extracting(w -> w.get("machine_id").asLong()).containsExactlyInAnyOrder(se, de);
        assertThat(workers).allSatisfy(w -> {
            assertThat(w.get("state").asText()).isEqualTo("creating");
            assertThat(w.get("interruptible").asBoolean()).isTrue();
        });
        assertThat(workers.stream().filter(w -> w.get("machine_id").asLong() == se).findFirst().orElseThrow()
                .get("price_per_hour").decimalValue()).isEqualByComparingTo("0.20");

        List<JsonNode> onSe = assignments(host, se);
        assertThat(onSe).hasSize(1);
        JsonNode a = onSe.get(0);
        assertThat(a.get("backend").asText()).isEqualTo("emulator");
        assertThat(a.get("model").asText()).isEqualTo("Llama-3.1-8B");
        assertThat(a.get("desired").asText()).isEqualTo("run");
        assertThat(a.get("gpus")).hasSize(1);
        assertThat(a.get("key").asText()).matches("[A-Za-z0-9_-]{43}");

        // no ready worker yet: the request waits its max_queue_ms, then 503 with Retry-After
        TestHttp.Response cold = chat("llama");
        assertThat(cold.status()).as(cold.body()).isEqualTo(503);
        assertThat(cold.json().get("error").get("code").asText()).isEqualTo("no_capacity");

        bringUp(a);
        waitUntil(() -> chat("llama").status() == 200);
        TestHttp.Response ok = chat("llama");
        assertThat(ok.json().get("system_fingerprint").asText()).contains("emulat");

        JsonNode detail = http.get("/api/v1/workers/" + a.get("id").asText(), tenant).json();
        assertThat(detail.get("state").asText()).isEqualTo("ready");
        assertThat(detail.get("capacity").asDouble()).isEqualTo(8.0);
        assertThat(detail.get("events")).extracting(e -> e.get("state").asText())
                .containsExactly("creating", "loading", "benchmarking", "ready");
        assertThat(http.get("/api/v1/workers/" + a.get("id").asText() + "/logs", tenant).json().get("lines").get(0)
                .get("line").asText()).isEqualTo("starting");

        server.flushUsage();
        JsonNode usage = http.get("/api/v1/usage", tenant).json().get("endpoints").get(0);
        assertThat(usage.get("endpoint").asText()).isEqualTo("llama");
        assertThat(usage.get("requests").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(usage.get("completion_tokens").asLong()).isGreaterThanOrEqualTo(16);
        assertThat(usage.get("worker_seconds").asDouble()).isPositive();
    }

    @Test
    void scaleDownDrainsThenTheStoppedReportReleasesTheRental() {
        createEndpoint("llama", "on-demand");
        scale("llama", 1);
        server.reconcile();
        JsonNode a = assignments(host, se).isEmpty() ? assignments(host, de).get(0) : assignments(host, se).get(0);
        bringUp(a);
        String id = a.get("id").asText();
        long machine = workers("llama", false).get(0).get("machine_id").asLong();

        scale("llama", 0);
        server.reconcile();
        assertThat(http.get("/api/v1/workers/" + id, tenant).json().get("state").asText()).isEqualTo("draining");
        assertThat(assignments(host, machine).get(0).get("desired").asText()).isEqualTo("stop");
        // an agent that has not seen the drain yet cannot undo it
        assertThat(report(id, "{\"state\": \"ready\", \"capacity\": 8}").json().get("desired").asText()).isEqualTo("stop");

        assertThat(report(id, "{\"state\": \"stopped\", \"reason\": \"drained: 0 in flight\"}").status()).isEqualTo(200);
        JsonNode w = http.get("/api/v1/workers/" + id, tenant).json();
        assertThat(w.get("state").asText()).isEqualTo("stopped");
        assertThat(http.get("/api/v1/rentals/" + w.get("rental_id").asLong(), tenant).json().get("state").asText())
                .isEqualTo("ended");
        assertThat(assignments(host, machine)).isEmpty();
        // ended: the agent must stop it, whatever it reports
        TestHttp.Response late = report(id, "{\"state\": \"ready\", \"capacity\": 8}");
        assertThat(late.status()).isEqualTo(409);
        assertThat(workers("llama", false)).isEmpty();
        assertThat(workers("llama", true)).hasSize(1);
    }

    @Test
    void aPreemptedWorkerIsReplacedAndASilentAgentFailsItsWorkers() {
        createEndpoint("llama", "interruptible");
        scale("llama", 1);
        server.reconcile();
        JsonNode first = workers("llama", false).get(0);
        long taken = first.get("machine_id").asLong();
        long free = taken == se ? de : se;

        // another tenant rents the same GPU on demand: the interruptible worker is preempted
        long offer = taken * 100 + 1;
        String bob = server.market().createPrincipal(dev.flotilla.store.Principal.Kind.TENANT, "bob", false).apiKey();
        server.market().credit(server.market().findPrincipal(dev.flotilla.store.Principal.Kind.TENANT, "bob")
                .orElseThrow().id(), dev.flotilla.core.Money.ofDollars(10), "seed-bob");
        TestHttp.Response rent = http.post("/api/v1/rentals", bob, "{\"offer_id\": " + offer + ", \"type\": \"on-demand\"}");
        assertThat(rent.status()).as(rent.body()).isEqualTo(201);

        server.reconcile();
        List<JsonNode> all = workers("llama", true);
        JsonNode preempted = all.stream().filter(w -> w.get("id").asLong() == first.get("id").asLong()).findFirst()
                .orElseThrow();
        assertThat(preempted.get("state").asText()).isEqualTo("preempted");
        JsonNode replacement = workers("llama", false).get(0);
        assertThat(replacement.get("machine_id").asLong()).isEqualTo(free);
        assertThat(replacement.get("interruptible").asBoolean()).as("after a preemption, replacements go on demand")
                .isFalse();

        // the agent of the free machine goes silent past the heartbeat timeout: its worker fails
        clock.advance(Duration.ofSeconds(91));
        heartbeat(host, taken);
        server.reconcile();
        JsonNode failed = http.get("/api/v1/workers/" + replacement.get("id").asText(), tenant).json();
        assertThat(failed.get("state").asText()).isEqualTo("failed");
        assertThat(failed.get("reason").asText()).contains("has not heartbeated");
    }

    @Test
    void anOnDemandFallbackGoesBackToInterruptibleCapacityMakingBeforeBreaking() {
        createEndpoint("llama", "interruptible");
        scale("llama", 1);
        server.reconcile();
        JsonNode first = workers("llama", false).get(0);
        long taken = first.get("machine_id").asLong();
        long free = taken == se ? de : se;
        String bob = server.market().createPrincipal(dev.flotilla.store.Principal.Kind.TENANT, "bob", false).apiKey();
        server.market().credit(server.market().findPrincipal(dev.flotilla.store.Principal.Kind.TENANT, "bob")
                .orElseThrow().id(), dev.flotilla.core.Money.ofDollars(10), "seed-bob");
        TestHttp.Response rent = http.post("/api/v1/rentals", bob, "{\"offer_id\": " + (taken * 100 + 1)
                + ", \"type\": \"on-demand\"}");
        assertThat(rent.status()).as(rent.body()).isEqualTo(201);
        server.reconcile();
        JsonNode fallback = workers("llama", false).get(0);
        assertThat(fallback.get("interruptible").asBoolean()).isFalse();
        bringUp(assignments(host, free).get(0));

        // bob leaves; within the back-off the fallback stays, after it a replacement starts first
        assertThat(http.call(HttpMethod.DELETE, "/api/v1/rentals/" + rent.json().get("id").asLong(), bob, null).status())
                .isEqualTo(200);
        server.reconcile();
        assertThat(workers("llama", false)).hasSize(1);
        clock.advance(Reconciler.PREEMPTION_BACKOFF.plusSeconds(1));
        heartbeat(host, se);
        heartbeat(host, de);
        server.reconcile();
        server.reconcile(); // idempotent: one replacement, not one per pass
        List<JsonNode> both = workers("llama", false);
        assertThat(both).hasSize(2);
        JsonNode incoming = both.stream().filter(w -> w.get("id").asLong() != fallback.get("id").asLong()).findFirst()
                .orElseThrow();
        assertThat(incoming.get("interruptible").asBoolean()).isTrue();
        assertThat(incoming.get("machine_id").asLong()).isEqualTo(taken);
        assertThat(incoming.get("replaces").asLong()).isEqualTo(fallback.get("id").asLong());
        assertThat(incoming.get("reason").asText()).contains("to replace worker " + fallback.get("id").asText());
        assertThat(http.get("/api/v1/workers/" + fallback.get("id").asText(), tenant).json().get("state").asText())
                .as("the old worker serves until its replacement is ready").isEqualTo("ready");

        bringUp(assignments(host, taken).get(0));
        server.reconcile();
        JsonNode old = http.get("/api/v1/workers/" + fallback.get("id").asText(), tenant).json();
        assertThat(old.get("state").asText()).isEqualTo("draining");
        assertThat(old.get("reason").asText()).contains("replaced by worker " + incoming.get("id").asText());
        server.reconcile();
        assertThat(workers("llama", false)).extracting(w -> w.get("state").asText()).containsExactlyInAnyOrder("ready",
                "draining");
    }

    @Test
    void aColdWorkerKeepsItsRentalStoppedAndResumesWithItsBenchmark() {
        createEndpoint("llama", "on-demand");
        TestHttp.Response cold = http.call(HttpMethod.PATCH, "/api/v1/endpoints/llama", tenant, "{\"cold_workers\": 1}");
        assertThat(cold.status()).as(cold.body()).isEqualTo(200);
        scale("llama", 1);
        server.reconcile();
        JsonNode a = assignments(host, se).isEmpty() ? assignments(host, de).get(0) : assignments(host, se).get(0);
        bringUp(a);
        String id = a.get("id").asText();
        JsonNode first = http.get("/api/v1/workers/" + id, tenant).json();
        long rental = first.get("rental_id").asLong();
        long machine = first.get("machine_id").asLong();

        // scale to zero: drained, then parked with its rental stopped (storage billed only)
        scale("llama", 0);
        server.reconcile();
        JsonNode draining = http.get("/api/v1/workers/" + id, tenant).json();
        assertThat(draining.get("state").asText()).isEqualTo("draining");
        assertThat(draining.get("reason").asText()).contains("kept cold (1 of 1)");
        assertThat(report(id, "{\"state\": \"stopped\", \"reason\": \"drained\"}").status()).isEqualTo(200);
        server.reconcile();
        JsonNode parked = http.get("/api/v1/workers/" + id, tenant).json();
        assertThat(parked.get("state").asText()).isEqualTo("stopped");
        assertThat(parked.get("cold").asText()).isEqualTo("parked");
        assertThat(http.get("/api/v1/rentals/" + rental, tenant).json().get("state").asText()).isEqualTo("stopped");
        assertThat(assignments(host, machine)).isEmpty();

        // scale up: the same rental starts again for a new worker that reuses the benchmark
        scale("llama", 1);
        server.reconcile();
        List<JsonNode> now = workers("llama", false);
        assertThat(now).hasSize(1);
        JsonNode resumed = now.get(0);
        assertThat(resumed.get("rental_id").asLong()).isEqualTo(rental);
        assertThat(resumed.get("resumed_from").asText()).isEqualTo(id);
        assertThat(resumed.get("reason").asText()).contains("resumed cold worker " + id);
        assertThat(http.get("/api/v1/rentals/" + rental, tenant).json().get("state").asText()).isEqualTo("running");
        JsonNode assignment = assignments(host, machine).get(0);
        assertThat(assignment.get("known_capacity").get("capacity").asDouble()).isEqualTo(8.0);
        assertThat(assignment.get("known_capacity").get("requests_per_s").asDouble()).isEqualTo(12.5);
        assertThat(http.get("/api/v1/workers/" + id, tenant).json().get("cold").asText()).isEqualTo("resumed");

        // a parked worker the endpoint no longer wants gives its rental back
        bringUp(assignment);
        scale("llama", 0);
        server.reconcile();
        String second = resumed.get("id").asText();
        assertThat(report(second, "{\"state\": \"stopped\", \"reason\": \"drained\"}").status()).isEqualTo(200);
        assertThat(http.get("/api/v1/workers/" + second, tenant).json().get("cold").asText()).isEqualTo("parked");
        assertThat(http.call(HttpMethod.PATCH, "/api/v1/endpoints/llama", tenant, "{\"cold_workers\": 0}").status())
                .isEqualTo(200);
        server.reconcile();
        assertThat(http.get("/api/v1/workers/" + second, tenant).json().get("cold").asText()).isEqualTo("dropped");
        assertThat(http.get("/api/v1/rentals/" + rental, tenant).json().get("state").asText()).isEqualTo("ended");
    }

    @Test
    void theGatewayListensOnlyWhereTheApiDoes() throws Exception {
        // http.host is 127.0.0.1 by default: the gateway must not answer on the machine's other addresses
        java.util.Optional<java.net.InetAddress> other = java.net.NetworkInterface.networkInterfaces()
                .filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (java.net.SocketException e) {
                        return false;
                    }
                })
                .flatMap(java.net.NetworkInterface::inetAddresses)
                .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress())
                .findFirst();
        org.junit.jupiter.api.Assumptions.assumeTrue(other.isPresent(), "no non-loopback IPv4 address on this machine");
        int port = java.net.URI.create(server.openAiUrl().orElseThrow()).getPort();
        try (java.net.Socket loopback = new java.net.Socket("127.0.0.1", port)) {
            assertThat(loopback.isConnected()).isTrue();
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(other.get(), port), 2000);
            }
        }).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void deletingAnEndpointStopsItsWorkersAndReleasesTheirRentals() {
        createEndpoint("llama", "on-demand");
        scale("llama", 2);
        server.reconcile();
        List<JsonNode> before = workers("llama", false);
        assertThat(before).hasSize(2);
        assertThat(http.call(HttpMethod.DELETE, "/api/v1/endpoints/llama", tenant, null).status()).isEqualTo(200);
        server.reconcile();
        for (JsonNode w : before) {
            JsonNode after = http.get("/api/v1/workers/" + w.get("id").asText(), tenant).json();
            assertThat(after.get("state").asText()).isEqualTo("stopped");
            assertThat(http.get("/api/v1/rentals/" + after.get("rental_id").asLong(), tenant).json().get("state").asText())
                    .isEqualTo("ended");
        }
        assertThat(assignments(host, se)).isEmpty();
    }

    @Test
    void anEndpointWithNoOnlineAgentSaysWhyItCannotScale() {
        createEndpoint("llama", "on-demand");
        clock.advance(Duration.ofSeconds(91)); // both agents silent
        scale("llama", 1);
        server.reconcile();
        JsonNode e = http.get("/api/v1/endpoints/llama", tenant).json();
        assertThat(e.get("workers")).isEmpty();
        assertThat(e.get("scale_note").asText()).contains("waiting for capacity").contains("agent");
    }

    @Test
    void badInputIsA4xxNamingTheFieldAndChangesNothing() {
        createEndpoint("llama", "on-demand");
        assertError(http.post("/api/v1/endpoints/llama/scale", tenant, "{\"workers\": 4}"), 400, "workers", "max_workers (3)");
        assertError(http.post("/api/v1/endpoints/llama/scale", tenant, "{\"workers\": -1}"), 400, "workers", "min_workers");
        assertError(http.post("/api/v1/endpoints/llama/scale", tenant, "{}"), 400, "workers", "required");
        assertError(http.post("/api/v1/endpoints/llama/scale", tenant, "{\"workers\": \"two\"}"), 400, "workers", "");
        assertError(http.post("/api/v1/endpoints/llama/scale", tenant, "{\"workers\": 1, \"wrokers\": 1}"), 400, "wrokers", "");
        assertThat(http.post("/api/v1/endpoints/nope/scale", tenant, "{\"workers\": 1}").status()).isEqualTo(404);
        assertThat(http.get("/api/v1/endpoints/llama", tenant).json().get("desired_workers").asInt()).isZero();

        scale("llama", 1);
        server.reconcile();
        long machine = workers("llama", false).get(0).get("machine_id").asLong();
        String id = assignments(host, machine).get(0).get("id").asText();
        assertError(report(id, "{\"state\": \"running\"}"), 400, "state", "loading, benchmarking, ready");
        assertError(report(id, "{\"state\": \"ready\", \"url\": \"http://127.0.0.1:9\"}"), 400, "capacity", "benchmarked");
        assertError(report(id, "{\"state\": \"ready\", \"capacity\": 4}"), 400, "url", "url");
        assertError(report(id, "{\"state\": \"loading\", \"url\": \"ftp://x\"}"), 400, "url", "http(s)");
        assertError(report(id, "{\"state\": \"loading\", \"load\": {\"kv_use\": 2}}"), 400, "load.kv_use", "[0, 1]");
        assertError(report(id, "{\"state\": \"loading\", \"capacity\": -1}"), 400, "capacity", ">= 0");
        assertThat(http.get("/api/v1/workers/" + id, tenant).json().get("state").asText()).isEqualTo("creating");
        // another host can neither read this machine's workers nor report on them
        assertThat(http.get("/api/v1/machines/" + machine + "/workers", otherHost).status()).isEqualTo(404);
        assertThat(http.post("/api/v1/workers/" + id + "/report", otherHost, "{\"state\": \"failed\"}").status())
                .isEqualTo(404);
        // tenants cannot use the agent contract, hosts cannot read tenants' workers
        assertThat(http.post("/api/v1/workers/" + id + "/report", tenant, "{\"state\": \"failed\"}").status()).isEqualTo(403);
        assertThat(http.get("/api/v1/workers/" + id, host).status()).isEqualTo(403);
        assertError(http.get("/api/v1/workers/" + id + "/logs?limit=0", tenant), 400, "limit", "between 1");
        assertError(http.get("/api/v1/usage?from=yesterday", tenant), 400, "from", "instant");
    }

    @Test
    void theGatewayAnswersBadCallsInOpenAisShape() {
        TestHttp.Response noKey = gateway.post("/v1/chat/completions", null, "{}");
        assertThat(noKey.status()).isEqualTo(401);
        assertThat(noKey.json().get("error").get("type").asText()).isEqualTo("authentication_error");
        assertThat(gateway.post("/v1/chat/completions", host, "{\"model\": \"x\", \"messages\": []}").status())
                .as("a host token is not a tenant key").isEqualTo(401);
        TestHttp.Response unknown = chat("no-such-model");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").get("code").asText()).isEqualTo("model_not_found");
        TestHttp.Response malformed = gateway.post("/v1/chat/completions", tenant, "{\"model\": ");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().get("error").get("message").asText()).isNotBlank();
        createEndpoint("llama", "on-demand");
        TestHttp.Response models = gateway.get("/v1/models", tenant); // creation refreshes the gateway's view at once
        assertThat(models.status()).isEqualTo(200);
        assertThat(models.json().get("data").get(0).get("id").asText()).isEqualTo("llama");
    }

    private static void assertError(TestHttp.Response r, int status, String field, String fragment) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode e = r.json().get("error");
        assertThat(e.get("field").asText()).as(r.body()).isEqualTo(field);
        assertThat(e.get("message").asText()).contains(fragment);
    }
}
