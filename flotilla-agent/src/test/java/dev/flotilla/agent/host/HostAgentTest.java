package dev.flotilla.agent.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.market.gpu.GpuCatalog;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent against a hand-written fake of the control plane's host routes (the real one is
 * exercised by flotilla-cli's AgentCommandTest): it keeps machines in a map, records heartbeats,
 * and can be told to refuse them.
 */
class HostAgentTest {
    private static final MachineRegistration REGISTRATION = new MachineRegistration(
            GpuInventory.emulated("RTX_4090:2", GpuCatalog.defaultCatalog()), new HostResources(8, 32, 100), Listing.defaults());

    private Vertx vertx;
    private HttpServer server;
    private ControlPlaneClient client;
    private final Map<Long, JsonObject> machines = new ConcurrentHashMap<>();
    private final List<Long> beats = new CopyOnWriteArrayList<>();
    private final AtomicLong nextId = new AtomicLong(100);
    private final AtomicInteger refuseHeartbeats = new AtomicInteger();
    private final List<String> auth = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startFake() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            auth.add(req.getHeader("Authorization"));
            String path = req.path();
            if (req.method().name().equals("GET") && path.equals("/api/v1/machines")) {
                req.response().end(new JsonObject().put("machines", new JsonArray(List.copyOf(machines.values()))).encode());
            } else if (req.method().name().equals("POST") && path.equals("/api/v1/machines")) {
                JsonObject in = body.toJsonObject();
                long id = nextId.getAndIncrement();
                JsonObject m = new JsonObject().put("id", id).put("gpu_model", in.getString("gpu_name"))
                        .put("num_gpus", in.getInteger("num_gpus")).put("listed", true).putNull("last_heartbeat");
                machines.put(id, m);
                req.response().setStatusCode(201).end(m.encode());
            } else if (path.matches("/api/v1/machines/\\d+/heartbeat")) {
                long id = Long.parseLong(path.split("/")[4]);
                if (refuseHeartbeats.get() > 0 || !machines.containsKey(id)) {
                    refuseHeartbeats.decrementAndGet();
                    req.response().setStatusCode(404).end(new JsonObject().put("error", new JsonObject()
                            .put("code", "not_found").put("message", "machine " + id + " not found")).encode());
                    return;
                }
                beats.add(id);
                req.response().end(machines.get(id).copy().put("last_heartbeat", "2026-01-01T00:00:00Z").encode());
            } else {
                req.response().setStatusCode(404).end();
            }
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        client = new ControlPlaneClient(vertx, URI.create("http://127.0.0.1:" + server.actualPort()), "host-token",
                Duration.ofSeconds(5));
    }

    @AfterEach
    void stopFake() throws Exception {
        client.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void registersOnceAndSavesTheMachineId(@TempDir Path state) throws Exception {
        try (HostAgent agent = HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1))) {
            assertThat(agent.reused()).isFalse();
            assertThat(machines).containsOnlyKeys(agent.machineId());
            assertThat(Files.readString(state.resolve(HostAgent.MACHINE_ID_FILE)).strip()).isEqualTo("" + agent.machineId());
        }
        assertThat(auth).allMatch("Bearer host-token"::equals);
    }

    @Test
    void reusesTheSavedMachine(@TempDir Path state) {
        long first;
        try (HostAgent agent = HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1))) {
            first = agent.machineId();
        }
        try (HostAgent agent = HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1))) {
            assertThat(agent.reused()).isTrue();
            assertThat(agent.machineId()).isEqualTo(first);
        }
        assertThat(machines).hasSize(1);
    }

    @Test
    void registersAnewWhenTheSavedMachineIsGone(@TempDir Path state) throws Exception {
        Files.writeString(state.resolve(HostAgent.MACHINE_ID_FILE), "42\n");
        try (HostAgent agent = HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1))) {
            assertThat(agent.reused()).isFalse();
            assertThat(agent.machineId()).isNotEqualTo(42);
            assertThat(Files.readString(state.resolve(HostAgent.MACHINE_ID_FILE)).strip()).isEqualTo("" + agent.machineId());
        }
    }

    @Test
    void refusesACorruptMachineIdFile(@TempDir Path state) throws Exception {
        Files.writeString(state.resolve(HostAgent.MACHINE_ID_FILE), "banana");
        assertThatThrownBy(() -> HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holds 'banana', not a machine id");
        assertThat(machines).isEmpty();
    }

    @Test
    void refusesASecondAgentOnTheSameStateDir(@TempDir Path state) {
        try (HostAgent agent = HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1))) {
            assertThat(agent.machineId()).isPositive();
            assertThatThrownBy(() -> HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1)))
                    .hasMessageContaining("is in use by another agent");
        }
        // released on close
        try (HostAgent again = HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1))) {
            assertThat(again.reused()).isTrue();
        }
    }

    @Test
    void heartbeatsEveryIntervalUntilClosed(@TempDir Path state) throws Exception {
        HostAgent agent = HostAgent.start(client, REGISTRATION, state, Duration.ofMillis(20));
        awaitBeats(agent, 3);
        agent.close();
        int after = beats.size();
        Thread.sleep(100);
        assertThat(beats).hasSize(after).allMatch(id -> id == agent.machineId());
    }

    @Test
    void aRefusedHeartbeatIsRecordedAndTheNextOneRetries(@TempDir Path state) throws Exception {
        try (HostAgent agent = HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1))) {
            awaitBeats(agent, 1);
            refuseHeartbeats.set(1);
            agent.beat();
            assertThat(agent.lastHeartbeatError()).contains("machine " + agent.machineId() + " not found");
            agent.beat();
            assertThat(agent.lastHeartbeatError()).isEmpty();
            assertThat(agent.heartbeats()).isEqualTo(2);
        }
    }

    @Test
    void closingTheAgentClosesWhatRunsForItFirstLastHandedOverFirst(@TempDir Path state) {
        List<String> closed = new CopyOnWriteArrayList<>();
        HostAgent agent = HostAgent.start(client, REGISTRATION, state, Duration.ofHours(1));
        agent.closeWith(() -> closed.add("supervisor"));
        agent.closeWith(() -> {
            closed.add("workers");
            throw new IllegalStateException("a resource that fails to close does not keep the others open");
        });

        agent.close();
        agent.close();

        assertThat(closed).containsExactly("workers", "supervisor");
        agent.closeWith(() -> closed.add("late"));
        assertThat(closed).containsExactly("workers", "supervisor", "late");
    }

    @Test
    void serverErrorsCarryTheServersCodeAndMessage() {
        assertThatThrownBy(() -> client.heartbeat(7))
                .isInstanceOfSatisfying(ControlPlaneException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.code()).isEqualTo("not_found");
                })
                .hasMessage("machine 7 not found");
    }

    @Test
    void anUnreachableControlPlaneSaysSo() throws Exception {
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (ControlPlaneClient nowhere = new ControlPlaneClient(vertx, URI.create("http://127.0.0.1:" + port), "t",
                Duration.ofSeconds(2))) {
            assertThatThrownBy(nowhere::machines)
                    .isInstanceOfSatisfying(ControlPlaneException.class, e -> assertThat(e.code()).isEqualTo("unreachable"))
                    .hasMessageContaining("no control plane answered GET http://127.0.0.1:" + port + "/api/v1/machines");
        }
    }

    private void awaitBeats(HostAgent agent, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (agent.heartbeats() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(agent.heartbeats()).isGreaterThanOrEqualTo(n);
    }
}
