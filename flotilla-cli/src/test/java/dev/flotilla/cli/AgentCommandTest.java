package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.agent.host.HostAgent;
import dev.flotilla.cli.client.ClientCommands;
import dev.flotilla.server.FlotillaServer;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.store.TestDatabases;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code flotilla agent} against a real control plane on an ephemeral port: each test makes its
 * own host, so the machines it sees are its own. The command runs in-process with its environment
 * injected and, instead of waiting for an interrupt, a waiter that returns once the agent has
 * heartbeated.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private FlotillaServer server;
    private String adminKey;
    private int hosts;

    @Command(name = "flotilla")
    static final class Root implements Runnable {
        @Override
        public void run() {}
    }

    record Run(int exit, String out, String err) {}

    @BeforeAll
    void startControlPlane() {
        server = FlotillaServer.start(FlotillaConfig.defaultsOnly().withHttpPort(0).withGatewayPort(0), InstantSource.system(), TestDatabases.open());
        adminKey = server.newAdminKey().orElseThrow();
    }

    @AfterAll
    void stopControlPlane() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void emulatedAgentRegistersOneMachineAndHeartbeatsIt(@TempDir Path state) throws Exception {
        String token = newHost();
        List<HostAgent> seen = new ArrayList<>();
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, token), untilHeartbeats(2, seen), "--control-plane", server.url(),
                "--emulate", "RTX_4090:2", "--state-dir", state.toString(), "--country", "SE", "--region", "eu-north",
                "--price", "0.40", "--min-bid", "0.20", "--heartbeat-interval", "50ms");

        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode machines = machines(token);
        assertThat(machines).hasSize(1);
        JsonNode m = machines.get(0);
        long id = m.path("id").asLong();
        assertThat(r.out()).isEqualTo("agent registered machine " + id + " (2x RTX 4090, emulated) with " + server.url()
                + "; heartbeating every 50ms; workers at 127.0.0.1, polled every 1s" + System.lineSeparator());
        assertThat(m.path("gpu_model").asText()).isEqualTo("RTX_4090");
        assertThat(m.path("num_gpus").asInt()).isEqualTo(2);
        assertThat(m.path("cpu_cores").asDouble()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(m.path("country").asText()).isEqualTo("SE");
        assertThat(m.path("region").asText()).isEqualTo("eu-north");
        assertThat(m.path("price_per_gpu_hour").decimalValue()).isEqualByComparingTo("0.40");
        assertThat(m.path("min_bid_per_gpu_hour").decimalValue()).isEqualByComparingTo("0.20");
        assertThat(m.path("last_heartbeat").isTextual()).as(m.toString()).isTrue();
        assertThat(Files.readString(state.resolve(HostAgent.MACHINE_ID_FILE)).strip()).isEqualTo(Long.toString(id));
        assertThat(seen.get(0).heartbeats()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void restartWithTheSameStateDirReusesTheMachine(@TempDir Path state) throws Exception {
        String token = newHost();
        String[] args = {"--control-plane", server.url(), "--token", token, "--emulate", "RTX_4090:2", "--state-dir",
            state.toString(), "--heartbeat-interval", "50ms"};
        Run first = agent(Map.of(), untilHeartbeats(1, new ArrayList<>()), args);
        assertThat(first.exit()).as(first.err()).isZero();
        long id = machines(token).get(0).path("id").asLong();

        Run second = agent(Map.of(), untilHeartbeats(1, new ArrayList<>()), args);
        assertThat(second.exit()).as(second.err()).isZero();
        assertThat(second.out()).startsWith("agent reusing machine " + id + " (2x RTX 4090, emulated)");
        assertThat(machines(token)).hasSize(1);
    }

    @Test
    void agentsWithTheirOwnStateDirsListTheirOwnMachines(@TempDir Path a, @TempDir Path b) throws Exception {
        String token = newHost();
        for (Path dir : List.of(a, b)) {
            Run r = agent(Map.of(AgentCommand.TOKEN_ENV, token), untilHeartbeats(1, new ArrayList<>()), "--control-plane",
                    server.url(), "--emulate", "H100_SXM:8", "--state-dir", dir.toString(), "--heartbeat-interval", "1s");
            assertThat(r.exit()).as(r.err()).isZero();
        }
        assertThat(machines(token)).hasSize(2);
    }

    @Test
    void anUnknownEmulatedModelIsAUsageError(@TempDir Path state) {
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, "t"), neverCalled(), "--control-plane", server.url(), "--emulate",
                "RTX_9999:2", "--state-dir", state.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: --emulate: unknown GPU model 'RTX_9999'; known: ").endsWith("(usage_error)"
                + System.lineSeparator());
        assertThat(state.resolve(HostAgent.MACHINE_ID_FILE)).doesNotExist();
    }

    @Test
    void aZeroCountIsAUsageError(@TempDir Path state) {
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, "t"), neverCalled(), "--control-plane", server.url(), "--emulate",
                "RTX_4090:0", "--state-dir", state.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--emulate count must be 1..16, got 0 in 'RTX_4090:0'");
    }

    @Test
    void aMissingTokenIsAUsageError(@TempDir Path state) {
        Run r = agent(Map.of(), neverCalled(), "--control-plane", server.url(), "--emulate", "RTX_4090:2", "--state-dir",
                state.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no host token: pass --token TOKEN or set FLOTILLA_HOST_TOKEN");
    }

    @Test
    void aBadIntervalIsAUsageError(@TempDir Path state) {
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, "t"), neverCalled(), "--control-plane", server.url(), "--emulate",
                "RTX_4090:2", "--state-dir", state.toString(), "--heartbeat-interval", "soon");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--heartbeat-interval must be a duration such as 30s").contains("'soon'");
    }

    @Test
    void theWorkerLoopRunsAtTheAdvertisedHostAndPollInterval(@TempDir Path state) throws Exception {
        String token = newHost();
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, token), untilHeartbeats(1, new ArrayList<>()), "--control-plane",
                server.url(), "--emulate", "RTX_4090:1", "--state-dir", state.toString(), "--heartbeat-interval", "50ms",
                "--advertise-host", "localhost", "--poll", "250ms", "--ports", "44000-44099");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).endsWith("; heartbeating every 50ms; workers at localhost, polled every 250ms"
                + System.lineSeparator());
    }

    @Test
    void aBadPollIsAUsageError(@TempDir Path state) {
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, "t"), neverCalled(), "--control-plane", server.url(), "--emulate",
                "RTX_4090:2", "--state-dir", state.toString(), "--poll", "0s");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--poll must be positive, got '0s'");
    }

    @Test
    void aBadPortRangeIsAUsageError(@TempDir Path state) {
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, "t"), neverCalled(), "--control-plane", server.url(), "--emulate",
                "RTX_4090:2", "--state-dir", state.toString(), "--ports", "30000-20000");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--ports must be FIRST-LAST with 1024 <= FIRST <= LAST <= 65535, such as"
                + " 20000-20999, got '30000-20000'");
    }

    @Test
    void anAdvertiseHostThatIsAUrlIsAUsageError(@TempDir Path state) {
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, "t"), neverCalled(), "--control-plane", server.url(), "--emulate",
                "RTX_4090:2", "--state-dir", state.toString(), "--advertise-host", "http://10.0.0.5:8000");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--advertise-host must be a host name or IP address such as 10.0.0.5, got"
                + " 'http://10.0.0.5:8000'");
    }

    @Test
    void aMinBidAbovePriceIsAUsageError(@TempDir Path state) {
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, "t"), neverCalled(), "--control-plane", server.url(), "--emulate",
                "RTX_4090:2", "--state-dir", state.toString(), "--price", "0.30", "--min-bid", "0.40");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--min-bid must be positive and at most the price 0.30, got 0.40");
    }

    @Test
    void aTokenTheServerRefusesExitsWithTheServersMessage(@TempDir Path state) {
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, "not-a-token"), neverCalled(), "--control-plane", server.url(),
                "--emulate", "RTX_4090:2", "--state-dir", state.toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(3);
        assertThat(r.err()).startsWith("error: ").contains("(unauthenticated)");
    }

    @Test
    void aMissingControlPlaneIsAUsageError() {
        Run r = agent(Map.of(AgentCommand.TOKEN_ENV, "t"), neverCalled(), "--emulate", "RTX_4090:2");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--control-plane");
    }

    @Test
    void theLauncherHasTheAgentCommand() {
        CommandLine main = Main.commandLine(Map.of());
        assertThat(main.getSubcommands()).containsKey("agent");
        StringWriter err = new StringWriter();
        main.setErr(new PrintWriter(err, true));
        int exit = main.execute("agent", "--control-plane", server.url(), "--token", "t", "--emulate", "RTX_9999:2");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("unknown GPU model 'RTX_9999'");
    }

    @Test
    void durationsReadAndPrintInShortForm() {
        assertThat(AgentCommand.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(AgentCommand.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(AgentCommand.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(AgentCommand.parseDuration("PT1H")).isEqualTo(Duration.ofHours(1));
        assertThat(AgentCommand.format(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(AgentCommand.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(AgentCommand.format(Duration.ofMinutes(2))).isEqualTo("2m");
    }

    // ------------------------------------------------------------------ helpers

    private Run agent(Map<String, String> env, AgentCommand.Waiter waiter, String... args) {
        CommandLine root = new CommandLine(new Root());
        root.addSubcommand(new CommandLine(new AgentCommand(env, waiter)));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        root.setOut(new PrintWriter(out, true));
        root.setErr(new PrintWriter(err, true));
        ClientCommands.configure(root);
        String[] full = new String[args.length + 1];
        full[0] = "agent";
        System.arraycopy(args, 0, full, 1, args.length);
        int exit = root.execute(full);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Returns once the agent has had {@code n} heartbeats accepted, or fails after 10 seconds. */
    private static AgentCommand.Waiter untilHeartbeats(long n, List<HostAgent> seen) {
        return agent -> {
            seen.add(agent);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (agent.heartbeats() < n) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("only " + agent.heartbeats() + " heartbeats in 10s; last error: "
                            + agent.lastHeartbeatError().orElse("none"));
                }
                Thread.sleep(10);
            }
        };
    }

    private static AgentCommand.Waiter neverCalled() {
        return agent -> {
            throw new AssertionError("the agent started for input that should have been refused");
        };
    }

    private String newHost() throws IOException, InterruptedException {
        JsonNode host = post("/api/v1/hosts", adminKey, "{\"name\":\"agent-host-" + (++hosts) + "\"}");
        return host.path("host_token").asText();
    }

    private JsonNode machines(String token) throws IOException, InterruptedException {
        HttpResponse<String> resp = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/machines"))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
        return JSON.readTree(resp.body()).path("machines");
    }

    private JsonNode post(String path, String key, String body) throws IOException, InterruptedException {
        HttpResponse<String> resp = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).as(resp.body()).isBetween(200, 201);
        return JSON.readTree(resp.body());
    }
}
