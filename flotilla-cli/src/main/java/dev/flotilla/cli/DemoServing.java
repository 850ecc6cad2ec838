package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.cli.client.ApiClient;
import dev.flotilla.cli.client.CliException;
import dev.flotilla.cli.client.ConnectionOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * The demo's serving side: three emulated GPU hosts, each a real {@code flotilla agent} (the same
 * command a host runs, here on threads of the demo's process, with their model servers as child
 * processes), and two endpoints of the demo tenant scaled to one worker each: an LLM on the engine
 * emulator and the real all-MiniLM-L6-v2 embedding model. Endpoints that exist already (a restart
 * on the same data directory) are kept as they are.
 */
final class DemoServing implements AutoCloseable {
    /** One emulated host: its name (state directory), GPUs, country and port range. */
    record DemoAgent(String name, String emulate, String country, String ports) {}

    static final List<DemoAgent> AGENTS = List.of(
            new DemoAgent("agent-h100", "H100_SXM:1", "US", "21000-21099"),
            new DemoAgent("agent-a100", "A100_SXM4_80GB:1", "DE", "21100-21199"),
            new DemoAgent("agent-l4", "L4:1", "SE", "21200-21299"));
    static final String LLM = "llama-3.1-8b";
    /** Idle time before the LLM endpoint scales to zero: short, so the demo shows it within minutes. */
    static final java.time.Duration LLM_INACTIVITY = java.time.Duration.ofMinutes(2);
    static final String EMBEDDINGS = "all-minilm-l6-v2";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CountDownLatch stop = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();
    private final ApiClient api;

    private DemoServing(String controlPlane, String tenantKey) {
        this.api = new ApiClient(new ConnectionOptions.Connection(controlPlane, Optional.of(tenantKey)));
    }

    /**
     * Starts the agents (returns once each has listed its machine), then makes sure the two
     * endpoints exist with a worker each. Workers become ready in the background:
     * {@link #awaitReady} waits for them.
     */
    static DemoServing start(String controlPlane, String hostToken, String tenantKey, Path stateRoot) {
        return start(controlPlane, hostToken, tenantKey, stateRoot, LLM_INACTIVITY);
    }

    /** As above, with the LLM endpoint's idle time before it scales to zero (tests use a short one). */
    static DemoServing start(String controlPlane, String hostToken, String tenantKey, Path stateRoot,
            java.time.Duration llmInactivity) {
        requireNonNull(hostToken, "hostToken is null");
        DemoServing demo = new DemoServing(requireNonNull(controlPlane, "controlPlane is null"),
                requireNonNull(tenantKey, "tenantKey is null"));
        CountDownLatch listed = new CountDownLatch(AGENTS.size());
        List<String> failures = new CopyOnWriteArrayList<>();
        try {
            for (DemoAgent a : AGENTS) {
                AgentCommand command = new AgentCommand(Map.of(), agent -> {
                    listed.countDown();
                    demo.stop.await();
                });
                StringWriter err = new StringWriter();
                CommandLine cl = new CommandLine(command);
                cl.setOut(new PrintWriter(new StringWriter()));
                cl.setErr(new PrintWriter(err, true));
                dev.flotilla.cli.client.ClientCommands.configure(cl);
                demo.threads.add(Thread.ofVirtual().name("demo-" + a.name()).start(() -> {
                    int exit = cl.execute("--control-plane", controlPlane, "--token", hostToken, "--emulate", a.emulate(),
                            "--country", a.country(), "--state-dir", stateRoot.resolve(a.name()).toString(),
                            "--ports", a.ports(), "--heartbeat-interval", "5s");
                    if (exit != 0) {
                        failures.add(a.name() + ": " + err.toString().strip());
                        listed.countDown();
                    }
                }));
            }
            if (!listed.await(60, TimeUnit.SECONDS) || !failures.isEmpty()) {
                throw new IllegalStateException("demo agents did not start: " + (failures.isEmpty()
                        ? "no answer within 60 s" : String.join("; ", failures)));
            }
            demo.ensureEndpoint(LLM, """
                    {"name": "%s", "backend": "emulator", "model": "Llama-3.1-8B", "requirement": "gpu_ram>=40 num_gpus=1",
                     "capacity": "interruptible", "min_workers": 0, "max_workers": 2, "initial_workers": 1,
                     "max_queue_ms": 120000, "routing": "least-load", "policy": "predictive",
                     "inactivity_timeout_s": %d, "cold_workers": 1}""".formatted(LLM, llmInactivity.toSeconds()));
            demo.ensureEndpoint(EMBEDDINGS, """
                    {"name": "%s", "backend": "embeddings", "model": "all-MiniLM-L6-v2", "requirement": "gpu_name=L4",
                     "capacity": "on-demand", "min_workers": 1, "max_workers": 1, "max_queue_ms": 30000,
                     "policy": "reactive"}""".formatted(EMBEDDINGS));
            return demo;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            demo.close();
            throw new IllegalStateException("interrupted while starting the demo agents", e);
        } catch (RuntimeException e) {
            demo.close();
            throw e;
        }
    }

    /** The settings an existing endpoint may change (the rest names what it runs, fixed at creation). */
    private static final java.util.Set<String> UPDATABLE = java.util.Set.of("min_workers", "max_workers", "cold_workers",
            "max_queue_ms", "inactivity_timeout_s", "routing", "policy", "advisory", "min_load", "target_util",
            "cold_mult", "target_queue_ms");

    /**
     * Creates the endpoint unless it exists; an existing one (a data directory from an earlier
     * run or version) gets the demo's current scaling settings but keeps its count: its policy
     * owns it (after a restart the LLM endpoint may be at zero until the first request wakes it).
     */
    @SuppressWarnings("unchecked")
    private void ensureEndpoint(String name, String spec) {
        Map<String, Object> wanted;
        try {
            wanted = JSON.readValue(spec, Map.class);
        } catch (JsonProcessingException bad) {
            throw new IllegalStateException("the demo's endpoint spec is not JSON", bad);
        }
        try {
            api.get("/api/v1/endpoints/" + name, Map.of());
        } catch (CliException e) {
            if (e.exitCode() != CliException.NOT_FOUND) {
                throw e;
            }
            api.post("/api/v1/endpoints", wanted);
            return;
        }
        Map<String, Object> settings = new java.util.LinkedHashMap<>(wanted);
        settings.keySet().retainAll(UPDATABLE);
        api.patch("/api/v1/endpoints/" + name, settings);
    }

    /**
     * Waits until each endpoint that wants workers has a ready one (an endpoint its policy has
     * scaled to zero wants none); false when {@code timeout} passed first.
     */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (serving(LLM) && serving(EMBEDDINGS)) {
                return true;
            }
            Thread.sleep(250);
        }
        return false;
    }

    /** One read: the endpoint's view carries its live workers. */
    private boolean serving(String endpoint) {
        JsonNode e = api.get("/api/v1/endpoints/" + endpoint, Map.of());
        return e.path("desired_workers").asInt() == 0 || ready(e.path("workers")) > 0;
    }

    int readyWorkers(String endpoint) {
        return ready(api.get("/api/v1/endpoints/" + endpoint + "/workers", Map.of()).path("workers"));
    }

    private static int ready(JsonNode workers) {
        int n = 0;
        for (JsonNode w : workers) {
            if (w.path("state").asText().equals("ready")) {
                n++;
            }
        }
        return n;
    }

    /** Stops the agents, which stop their workers' processes, and waits for them. */
    @Override
    public void close() {
        stop.countDown();
        for (Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        api.close();
    }
}
