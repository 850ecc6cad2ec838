package dev.flotilla.agent;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the backends of one agent: allocates each a port, fills its template, launches it and
 * keeps it by id until it is forgotten (a failed backend stays, so its logs can still be read).
 * All its threads are virtual and made here, with one uncaught-exception handler.
 *
 * <pre>{@code
 * try (Supervisor supervisor = new Supervisor(vertx, new PortAllocator(20000, 20999),
 *         SupervisorConfig.defaults(), InstantSource.system(), Supervisor.currentJava(), classpath)) {
 *     BackendProcess b = supervisor.start("w1", BackendTemplates.of("vllm"),
 *             LaunchSpec.of("meta-llama/Llama-3.1-8B-Instruct", "H100_SXM", List.of(0, 1)));
 *     b.awaitStarted(Duration.ofMinutes(10));
 * }
 * }</pre>
 */
public final class Supervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    private final PortAllocator ports;
    private final SupervisorConfig config;
    private final InstantSource clock;
    private final String java;
    private final String classpath;
    private final WebClient web;
    private final ThreadFactory threads = Thread.ofVirtual().name("flotilla-agent-backend-", 0)
            .uncaughtExceptionHandler((thread, e) -> LOG.error("uncaught in {}", thread.getName(), e))
            .factory();
    private final Map<String, BackendProcess> backends = new LinkedHashMap<>();

    /**
     * @param java the java launcher for built-in templates ({@link #currentJava()})
     * @param classpath the class path for built-in templates (the agent's own)
     */
    public Supervisor(Vertx vertx, PortAllocator ports, SupervisorConfig config, InstantSource clock, String java,
            String classpath) {
        this.ports = requireNonNull(ports, "ports is null");
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.java = requireNonNull(java, "java is null");
        this.classpath = requireNonNull(classpath, "classpath is null");
        // No keep-alive: a pooled connection to a backend that is then killed is reset, and Vert.x
        // reports that as an error; one local connection per health or load read costs nothing.
        this.web = WebClient.create(requireNonNull(vertx, "vertx is null"), new WebClientOptions().setKeepAlive(false));
    }

    /** The java launcher of the running JVM. */
    public static String currentJava() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> System.getProperty("java.home") + "/bin/java");
    }

    /**
     * Allocates a port and launches a backend; returns at once in STARTING (or FAILED when the
     * command could not be started). An id in use by a backend that has not ended is a CONFLICT.
     */
    public BackendProcess start(String id, BackendTemplate template, LaunchSpec spec) {
        requireNonNull(id, "id is null");
        requireNonNull(template, "template is null");
        requireNonNull(spec, "spec is null");
        synchronized (this) {
            BackendProcess existing = backends.get(id);
            if (existing != null && !existing.state().isFinal()) {
                throw new FlotillaException(ErrorCode.CONFLICT, "id", "backend " + id + " is already "
                        + existing.state() + " on port " + existing.port());
            }
        }
        int port = ports.allocate();
        BackendProcess backend;
        try {
            Map<String, String> values = BackendTemplate.values(spec, port, java, classpath);
            Map<String, String> env = new LinkedHashMap<>(template.environment(values));
            env.putAll(spec.env());
            backend = new BackendProcess(id, template, port, template.argv(values, spec.extraArgs()), env, config,
                    clock, web, threads, () -> ports.release(port));
        } catch (RuntimeException e) {
            ports.release(port);
            throw e;
        }
        synchronized (this) {
            backends.put(id, backend);
        }
        LOG.info("starting {}", backend);
        LOG.debug("{} runs {}", id, backend.argv());
        backend.launch();
        return backend;
    }

    public synchronized Optional<BackendProcess> get(String id) {
        return Optional.ofNullable(backends.get(id));
    }

    /** All backends kept, in start order. */
    public synchronized List<BackendProcess> backends() {
        return List.copyOf(backends.values());
    }

    /** Stops a backend (blocking until it has exited); NOT_FOUND for an unknown id. */
    public BackendState stop(String id, String why) throws InterruptedException {
        BackendProcess backend = get(id).orElseThrow(() -> FlotillaException.notFound("backend", id));
        return backend.stop(why);
    }

    /** Drops an ended backend and its logs; a running one is a CONFLICT. */
    public synchronized void forget(String id) {
        BackendProcess backend = backends.get(id);
        if (backend != null && !backend.state().isFinal()) {
            throw new FlotillaException(ErrorCode.CONFLICT, "id", "backend " + id + " is " + backend.state()
                    + "; stop it first");
        }
        backends.remove(id);
    }

    /** Stops every backend, in parallel, and waits for them. */
    @Override
    public void close() {
        List<Thread> stopping = new ArrayList<>();
        for (BackendProcess backend : backends()) {
            Thread t = threads.newThread(() -> {
                try {
                    backend.stop("agent shutting down");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            stopping.add(t);
        }
        try {
            for (Thread t : stopping) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            web.close();
        }
    }
}
