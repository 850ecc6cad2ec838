package dev.flotilla.agent;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * One model server the agent runs as a child process on its own port. Made and launched by
 * {@link Supervisor#start}; from then on four threads (virtual, all blocking code, none on an
 * event loop) look after it: two copy stdout and stderr into the {@link LogBuffer} and watch for
 * the ready line, one takes it from STARTING to READY (ready line, then {@code GET healthPath}
 * until 200, all within the startup timeout) and then reads {@code GET /load} while it is READY,
 * and one waits for the process to exit and records why (STOPPED after a stop, otherwise FAILED
 * with the exit code and the last log lines) before giving the port back.
 */
public final class BackendProcess {
    /** How many log lines a failure reason quotes. */
    public static final int REASON_LINES = 20;
    static final String AGENT_PREFIX = "[flotilla-agent] ";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final BackendTemplate template;
    private final int port;
    private final List<String> argv;
    private final Map<String, String> env;
    private final SupervisorConfig config;
    private final InstantSource clock;
    private final WebClient web;
    private final ThreadFactory threads;
    private final Runnable onExit;
    private final LogBuffer logs;
    private final Optional<Pattern> readyPattern;

    private final List<StateChange> history = new ArrayList<>();
    private BackendState state;
    private Process process;
    private final CompletableFuture<Void> readyLine = new CompletableFuture<>();
    private final CompletableFuture<BackendState> settled = new CompletableFuture<>();
    private final CompletableFuture<BackendState> finished = new CompletableFuture<>();
    private final CountDownLatch readersDone = new CountDownLatch(2);
    private volatile BackendLoad load;
    private volatile boolean loadOffered;

    BackendProcess(String id, BackendTemplate template, int port, List<String> argv, Map<String, String> env,
            SupervisorConfig config, InstantSource clock, WebClient web, ThreadFactory threads, Runnable onExit) {
        this.id = requireNonNull(id, "id is null");
        this.template = requireNonNull(template, "template is null");
        this.port = port;
        this.argv = List.copyOf(argv);
        this.env = Map.copyOf(env);
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.web = requireNonNull(web, "web is null");
        this.threads = requireNonNull(threads, "threads is null");
        this.onExit = requireNonNull(onExit, "onExit is null");
        this.logs = new LogBuffer(config.logLines());
        this.readyPattern = template.readyPattern();
        this.loadOffered = template.load().isPresent();
        this.state = BackendState.STARTING;
        history.add(new StateChange(BackendState.STARTING, "launching " + String.join(" ", argv) + " on port " + port,
                clock.instant()));
    }

    /** Starts the process and the threads that watch it; a process that cannot start ends FAILED. */
    void launch() {
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().putAll(env);
        try {
            process = builder.start();
        } catch (IOException | RuntimeException e) {
            transition(BackendState.FAILED, "cannot start " + argv.getFirst() + ": " + e.getMessage());
            onExit.run();
            finished.complete(BackendState.FAILED);
            return;
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            logs.append(AGENT_PREFIX + "could not close the backend's stdin: " + e.getMessage());
        }
        threads.newThread(() -> copy(process.getInputStream())).start();
        threads.newThread(() -> copy(process.getErrorStream())).start();
        threads.newThread(this::watchExit).start();
        threads.newThread(this::startUp).start();
    }

    public String id() {
        return id;
    }

    public BackendTemplate template() {
        return template;
    }

    /** The port the backend was told to listen on. */
    public int port() {
        return port;
    }

    /** The command line it runs, after substitution. */
    public List<String> argv() {
        return argv;
    }

    /** The operating system's process id, once started. */
    public synchronized Optional<Long> pid() {
        return process == null ? Optional.empty() : Optional.of(process.pid());
    }

    public synchronized BackendState state() {
        return state;
    }

    /** Why it is in its current state. */
    public synchronized String reason() {
        return history.getLast().reason();
    }

    /** Every transition so far, oldest first. */
    public synchronized List<StateChange> history() {
        return List.copyOf(history);
    }

