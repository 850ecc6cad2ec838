package dev.flotilla.agent.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.BackendProcess;
import dev.flotilla.agent.PortAllocator;
import dev.flotilla.agent.Supervisor;
import dev.flotilla.agent.SupervisorConfig;
import dev.flotilla.agent.host.ControlPlaneClient;
import dev.flotilla.core.WorkerToken;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real runner and supervisor launching real emulator processes, driven by a fake control plane:
 * a small Vert.x server with the two worker routes, a list the test edits, and every report kept
 * in arrival order.
 */
class WorkerRunnerTest {
    private static final String MODEL = "Llama-3.1-8B";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long MACHINE = 7;

    private Vertx vertx;
    private WebClient web;
    private HttpServer controlPlane;
    private ControlPlaneClient client;
    private PortAllocator ports;
    private Supervisor supervisor;
    private WorkerRunner runner;

    private final Map<String, JsonObject> listed = new ConcurrentHashMap<>();
    private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
    private final List<JsonObject> reports = new CopyOnWriteArrayList<>();
    private final List<String> auth = new CopyOnWriteArrayList<>();
    private final Map<String, Boolean> ended = new ConcurrentHashMap<>();
    private final AtomicBoolean failList = new AtomicBoolean();
    private final AtomicBoolean failReports = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicReference<String> refuseState =
            new java.util.concurrent.atomic.AtomicReference<>("");

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false));
        controlPlane = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            auth.add(req.getHeader("Authorization"));
            String path = req.path();
            if (req.method().name().equals("GET") && path.equals("/api/v1/machines/" + MACHINE + "/workers")) {
                if (failList.get()) {
                    error(req.response(), 500, "internal", "the database is down");
                    return;
                }
                req.response().end(new JsonObject().put("workers", new JsonArray(List.copyOf(listed.values()))).encode());
            } else if (req.method().name().equals("POST") && path.matches("/api/v1/workers/[^/]+/report")) {
                String id = path.split("/")[4];
                if (failReports.get()) {
                    error(req.response(), 503, "unavailable", "try again");
                    return;
                }
                if (body.toJsonObject().getString("state").equals(refuseState.get())) {
                    error(req.response(), 400, "invalid_argument", "state " + refuseState.get() + " is not accepted");
                    return;
                }
                // As the real control plane: it lists every worker that has not ended, so a report on
                // an unlisted one is on an ended worker (409), never a drain request.
                JsonObject w = listed.get(id);
                if (ended.containsKey(id) || w == null) {
                    error(req.response(), 409, "conflict", "worker " + id + " has ended");
                    return;
                }
                JsonObject report = body.toJsonObject();
                reports.add(report.copy().put("worker", id));
                req.response().end(new JsonObject().put("id", id).put("state", report.getString("state"))
                        .put("desired", w.getString("desired")).encode());
            } else {
                error(req.response(), 404, "not_found", "no route " + path);
            }
        })).listen(0, "127.0.0.1").await();
        client = new ControlPlaneClient(vertx, URI.create("http://127.0.0.1:" + controlPlane.actualPort()), "host-token",
                Duration.ofSeconds(5));
        ports = new PortAllocator(43000, 43999);
        // Surefire may run tests from a manifest-only jar; its real class path is in this property.
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        supervisor = new Supervisor(vertx, ports, SupervisorConfig.defaults().withStartupTimeout(WAIT)
                .withStopGrace(Duration.ofSeconds(5)), InstantSource.system(), Supervisor.currentJava(), classpath);
    }

    @AfterEach
    void stop() {
        if (runner != null) {
            runner.close();
        }
        supervisor.close();
        client.close();
        vertx.close().await();
    }

    private static void error(io.vertx.core.http.HttpServerResponse response, int status, String code, String message) {
        response.setStatusCode(status).end(new JsonObject().put("error", new JsonObject().put("code", code)
                .put("status", status).put("message", message)).encode());
    }

    private WorkerRunner startRunner() {
        runner = WorkerRunner.start(client, MACHINE, supervisor, ports, vertx, WorkerRunnerConfig.defaults()
                .withPoll(Duration.ofMillis(100)).withDrainTimeout(Duration.ofSeconds(10))
                .withBenchmark(BenchmarkConfig.defaults().withMaxConcurrency(8).withBudget(Duration.ofSeconds(20)))
                .withExtraArgs("emulator", "--time-scale", "0.05"), InstantSource.system());
        return runner;
    }

    private void assign(String id, String backend) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        keys.put(id, key);
        listed.put(id, new JsonObject().put("id", id).put("endpoint_id", "3").put("endpoint", "llama")
                .put("backend", backend).put("model", MODEL).put("gpu", "H100_SXM").put("gpus", new JsonArray().add(0))
                .put("desired", "run").put("state", "creating")
                .put("key", Base64.getUrlEncoder().withoutPadding().encodeToString(key)));
    }

    private void drain(String id) {
        listed.computeIfPresent(id, (k, w) -> w.copy().put("desired", "stop").put("state", "draining"));
    }

    private List<JsonObject> reportsOf(String id) {
        return reports.stream().filter(r -> r.getString("worker").equals(id)).toList();
    }

    /** The states reported, with a run of load reports counted once. */
    private List<String> statesOf(String id) {
        List<String> states = new ArrayList<>();
        for (JsonObject r : reportsOf(id)) {
            String s = r.getString("state");
            if (states.isEmpty() || !states.getLast().equals(s)) {
                states.add(s);
            }
        }
        return states;
    }

    private JsonObject awaitReport(String id, String state) throws InterruptedException {
        await(() -> reportsOf(id).stream().anyMatch(r -> r.getString("state").equals(state)),
                "a " + state + " report for worker " + id);
        return reportsOf(id).stream().filter(r -> r.getString("state").equals(state)).findFirst().orElseThrow();
    }

    private void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + WAIT + "; reports: " + reports);
            }
            Thread.sleep(20);
        }
    }

    private JsonObject awaitReady(String id) throws InterruptedException {
        return awaitReport(id, "ready");
    }

    private long pid(String id) {
        return supervisor.get(id).flatMap(BackendProcess::pid).orElseThrow();
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private HttpResponse<Buffer> chat(String url, String token) {
        URI u = URI.create(url);
        var request = web.post(u.getPort(), u.getHost(), "/v1/chat/completions").putHeader("Content-Type",
                "application/json");
        if (token != null) {
            request.putHeader(WorkerToken.HEADER, token);
        }
        // clients name the endpoint, and the gateway forwards their body unchanged
        return request.sendBuffer(Buffer.buffer("{\"model\":\"llama\",\"max_tokens\":8,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}")).await();
    }

    private String token(String id) {
        return WorkerToken.mint(keys.get(id), "3", id, Instant.now().plusSeconds(60));
    }

    @Test
    void anAssignedWorkerIsLaunchedBenchmarkedAndServesThroughItsProxy() throws Exception {
        assign("12", "emulator");
        startRunner();

        JsonObject ready = awaitReady("12");

        assertThat(statesOf("12")).startsWith("loading", "benchmarking", "ready");
        JsonObject loading = reportsOf("12").getFirst();
        assertThat(loading.getString("reason")).startsWith("launched emulator for " + MODEL + " on port ");
        JsonObject benchmarking = reportsOf("12").get(1);
        String url = ready.getString("url");
        assertThat(url).matches("http://127\\.0\\.0\\.1:\\d+");
        assertThat(benchmarking.getString("url")).isEqualTo(url);
        assertThat(benchmarking.getString("reason")).startsWith("healthy: GET /health answered 200");
        assertThat(ready.getInteger("capacity")).isBetween(1, 8);
        assertThat(ready.getDouble("requests_per_s")).isPositive();
        assertThat(ready.getDouble("tokens_per_s")).isPositive();
        assertThat(ready.getString("reason")).startsWith("benchmarked: capacity " + ready.getInteger("capacity")
                + " concurrent requests");
        assertThat(ready.getJsonArray("log").stream().map(String::valueOf))
                .anyMatch(line -> line.startsWith("[flotilla-agent] benchmark concurrency 1: 2 requests"));

        HttpResponse<Buffer> ok = chat(url, token("12"));
        assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(200);
        assertThat(ok.bodyAsJsonObject().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(8);
        assertThat(ok.bodyAsJsonObject().getString("model")).isEqualTo("llama");
        HttpResponse<Buffer> refused = chat(url, null);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("invalid_worker_token");

        // every poll from now on reports the load, with the emulator's own figures
        int seen = reportsOf("12").size();
        await(() -> reportsOf("12").size() >= seen + 2 && reportsOf("12").getLast().containsKey("load"),
                "load reports");
        JsonObject load = reportsOf("12").getLast();
        assertThat(load.getString("state")).isEqualTo("ready");
        assertThat(load.getJsonObject("load").fieldNames()).contains("in_flight", "running", "waiting", "kv_use",
                "tokens_per_s");
        assertThat(runner.worker("12").orElseThrow().phase()).isEqualTo(WorkerRunner.Phase.READY);
        List<String> logged = reportsOf("12").stream().filter(r -> r.containsKey("log"))
                .flatMap(r -> r.getJsonArray("log").stream().map(String::valueOf)).toList();
        assertThat(logged).contains("listening on " + supervisor.get("12").orElseThrow().port());
        assertThat(logged).doesNotHaveDuplicates();
        assertThat(auth).isNotEmpty().allMatch("Bearer host-token"::equals);
    }

    @Test
    void aWorkerResumedFromAColdOneReusesItsBenchmarkAndServes() throws Exception {
        assign("14", "emulator");
        listed.computeIfPresent("14", (k, w) -> w.copy().put("known_capacity", new JsonObject().put("capacity", 6)
                .put("requests_per_s", 9.5).put("tokens_per_s", 300.0)));
        startRunner();

        JsonObject ready = awaitReady("14");
        assertThat(statesOf("14")).startsWith("loading", "benchmarking", "ready");
        assertThat(ready.getInteger("capacity")).isEqualTo(6);
        assertThat(ready.getDouble("requests_per_s")).isEqualTo(9.5);
        assertThat(ready.getString("reason")).startsWith("resumed from a cold worker on this rental: capacity 6");
        assertThat(reportsOf("14").stream().filter(r -> r.containsKey("log"))
                .flatMap(r -> r.getJsonArray("log").stream().map(String::valueOf)))
                .noneMatch(line -> line.contains("benchmark concurrency"));
        HttpResponse<Buffer> ok = chat(ready.getString("url"), token("14"));
        assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(200);
    }

    @Test
    void desiredStopDrainsTheWorkerReportsStoppedAndEndsItsProcess() throws Exception {
        assign("12", "emulator");
        startRunner();
        String url = awaitReady("12").getString("url");
        long pid = pid("12");
        int proxyPort = URI.create(url).getPort();

        drain("12");

        JsonObject stopped = awaitReport("12", "stopped");
        assertThat(stopped.getString("reason")).startsWith("drained: no request in flight, ");
        assertThat(alive(pid)).isFalse();
        assertThat(ports.isAllocated(proxyPort)).isFalse();
        assertThat(runner.worker("12").orElseThrow().phase()).isEqualTo(WorkerRunner.Phase.STOPPED);
        Thread.sleep(300);
        assertThat(reportsOf("12").getLast().getString("state")).isEqualTo("stopped");
        assertThat(statesOf("12")).containsExactly("loading", "benchmarking", "ready", "stopped");

        // once the control plane drops it, the agent forgets it
        listed.remove("12");
        await(() -> runner.worker("12").isEmpty(), "the worker forgotten");
    }

    @Test
    void aWorkerMissingFromTheListIsStoppedAtOnceWithoutAReport() throws Exception {
        assign("12", "emulator");
        startRunner();
        awaitReady("12");
        long pid = pid("12");

        listed.remove("12");

        await(() -> !alive(pid), "the backend stopped");
        await(() -> runner.worker("12").isEmpty(), "the worker forgotten");
        assertThat(statesOf("12")).containsExactly("loading", "benchmarking", "ready");
    }

    @Test
    void aWorkerRemovedWhileItStartsIsStoppedToo() throws Exception {
        assign("12", "emulator");
        startRunner();
        awaitReport("12", "loading");
        long pid = pid("12");

        listed.remove("12");

        await(() -> !alive(pid), "the backend stopped");
        await(() -> runner.worker("12").isEmpty(), "the worker forgotten");
        assertThat(statesOf("12")).doesNotContain("ready", "stopped", "failed");
    }

    @Test
    void aBackendThatDiesIsReportedFailedWithItsExitCode() throws Exception {
        assign("12", "emulator");
        startRunner();
        String url = awaitReady("12").getString("url");
        long pid = pid("12");

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        JsonObject failed = awaitReport("12", "failed");
        assertThat(failed.getString("reason")).startsWith("exited unexpectedly with code 137; last lines:\n")
                .contains("listening on ");
        assertThat(ports.isAllocated(URI.create(url).getPort())).isFalse();
        assertThat(runner.worker("12").orElseThrow().phase()).isEqualTo(WorkerRunner.Phase.FAILED);
    }

    @Test
    void aBackendThatCannotStartIsReportedFailedWithItsLastLines() throws Exception {
        assign("12", "emulator");
        runner = WorkerRunner.start(client, MACHINE, supervisor, ports, vertx, WorkerRunnerConfig.defaults()
                .withPoll(Duration.ofMillis(100)).withExtraArgs("emulator", "--bogus", "x"), InstantSource.system());

        JsonObject failed = awaitReport("12", "failed");

        assertThat(failed.getString("reason")).startsWith("exited unexpectedly with code 2; last lines:\n")
                .contains("unknown flag --bogus");
        assertThat(statesOf("12")).containsExactly("loading", "failed");
    }

    @Test
    void anUnknownBackendIsReportedFailedNamingTheKnownOnes() throws Exception {
        assign("12", "nonesuch");
        startRunner();

        JsonObject failed = awaitReport("12", "failed");

        assertThat(failed.getString("reason")).isEqualTo("could not launch backend 'nonesuch': unknown backend template"
                + " 'nonesuch'; known: vllm, sglang, llama-server, tgi, emulator, embeddings");
        assertThat(statesOf("12")).containsExactly("failed");
    }

    @Test
    void aReportAnswered409StopsTheWorkerAtOnce() throws Exception {
        assign("12", "emulator");
        startRunner();
        awaitReady("12");
        long pid = pid("12");

        ended.put("12", true);

        await(() -> !alive(pid), "the backend stopped");
        int after = reportsOf("12").size();
        Thread.sleep(500);
        assertThat(reportsOf("12")).hasSize(after);
        assertThat(statesOf("12")).doesNotContain("stopped", "failed");
        // still listed (the list lags the control plane's decision), but never launched again
        assertThat(pid("12")).isEqualTo(pid);
        assertThat(runner.worker("12").orElseThrow().phase()).isEqualTo(WorkerRunner.Phase.STOPPED);
    }

    @Test
    void anEndedWorkerStillListedIsReportedOnceAndNotLaunchedAgain() throws Exception {
        assign("12", "emulator");
        startRunner();
        awaitReady("12");
        long pid = pid("12");
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        awaitReport("12", "failed");

        Thread.sleep(500); // five polls that still list it

        assertThat(reportsOf("12").stream().filter(r -> r.getString("state").equals("failed"))).hasSize(1);
        assertThat(reportsOf("12").getLast().getString("state")).isEqualTo("failed");
        assertThat(pid("12")).isEqualTo(pid);
    }

    @Test
    void aControlPlaneThatFailsIsRetriedAndNoReportIsLost() throws Exception {
        failList.set(true);
        failReports.set(true);
        assign("12", "emulator");
        startRunner();
        await(() -> runner.lastPollError().isPresent(), "a failed poll");
        assertThat(runner.lastPollError()).contains("the database is down");

        failList.set(false);
        await(() -> runner.worker("12").map(w -> w.phase() == WorkerRunner.Phase.READY).orElse(false),
                "the worker ready while reports fail");
        assertThat(reports).isEmpty();
        failReports.set(false);

        awaitReady("12");
        assertThat(statesOf("12")).startsWith("loading", "benchmarking", "ready");
        assertThat(runner.lastPollError()).isEmpty();
    }

    @Test
    void aReportTheControlPlaneRefusesIsDroppedAndTheNextOnesStillGoOut() throws Exception {
        refuseState.set("benchmarking");
        assign("12", "emulator");
        startRunner();

        JsonObject ready = awaitReady("12");

        assertThat(statesOf("12")).startsWith("loading", "ready");
        assertThat(ready.getString("url")).startsWith("http://127.0.0.1:");
    }

    @Test
    void aWorkerToDrainThatThisAgentDoesNotRunIsReportedStopped() throws Exception {
        assign("12", "emulator");
        drain("12");
        startRunner();

        JsonObject stopped = awaitReport("12", "stopped");

        assertThat(stopped.getString("reason")).isEqualTo("not running on this agent, so there is nothing to drain");
        assertThat(supervisor.get("12")).isEmpty();
    }

    @Test
    void closingTheRunnerStopsEveryWorkerWithoutReports() throws Exception {
        assign("12", "emulator");
        assign("13", "emulator");
        startRunner();
        awaitReady("12");
        awaitReady("13");
        long a = pid("12");
        long b = pid("13");

        runner.close();

        assertThat(alive(a)).isFalse();
        assertThat(alive(b)).isFalse();
        assertThat(statesOf("12")).doesNotContain("stopped", "failed");
        assertThat(statesOf("13")).doesNotContain("stopped", "failed");
        assertThat(ports.allocated()).isEmpty();
    }
}
