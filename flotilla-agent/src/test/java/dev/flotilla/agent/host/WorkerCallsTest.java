package dev.flotilla.agent.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ControlPlaneClient#workers} and {@link ControlPlaneClient#report} against a fake that answers what a test sets. */
class WorkerCallsTest {
    private static final byte[] KEY = {1, 2, 3, (byte) 250, (byte) 251, (byte) 252};

    private Vertx vertx;
    private ControlPlaneClient client;
    private final AtomicReference<JsonObject> workersAnswer = new AtomicReference<>();
    private final AtomicReference<String> lastPath = new AtomicReference<>();
    private final AtomicReference<JsonObject> lastReport = new AtomicReference<>();
    private final AtomicReference<Integer> reportStatus = new AtomicReference<>(200);

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            lastPath.set(req.method() + " " + req.path());
            if (req.path().endsWith("/workers")) {
                req.response().end(workersAnswer.get().encode());
            } else if (reportStatus.get() == 409) {
                lastReport.set(body.toJsonObject());
                req.response().setStatusCode(409).end(new JsonObject().put("error", new JsonObject()
                        .put("code", "conflict").put("number", 3001).put("status", 409)
                        .put("message", "worker 12 is failed; it takes no more reports")).encode());
            } else {
                lastReport.set(body.toJsonObject());
                req.response().end(new JsonObject().put("id", "12").put("state", body.toJsonObject().getString("state"))
                        .put("desired", "stop").encode());
            }
        })).listen(0, "127.0.0.1").await();
        client = new ControlPlaneClient(vertx, URI.create("http://127.0.0.1:" + server.actualPort()), "host-token",
                Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        client.close();
        vertx.close().await();
    }

    private static JsonObject worker(Object id) {
        return new JsonObject().put("id", id).put("endpoint_id", "3").put("endpoint", "llama").put("backend", "emulator")
                .put("model", "Llama-3.1-8B").put("gpu", "H100_SXM").put("gpus", new JsonArray().add(0).add(1))
                .put("desired", "run").put("state", "creating")
                .put("key", Base64.getUrlEncoder().withoutPadding().encodeToString(KEY));
    }

    @Test
    void listsTheMachinesWorkersWithTheirDecodedKeys() {
        workersAnswer.set(new JsonObject().put("workers", new JsonArray().add(worker("12"))
                .add(worker(13).put("desired", "stop").put("state", "draining"))));

        List<WorkerAssignment> workers = client.workers(7);

        assertThat(lastPath.get()).isEqualTo("GET /api/v1/machines/7/workers");
        assertThat(workers).containsExactly(
                new WorkerAssignment("12", "3", "llama", "emulator", "Llama-3.1-8B", "H100_SXM", List.of(0, 1),
                        WorkerAssignment.Desired.RUN, "creating", KEY),
                new WorkerAssignment("13", "3", "llama", "emulator", "Llama-3.1-8B", "H100_SXM", List.of(0, 1),
                        WorkerAssignment.Desired.STOP, "draining", KEY));
        assertThat(workers.getFirst().key()).containsExactly(KEY);
        assertThat(workers.getFirst().toString()).doesNotContain(Base64.getUrlEncoder().withoutPadding().encodeToString(KEY));
    }

    @Test
    void aWorkerWithAKeyThatIsNotBase64urlIsABadResponseNamingIt() {
        workersAnswer.set(new JsonObject().put("workers", new JsonArray().add(worker("12").put("key", "not*base64"))));

        assertThatThrownBy(() -> client.workers(7))
                .isInstanceOfSatisfying(ControlPlaneException.class, e -> assertThat(e.code()).isEqualTo("bad_response"))
                .hasMessage("the control plane listed worker '12' in a form the agent cannot run: key is not base64url");
    }

    @Test
    void aWorkerWithAnUnknownDesiredStateIsABadResponse() {
        workersAnswer.set(new JsonObject().put("workers", new JsonArray().add(worker("12").put("desired", "pause"))));

        assertThatThrownBy(() -> client.workers(7)).hasMessageEndingWith("desired must be run or stop, got 'pause'");
    }

    @Test
    void aReportSendsOnlyTheFieldsItHasAndReturnsTheAnswer() {
        WorkerReport report = WorkerReport.of(WorkerReport.State.READY, "benchmarked").withUrl("http://10.0.0.5:20001")
                .withCapacity(8, 3.2, 812.5)
                .withLoad(new WorkerReport.Load(2, OptionalInt.of(2), OptionalInt.of(0), OptionalDouble.of(0.12),
                        OptionalDouble.of(640.0)))
                .withLog(List.of("line 1", "line 2"));

        ReportAnswer answer = client.report("12", report);

        assertThat(lastPath.get()).isEqualTo("POST /api/v1/workers/12/report");
        assertThat(lastReport.get()).isEqualTo(new JsonObject("""
                {"state":"ready","reason":"benchmarked","url":"http://10.0.0.5:20001","capacity":8,"requests_per_s":3.2,
                 "tokens_per_s":812.5,"load":{"in_flight":2,"running":2,"waiting":0,"kv_use":0.12,"tokens_per_s":640.0},
                 "log":["line 1","line 2"]}"""));
        assertThat(answer).isEqualTo(new ReportAnswer("12", "ready", "stop"));
        assertThat(answer.wantsStop()).isTrue();

        client.report("12", WorkerReport.of(WorkerReport.State.LOADING, "launched"));
        assertThat(lastReport.get()).isEqualTo(new JsonObject().put("state", "loading").put("reason", "launched"));
    }

    @Test
    void aReportOnAnEndedWorkerIsA409() {
        reportStatus.set(409);

        assertThatThrownBy(() -> client.report("12", WorkerReport.of(WorkerReport.State.READY, "serving")))
                .isInstanceOfSatisfying(ControlPlaneException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.code()).isEqualTo("conflict");
                })
                .hasMessage("worker 12 is failed; it takes no more reports");
    }
}
