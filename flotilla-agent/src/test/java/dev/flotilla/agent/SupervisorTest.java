package dev.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Launches real child processes: the emulator from the test class path, and small shell commands. */
class SupervisorTest {
    private static final String MODEL = "Llama-3.1-8B";
    private static final Duration START_WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Vertx vertx;
    private static WebClient web;

    private PortAllocator ports;
    private Supervisor supervisor;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
        web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false));
    }

    @AfterAll
    static void stopVertx() {
        vertx.close().await();
    }

    @BeforeEach
    void startSupervisor() {
        ports = new PortAllocator(41000, 41999);
        supervisor = supervisor(SupervisorConfig.defaults().withStartupTimeout(Duration.ofSeconds(60)));
    }

    @AfterEach
    void stopSupervisor() {
        supervisor.close();
    }

    private Supervisor supervisor(SupervisorConfig config) {
        // Surefire may run tests from a manifest-only jar; its real class path is in this property.
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new Supervisor(vertx, ports, config, InstantSource.system(), Supervisor.currentJava(), classpath);
    }

    private static LaunchSpec emulator(String... extra) {
        return LaunchSpec.of(MODEL, "H100_SXM", List.of()).withExtraArgs(extra);
    }

    private static List<BackendState> states(BackendProcess backend) {
        return backend.history().stream().map(StateChange::state).toList();
    }

    @Test
    void emulatorBecomesReadyServesReportsLoadKeepsLogsAndStops() throws Exception {
        BackendProcess backend = supervisor.start("w1", BackendTemplates.of("emulator"),
                emulator("--time-scale", "0.01"));

        assertThat(backend.awaitStarted(START_WAIT)).as(backend.reason()).isEqualTo(BackendState.READY);
        assertThat(backend.reason()).startsWith("healthy: GET /health answered 200");
        assertThat(ports.isAllocated(backend.port())).isTrue();

        HttpResponse<Buffer> response = web.post(backend.port(), "127.0.0.1", "/v1/chat/completions")
                .putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer("{\"model\":\"" + MODEL + "\",\"max_tokens\":8,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"))
                .await();
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.bodyAsString());
        assertThat(body.at("/usage/completion_tokens").asInt()).isPositive();

        BackendLoad load = backend.pollLoad().orElseThrow();
        assertThat(load.running()).isZero();
        assertThat(load.waiting()).isZero();
        assertThat(load.kvCacheUtilization()).isBetween(0.0, 1.0);
        assertThat(load.tokensPerSecond()).isPositive();

        assertThat(backend.logs()).anyMatch(line -> line.equals("listening on " + backend.port()));

        assertThat(backend.stop("released by the control plane")).isEqualTo(BackendState.STOPPED);
        assertThat(states(backend)).containsExactly(BackendState.STARTING, BackendState.READY,
                BackendState.STOPPING, BackendState.STOPPED);
        assertThat(backend.history().get(2).reason()).isEqualTo("released by the control plane");
        assertThat(backend.reason()).startsWith("exited with code ").endsWith(" after stop");
        assertThat(ports.isAllocated(backend.port())).isFalse();
        assertThat(ProcessHandle.of(backend.pid().orElseThrow()).filter(ProcessHandle::isAlive)).isEmpty();
    }

    @Test
    void commandThatExitsAtOnceFailsWithItsExitCodeAndLastLines() throws Exception {
        BackendProcess backend = supervisor.start("w1", BackendTemplates.of("emulator"), emulator("--bogus", "x"));

        assertThat(backend.awaitStarted(START_WAIT)).isEqualTo(BackendState.FAILED);
        assertThat(backend.reason()).startsWith("exited unexpectedly with code 2; last lines:\n")
                .contains("flotilla-emulator: unknown flag --bogus");
        assertThat(backend.awaitExit(START_WAIT)).isEqualTo(BackendState.FAILED);
        assertThat(ports.isAllocated(backend.port())).isFalse();
    }

    @Test
    void backendThatNeverBecomesHealthyFailsAfterTheStartupTimeoutAndIsKilled() throws Exception {
        // Long enough for the emulator's JVM to start and print its ready line on a loaded machine,
        // so that it is the health check, not the ready line, that runs out of time.
        try (Supervisor impatient = supervisor(SupervisorConfig.defaults()
                .withStartupTimeout(Duration.ofSeconds(10)).withStopGrace(Duration.ofSeconds(5)))) {
            BackendTemplate emulator = BackendTemplates.of("emulator");
            BackendTemplate wrongHealth = new BackendTemplate("wrong-health", emulator.command(), Map.of(),
                    "/not-health", emulator.readySignal(), "");
            BackendProcess backend = impatient.start("w1", wrongHealth, emulator("--time-scale", "0.01"));

            assertThat(backend.awaitStarted(START_WAIT)).isEqualTo(BackendState.FAILED);
            assertThat(backend.reason()).startsWith("not healthy within PT10S: GET /not-health last answered HTTP 404")
                    .contains("listening on " + backend.port());
            assertThat(backend.awaitExit(START_WAIT)).isEqualTo(BackendState.FAILED);
            assertThat(ports.isAllocated(backend.port())).isFalse();
            assertThat(ProcessHandle.of(backend.pid().orElseThrow()).filter(ProcessHandle::isAlive)).isEmpty();
        }
    }

    @Test
    void backendThatNeverPrintsItsReadyLineFailsAfterTheStartupTimeout() throws Exception {
        try (Supervisor impatient = supervisor(SupervisorConfig.defaults().withStartupTimeout(Duration.ofSeconds(1)))) {
            BackendTemplate silent = BackendTemplate.parse("silent", "sh -c 'echo warming up {port}; sleep 60'",
                    Map.of(), "/health", "ready to serve", "");
            BackendProcess backend = impatient.start("w1", silent, LaunchSpec.of(MODEL, "none", List.of()));

            assertThat(backend.awaitStarted(START_WAIT)).isEqualTo(BackendState.FAILED);
            assertThat(backend.reason()).startsWith("no line matching /ready to serve/ within PT1S; last lines:\n")
                    .contains("warming up " + backend.port());
            assertThat(backend.awaitExit(START_WAIT)).isEqualTo(BackendState.FAILED);
            assertThat(ports.isAllocated(backend.port())).isFalse();
        }
    }

    @Test
    void stopKillsABackendThatIgnoresSigtermAfterTheGracePeriod() throws Exception {
        try (Supervisor quick = supervisor(SupervisorConfig.defaults().withStopGrace(Duration.ofMillis(300)))) {
            BackendTemplate stubborn = BackendTemplate.parse("stubborn",
                    "sh -c \"trap '' TERM; echo started {port}; while true; do sleep 1; done\"", Map.of(), "/health",
                    "started", "");
            BackendProcess backend = quick.start("w1", stubborn, LaunchSpec.of(MODEL, "none", List.of()));
            while (backend.logs().stream().noneMatch(l -> l.startsWith("started"))) {
                Thread.sleep(20);
            }

            assertThat(backend.stop("preempted")).isEqualTo(BackendState.STOPPED);
            assertThat(backend.logs()).anyMatch(l -> l.contains("after SIGTERM; sending SIGKILL"));
            assertThat(backend.reason()).isEqualTo("exited with code 137 after stop");
            assertThat(ports.isAllocated(backend.port())).isFalse();
        }
    }

    @Test
    void readyBackendThatDiesIsFailedWithItsExitCode() throws Exception {
        BackendProcess backend = supervisor.start("w1", BackendTemplates.of("emulator"),
                emulator("--time-scale", "0.01"));
        assertThat(backend.awaitStarted(START_WAIT)).as(backend.reason()).isEqualTo(BackendState.READY);

        ProcessHandle.of(backend.pid().orElseThrow()).orElseThrow().destroyForcibly();

        assertThat(backend.awaitExit(START_WAIT)).isEqualTo(BackendState.FAILED);
        assertThat(backend.reason()).startsWith("exited unexpectedly with code 137; last lines:\n")
                .contains("listening on " + backend.port());
        assertThat(states(backend)).containsExactly(BackendState.STARTING, BackendState.READY, BackendState.FAILED);
        assertThat(ports.isAllocated(backend.port())).isFalse();
    }

    @Test
    void commandThatCannotBeStartedFailsAndReleasesItsPort() {
        BackendTemplate missing = BackendTemplate.parse("missing", "/nonexistent/flotilla-backend --port {port}",
                Map.of(), "/health", "", "");
        BackendProcess backend = supervisor.start("w1", missing, LaunchSpec.of(MODEL, "none", List.of()));

        assertThat(backend.state()).isEqualTo(BackendState.FAILED);
        assertThat(backend.reason()).startsWith("cannot start /nonexistent/flotilla-backend");
        assertThat(ports.isAllocated(backend.port())).isFalse();
    }

    @Test
    void twoBackendsGetDistinctPortsAndBothServe() throws Exception {
        BackendProcess a = supervisor.start("a", BackendTemplates.of("emulator"), emulator("--time-scale", "0.01"));
        BackendProcess b = supervisor.start("b", BackendTemplates.of("emulator"), emulator("--time-scale", "0.01"));

        assertThat(a.port()).isNotEqualTo(b.port());
        assertThat(a.awaitStarted(START_WAIT)).as(a.reason()).isEqualTo(BackendState.READY);
        assertThat(b.awaitStarted(START_WAIT)).as(b.reason()).isEqualTo(BackendState.READY);
        assertThat(ports.allocated()).containsExactlyInAnyOrder(a.port(), b.port());
        assertThatThrownBy(() -> supervisor.start("a", BackendTemplates.of("emulator"), emulator()))
                .isInstanceOfSatisfying(FlotillaException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining("backend a is already READY");

        supervisor.close();

        assertThat(a.state()).isEqualTo(BackendState.STOPPED);
        assertThat(b.state()).isEqualTo(BackendState.STOPPED);
        assertThat(ports.allocated()).isEmpty();
    }
}