    /** The log lines kept (stdout and stderr as they arrived, plus the agent's own lines), oldest first. */
    public List<String> logs() {
        return logs.lines();
    }

    /** The last {@code n} log lines. */
    public List<String> logTail(int n) {
        return logs.tail(n);
    }

    /** Up to {@code max} log lines from position {@code from} on; see {@link LogBuffer#since}. */
    public LogBuffer.Slice logsSince(long from, int max) {
        return logs.since(from, max);
    }

    /** Adds one of the agent's own lines (prefixed {@code [flotilla-agent]}) to the backend's log. */
    public void note(String line) {
        logs.append(AGENT_PREFIX + requireNonNull(line, "line is null"));
    }

    /** The latest {@code /load} report read, if the backend offers one and one has been read. */
    public Optional<BackendLoad> load() {
        return Optional.ofNullable(load);
    }

    /**
     * Blocks until the backend leaves STARTING (READY or FAILED, or STOPPING/STOPPED when stopped
     * first) or the wait ends; returns the state then.
     */
    public BackendState awaitStarted(Duration wait) throws InterruptedException {
        try {
            return settled.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return state();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Blocks until the process has exited and its port is released (or the wait ends); returns the state then. */
    public BackendState awaitExit(Duration wait) throws InterruptedException {
        try {
            return finished.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return state();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Reads {@code GET /load} now (blocking; call it off any event loop) and keeps the answer.
     * Empty when the template has no load path, when the backend answered 404 once (it does not
     * offer one; the agent stops asking), or when no answer has been read yet.
     */
    public Optional<BackendLoad> pollLoad() {
        Optional<String> path = template.load();
        if (path.isEmpty() || !loadOffered) {
            return Optional.empty();
        }
        try {
            HttpResponse<Buffer> response = get(path.get());
            if (response.statusCode() == 404) {
                loadOffered = false;
                logs.append(AGENT_PREFIX + "GET " + path.get() + " answered 404; not reading load from this backend");
            } else if (response.statusCode() == 200) {
                JsonNode body = JSON.readTree(response.bodyAsString());
                load = new BackendLoad(body.path("running").asInt(), body.path("waiting").asInt(),
                        body.path("kv_cache_utilization").asDouble(), body.path("tokens_per_second").asDouble(),
                        clock.instant());
            }
        } catch (IOException | ExecutionException | RuntimeException e) {
            // A missed load reading is not a failure: health is judged by the exit watcher and the router.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return load();
    }

    /**
     * Stops the backend: SIGTERM, then SIGKILL (to it and its descendants) if it has not exited
     * within the grace period. Blocks until it has exited; returns the final state (STOPPED, or
     * FAILED if it had already failed).
     */
    public BackendState stop(String why) throws InterruptedException {
        Process p;
        synchronized (this) {
            if (state.isFinal() && (process == null || !process.isAlive())) {
                return state;
            }
            if (state == BackendState.STARTING || state == BackendState.READY) {
                transition(BackendState.STOPPING, why);
            }
            p = process;
        }
        terminate(p);
        try {
            return finished.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private void terminate(Process p) throws InterruptedException {
        if (p == null || !p.isAlive()) {
            return;
        }
        List<ProcessHandle> descendants = p.descendants().toList();
        p.destroy();
        if (!p.waitFor(config.stopGrace().toMillis(), TimeUnit.MILLISECONDS)) {
            logs.append(AGENT_PREFIX + "still running " + config.stopGrace() + " after SIGTERM; sending SIGKILL");
            p.destroyForcibly();
            p.waitFor();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private void copy(InputStream stream) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                logs.append(line);
                if (!readyLine.isDone() && readyPattern.isPresent() && readyPattern.get().matcher(line).find()) {
                    readyLine.complete(null);
                }
            }
        } catch (IOException e) {
            // The stream closes when the process dies; nothing more to read.
        } finally {
            readersDone.countDown();
        }
    }

    private void watchExit() {
        int code;
        try {
            code = process.waitFor();
            // Let the readers drain what the process printed last, so a failure can quote it.
            readersDone.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        BackendState end;
        synchronized (this) {
            if (state == BackendState.STOPPING) {
                transition(BackendState.STOPPED, "exited with code " + code + " after stop");
            } else if (!state.isFinal()) {
                transition(BackendState.FAILED, "exited unexpectedly with code " + code + lastLines());
            }
            end = state;
        }
        onExit.run();
        finished.complete(end);
    }

    private void startUp() {
        Instant deadline = clock.instant().plus(config.startupTimeout());
        try {
            if (readyPattern.isPresent()) {
                CompletableFuture.anyOf(readyLine, process.onExit())
                        .get(remaining(deadline).toMillis(), TimeUnit.MILLISECONDS);
                if (!readyLine.isDone()) {
                    return; // exited first: the exit watcher says why
                }
            }
            String last = "no answer yet";
            while (state() == BackendState.STARTING) {
                try {
                    HttpResponse<Buffer> response = get(template.healthPath());
                    if (response.statusCode() == 200) {
                        Duration took = Duration.between(history().getFirst().at(), clock.instant());
                        if (transitionIf(BackendState.STARTING, BackendState.READY, "healthy: GET "
                                + template.healthPath() + " answered 200 after " + took)) {
                            pollLoadWhileReady();
                        }
                        return;
                    }
                    last = "HTTP " + response.statusCode();
                } catch (ExecutionException | RuntimeException e) {
                    last = String.valueOf(e.getCause() == null ? e : e.getCause());
                }
                if (!clock.instant().isBefore(deadline)) {
                    failStartup("not healthy within " + config.startupTimeout() + ": GET " + template.healthPath()
                            + " last answered " + last);
                    return;
                }
                try {
                    process.onExit().get(Math.min(config.healthInterval().toMillis(),
                            Math.max(1, remaining(deadline).toMillis())), TimeUnit.MILLISECONDS);
                    return; // exited while starting: the exit watcher says why
                } catch (TimeoutException e) {
                    // still running: check again
                }
            }
        } catch (TimeoutException e) {
            failStartup("no line matching /" + template.readySignal() + "/ within " + config.startupTimeout());
        } catch (ExecutionException e) {
            failStartup("startup check failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void pollLoadWhileReady() throws InterruptedException {
        while (loadOffered && state() == BackendState.READY) {
            pollLoad();
            try {
                finished.get(config.loadInterval().toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                // still running: read again
            } catch (ExecutionException e) {
                return;
            }
        }
    }

    private void failStartup(String why) {
        Process p;
        synchronized (this) {
            if (!transitionIf(BackendState.STARTING, BackendState.FAILED, why + lastLines())) {
                return;
            }
            p = process;
        }
        try {
            terminate(p);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private HttpResponse<Buffer> get(String path) throws InterruptedException, ExecutionException {
        try {
            return web.get(port, "127.0.0.1", path).timeout(config.requestTimeout().toMillis()).send()
                    .toCompletionStage().toCompletableFuture()
                    .get(config.requestTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ExecutionException("GET " + path + " timed out", e);
        }
    }

    private Duration remaining(Instant deadline) {
        Duration left = Duration.between(clock.instant(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }

    private String lastLines() {
        List<String> tail = logs.tail(REASON_LINES);
        return tail.isEmpty() ? "; it printed nothing" : "; last lines:\n" + String.join("\n", tail);
    }

    private synchronized boolean transitionIf(BackendState from, BackendState to, String why) {
        if (state != from) {
            return false;
        }
        transition(to, why);
        return true;
    }

    private synchronized void transition(BackendState to, String why) {
        state = to;
        history.add(new StateChange(to, why, clock.instant()));
        logs.append(AGENT_PREFIX + to + ": " + why.lines().findFirst().orElse(""));
        if (to != BackendState.STARTING) {
            settled.complete(to);
        }
    }

    @Override
    public String toString() {
        return "backend " + id + " (" + template.name() + " on port " + port + ", " + state() + ")";
    }
}
