package dev.flotilla.agent.worker;

import static java.util.Objects.requireNonNull;

import dev.flotilla.agent.BackendLoad;
import dev.flotilla.agent.BackendProcess;
import dev.flotilla.agent.BackendState;
import dev.flotilla.agent.BackendTemplate;
import dev.flotilla.agent.BackendTemplates;
import dev.flotilla.agent.LaunchSpec;
import dev.flotilla.agent.LogBuffer;
import dev.flotilla.agent.PortAllocator;
import dev.flotilla.agent.Supervisor;
import dev.flotilla.agent.host.ControlPlaneClient;
import dev.flotilla.agent.host.ControlPlaneException;
import dev.flotilla.agent.host.ReportAnswer;
import dev.flotilla.agent.host.WorkerAssignment;
import dev.flotilla.agent.host.WorkerReport;
import dev.flotilla.core.FlotillaException;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the workers the control plane assigns to this agent's machine. Every {@code poll} it reads
 * {@code GET /api/v1/machines/{id}/workers} and reconciles:
 *
 * <ul>
 *   <li>a new worker with desired {@code run} is launched through the {@link Supervisor}
 *       (report {@code loading}); once healthy, a {@link WorkerProxy} is put in front of it
 *       (report {@code benchmarking} with the proxy's URL), the {@link CapacityBenchmark} runs
 *       against the backend's own port, and the worker is {@code ready} with the benchmark's
 *       figures. While it runs, every poll sends a load report (proxy in flight plus the
 *       backend's {@code /load}) with the log lines printed since the last report;
 *   <li>desired {@code stop}: the proxy drains (new requests get 503, in-flight ones finish, up to
 *       {@code drainTimeout}), then backend and proxy stop and the worker is reported
 *       {@code stopped};
 *   <li>a worker missing from the list is stopped at once, without a report (the control plane
 *       has already ended it); so is one whose report is answered 409;
 *   <li>a backend that dies, never becomes healthy, or fails its benchmark is reported
 *       {@code failed} with the reason (exit code and last log lines, or the health timeout).
 * </ul>
 *
 * <p>Each worker's life runs on its own virtual thread, so a slow start never holds up the poll or
 * the heartbeat (which has its own thread in {@code HostAgent}). Reports go out in order through a
 * per-worker queue: at once from the worker's thread, and again on the next poll if the control
 * plane could not be reached, so a failed call is only logged and retried. State is in memory only:
 * after a restart, listed workers are simply launched anew. Closing the runner stops every worker
 * without reporting, as a restarted agent would launch them again.
 *
 * <pre>{@code
 * try (WorkerRunner runner = WorkerRunner.start(client, agent.machineId(), supervisor, ports, vertx,
 *         WorkerRunnerConfig.defaults().withHosts("10.0.0.5", "0.0.0.0"), InstantSource.system())) {
 *     runner.workers();   // what runs, in which phase
 * }
 * }</pre>
 */
public final class WorkerRunner implements AutoCloseable {
    /** Where a worker is in its life on this agent. */
    public enum Phase {
        /** The backend is launched and loading. */
        STARTING,
        /** Healthy, proxied, being benchmarked. */
        BENCHMARKING,
        /** Serving through its proxy. */
        READY,
        /** Finishing the requests in flight before it stops. */
        DRAINING,
        STOPPED,
        FAILED
    }

    /** A snapshot of one worker. */
    public record WorkerStatus(String id, Phase phase, Optional<String> url, int inFlight) {
        public WorkerStatus {
            requireNonNull(id, "id is null");
            requireNonNull(phase, "phase is null");
            requireNonNull(url, "url is null");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(WorkerRunner.class);
    /** How often a worker's thread checks for a stop request or a dead backend. */
    private static final Duration TICK = Duration.ofMillis(100);
    private static final int PROXY_BIND_TRIES = 3;

    private final ControlPlaneClient client;
    private final long machineId;
    private final Supervisor supervisor;
    private final PortAllocator proxyPorts;
    private final Vertx vertx;
    private final WorkerRunnerConfig config;
    private final InstantSource clock;
    private final CapacityBenchmark benchmark;
    private final Map<String, Worker> workers = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final ThreadFactory threads = Thread.ofVirtual().name("flotilla-worker-", 0)
            .uncaughtExceptionHandler((thread, e) -> LOG.error("uncaught in {}", thread.getName(), e))
            .factory();
    private final AtomicReference<Optional<String>> lastPollError = new AtomicReference<>(Optional.empty());
    private final AtomicBoolean closed = new AtomicBoolean();

    private WorkerRunner(ControlPlaneClient client, long machineId, Supervisor supervisor, PortAllocator proxyPorts,
            Vertx vertx, WorkerRunnerConfig config, InstantSource clock) {
        this.client = requireNonNull(client, "client is null");
        this.machineId = machineId;
        this.supervisor = requireNonNull(supervisor, "supervisor is null");
        this.proxyPorts = requireNonNull(proxyPorts, "proxyPorts is null");
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.benchmark = new CapacityBenchmark(vertx, config.benchmark(), clock);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("flotilla-agent-workers-" + machineId).factory());
    }

    /**
     * Starts polling for the machine's workers every {@code config.poll()}, the first at once.
     * Backends run under {@code supervisor}; proxies take their ports from {@code proxyPorts} (the
     * supervisor's allocator can be shared). All stay the caller's to close, after this runner.
     */
    public static WorkerRunner start(ControlPlaneClient client, long machineId, Supervisor supervisor,
            PortAllocator proxyPorts, Vertx vertx, WorkerRunnerConfig config, InstantSource clock) {
        WorkerRunner runner = new WorkerRunner(client, machineId, supervisor, proxyPorts, vertx, config, clock);
        runner.scheduler.scheduleWithFixedDelay(runner::poll, 0, config.poll().toMillis(), TimeUnit.MILLISECONDS);
        return runner;
    }

    /** Why the last poll could not read the worker list, cleared by the next one that could. */
    public Optional<String> lastPollError() {
        return lastPollError.get();
    }

    /** The workers this agent knows of now, running or ended and still listed. */
    public List<WorkerStatus> workers() {
        return workers.values().stream().map(Worker::status).toList();
    }

    public Optional<WorkerStatus> worker(String id) {
        return Optional.ofNullable(workers.get(id)).map(Worker::status);
    }

    /**
     * One poll now: read the list, start, drain and stop workers to match it, send the reports due.
     * A failed call is logged and tried again on the next poll; this never throws.
     */
    public void poll() {
        if (closed.get()) {
            return;
        }
        try {
            List<WorkerAssignment> listed;
            try {
                listed = client.workers(machineId);
                if (lastPollError.getAndSet(Optional.empty()).isPresent()) {
                    LOG.info("the workers of machine {} can be read again", machineId);
                }
            } catch (RuntimeException e) {
                String why = e.getMessage() == null ? e.toString() : e.getMessage();
                if (lastPollError.getAndSet(Optional.of(why)).isEmpty()) {
                    LOG.warn("could not read the workers of machine {}: {}", machineId, why);
                }
                listed = null;
            }
            if (listed != null) {
                reconcile(listed);
            }
            for (Worker w : workers.values()) {
                flush(w, true);
            }
        } catch (RuntimeException e) {
            // the scheduler would stop on a thrown exception; the next poll tries again instead
            LOG.error("worker poll for machine {} failed", machineId, e);
        }
    }

    /** Stops polling and every worker (in parallel, without reports), and waits for them. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("a worker poll for machine {} did not finish within 30s of close", machineId);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Worker> all = List.copyOf(workers.values());
        all.forEach(w -> requestStop(w, StopMode.ABORT, "agent shutting down"));
        try {
            for (Worker w : all) {
                w.awaitEnd();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ reconciling

    private void reconcile(List<WorkerAssignment> listed) {
        Map<String, WorkerAssignment> byId = new LinkedHashMap<>();
        listed.forEach(a -> byId.put(a.id(), a));
        for (WorkerAssignment a : byId.values()) {
            Worker w = workers.get(a.id());
            if (w == null) {
                w = new Worker(a);
                workers.put(a.id(), w);
                if (a.desired() == WorkerAssignment.Desired.RUN) {
                    launch(w);
                } else {
                    w.end(Phase.STOPPED, Optional.of(WorkerReport.of(WorkerReport.State.STOPPED,
                            "not running on this agent, so there is nothing to drain")));
                }
                continue;
            }
            // An ended worker stays ended while it is listed (the list may predate its last report);
            // it is forgotten once the list leaves it out, and a worker id is never run twice.
            w.update(a);
            if (a.desired() == WorkerAssignment.Desired.STOP) {
                requestStop(w, StopMode.DRAIN, "the control plane asked to drain it");
            }
        }
        for (Worker w : List.copyOf(workers.values())) {
            if (byId.containsKey(w.id)) {
                continue;
            }
            if (w.ended()) {
                forget(w);
            } else {
                requestStop(w, StopMode.ABORT, "no longer assigned to this machine");
            }
        }
    }

    private void forget(Worker w) {
        workers.remove(w.id, w);
        try {
            supervisor.forget(w.id);
        } catch (FlotillaException e) {
            LOG.warn("worker {}: {}", w.id, e.getMessage());
        }
    }

    private void launch(Worker w) {
        Thread t = threads.newThread(() -> {
            try {
                run(w);
            } catch (InterruptedException e) {
                // Nothing interrupts these threads today; should something, the worker still must not outlive it.
                stopInBackground(w, "interrupted");
                w.end(Phase.STOPPED, Optional.empty());
            } catch (RuntimeException e) {
                LOG.error("worker {} failed in the agent", w.id, e);
                fail(w, "the agent failed while running it: " + e);
            } finally {
                w.lifecycleDone();
            }
        });
        w.lifecycle(t);
        t.start();
    }

    // ------------------------------------------------------------------ one worker's life

    private void run(Worker w) throws InterruptedException {
        WorkerAssignment a = w.assignment();
        BackendTemplate template;
        BackendProcess backend;
        try {
            template = BackendTemplates.of(a.backend());
            LaunchSpec spec = LaunchSpec.of(a.model(), a.gpu(), a.gpus()).withServedName(servedName(a))
                    .withExtraArgs(config.extraArgs().getOrDefault(template.name(), List.of()));
            backend = supervisor.start(a.id(), template, spec);
        } catch (FlotillaException e) {
            fail(w, "could not launch backend '" + a.backend() + "': " + e.getMessage());
            return;
        }
        if (!w.attach(backend)) {
            finishStop(w);
            return;
        }
        if (backend.state() == BackendState.FAILED) {
            fail(w, backend.reason());
            return;
        }
        report(w, WorkerReport.of(WorkerReport.State.LOADING, "launched " + template.name() + " for " + a.model()
                + " on port " + backend.port()));
        BackendState started = backend.awaitStarted(TICK);
        while (started == BackendState.STARTING && !w.stopRequested()) {
            started = backend.awaitStarted(TICK);
        }
        if (w.stopRequested()) {
            finishStop(w);
            return;
        }
        if (started != BackendState.READY) {
            fail(w, backend.reason());
            return;
        }
        String url;
        try {
            WorkerProxy proxy = startProxy(a, backend);
            url = "http://" + hostForUrl(config.advertiseHost()) + ":" + proxy.port();
            if (!w.attach(proxy, url)) {
                finishStop(w);
                return;
            }
        } catch (RuntimeException e) {
            fail(w, "could not start the worker's proxy on " + config.bindHost() + ": " + e.getMessage());
            return;
        }
        report(w, WorkerReport.of(WorkerReport.State.BENCHMARKING, backend.reason() + "; proxy at " + url).withUrl(url));
        if (a.knownCapacity().isPresent()) {
            // Resumed from a cold worker on this same rental: its measurement stands.
            WorkerAssignment.KnownCapacity k = a.knownCapacity().get();
            int capacity = (int) Math.max(1, Math.round(k.capacity()));
            String why = String.format(java.util.Locale.ROOT, "resumed from a cold worker on this rental: capacity %d"
                    + " concurrent requests (%.2f requests/s, %.1f tokens/s) from its benchmark", capacity,
                    k.requestsPerSecond(), k.tokensPerSecond());
            backend.note(why);
            if (!w.markReady()) {
                finishStop(w);
                return;
            }
            report(w, WorkerReport.of(WorkerReport.State.READY, why).withUrl(url)
                    .withCapacity(capacity, k.requestsPerSecond(), k.tokensPerSecond()));
            serve(w, backend);
            return;
        }
        BenchmarkResult result;
        try {
            result = benchmark.run(backend.port(), CapacityBenchmark.Workload.forTemplate(template.name()),
                    servedName(a));
        } catch (FlotillaException e) {
            if (w.stopRequested()) {
                finishStop(w);
                return;
            }
            // A backend that died under the benchmark says better why than the failed requests do.
            BackendState now = backend.awaitExit(Duration.ofMillis(500));
            fail(w, now == BackendState.FAILED ? backend.reason() : e.getMessage());
            return;
        }
        result.levels().forEach(level -> backend.note("benchmark " + level.describe()));
        backend.note("benchmark: " + result.describe());
        if (!w.markReady()) {
            finishStop(w);
            return;
        }
        report(w, WorkerReport.of(WorkerReport.State.READY, "benchmarked: " + result.describe()).withUrl(url)
                .withCapacity(result.capacity(), result.requestsPerSecond(), result.tokensPerSecond()));
        serve(w, backend);
    }

    /** A ready worker serves until it is asked to stop or its backend ends. */
    private void serve(Worker w, BackendProcess backend) throws InterruptedException {
        while (true) {
            if (w.awaitStopRequest(TICK)) {
                finishStop(w);
                return;
            }
            if (backend.state().isFinal()) {
                if (w.stopRequested()) {
                    finishStop(w);
                } else {
                    fail(w, backend.reason());
                }
                return;
            }
        }
    }

    /**
     * The name the backend answers to: the endpoint's, since that is the {@code model} clients send
     * and the gateway forwards their bodies unchanged (the model id where the endpoint has no name).
     */
    private static String servedName(WorkerAssignment a) {
        return a.endpoint().isBlank() ? a.model() : a.endpoint();
    }

    private WorkerProxy startProxy(WorkerAssignment a, BackendProcess backend) {
        RuntimeException last = null;
        for (int i = 0; i < PROXY_BIND_TRIES; i++) {
            int port = proxyPorts.allocate();
            try {
                return WorkerProxy.start(vertx, new WorkerProxy.Options(config.bindHost(), port, backend.port(),
                        a.endpointId(), a.id(), a.key()), clock);
            } catch (RuntimeException e) {
                // The allocator tests the port on loopback; the bind host may still hold it.
                proxyPorts.release(port);
                last = e;
            }
        }
        throw last;
    }

    /** Ends a worker on a stop request: a drain first where it serves and the control plane asked for one. */
    private void finishStop(Worker w) throws InterruptedException {
        String reason = w.stopWhy();
        WorkerProxy proxy = w.proxy();
        if (w.stopMode() == StopMode.DRAIN && proxy != null && w.startDraining()) {
            boolean drained = proxy.drain(config.drainTimeout());
            reason = drained
                    ? "drained: no request in flight, " + proxy.served() + " served"
                    : "drain timed out after " + config.drainTimeout().toSeconds() + " s with " + proxy.inFlight()
                            + " requests in flight; stopped anyway";
        }
        stopNow(w, reason);
        boolean tell = w.stopMode() == StopMode.DRAIN;
        w.end(Phase.STOPPED, tell ? Optional.of(WorkerReport.of(WorkerReport.State.STOPPED, reason)) : Optional.empty());
        if (tell) {
            flush(w, false);
        }
    }

    private void fail(Worker w, String reason) {
        LOG.warn("worker {} failed: {}", w.id, reason.lines().findFirst().orElse(reason));
        try {
            stopNow(w, "failed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        w.end(Phase.FAILED, Optional.of(WorkerReport.of(WorkerReport.State.FAILED, reason)));
        flush(w, false);
    }

    /** Closes the proxy (cutting what is in flight) and stops the backend; blocks until it has exited. */
    private void stopNow(Worker w, String why) throws InterruptedException {
        // One stop at a time per worker, so a second caller returns only once the first has finished.
        w.stopping.lockInterruptibly();
        try {
            WorkerProxy proxy = w.detachProxy();
            if (proxy != null) {
                try {
                    proxy.close();
                } finally {
                    proxyPorts.release(proxy.options().port());
                }
            }
            BackendProcess backend = w.backend();
            if (backend != null) {
                backend.stop(why);
            }
        } finally {
            w.stopping.unlock();
        }
    }

    private void requestStop(Worker w, StopMode mode, String why) {
        if (!w.requestStop(mode, why)) {
            return;
        }
        LOG.info("worker {}: stopping ({}): {}", w.id, mode == StopMode.DRAIN ? "drain" : "at once", why);
        if (mode == StopMode.ABORT || !w.serving()) {
            // Nothing to drain (or no time to): cut it now, from here, so a start or a benchmark in
            // progress fails fast; the worker's own thread then sees the request and ends it.
            stopInBackground(w, why);
        }
    }

    private void stopInBackground(Worker w, String why) {
        threads.newThread(() -> {
            try {
                stopNow(w, why);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).start();
    }

    // ------------------------------------------------------------------ reports

    private void report(Worker w, WorkerReport report) {
        if (w.enqueue(report)) {
            flush(w, false);
        }
    }

    /** Sends the worker's queued reports in order, then (on a poll, while it serves) a load report. */
    private void flush(Worker w, boolean withLoad) {
        w.sending.lock();
        try {
            WorkerReport next;
            while ((next = w.peek()) != null) {
                LogBuffer.Slice logs = w.newLogs(config.logLinesPerReport());
                Sent sent = send(w, next.withLog(lines(logs)));
                if (sent == Sent.LATER) {
                    return;
                }
                w.sent(logs.next());
                if (sent == Sent.STOP) {
                    requestStop(w, StopMode.DRAIN, "the control plane asked to drain it");
                }
            }
            if (withLoad && w.phase() == Phase.READY && !w.stopRequested()) {
                WorkerProxy proxy = w.proxy();
                BackendProcess backend = w.backend();
                if (proxy == null || backend == null) {
                    return;
                }
                LogBuffer.Slice logs = w.newLogs(config.logLinesPerReport());
                // Read /load now: the supervisor's last reading may predate the benchmark's end by a second.
                WorkerReport load = WorkerReport.of(WorkerReport.State.READY, "serving")
                        .withLoad(load(proxy.inFlight(), backend.pollLoad())).withLog(lines(logs));
                Sent sent = send(w, load);
                if (sent != Sent.LATER) {
                    w.loadSent(logs.next());
                }
                if (sent == Sent.STOP) {
                    requestStop(w, StopMode.DRAIN, "the control plane asked to drain it");
                }
            }
        } finally {
            w.sending.unlock();
        }
    }

    /** What became of a report. */
    private enum Sent {
        /** Taken (or refused for good): the next one may follow. */
        DONE,
        /** Taken, and the control plane wants the worker drained. */
        STOP,
        /** Not taken this time (no answer, or a refusal worth retrying): it goes again on the next poll. */
        LATER
    }

    private Sent send(Worker w, WorkerReport report) {
        ReportAnswer answer;
        try {
            answer = client.report(w.id, report);
        } catch (ControlPlaneException e) {
            int status = e.status();
            if (status == 409 || status == 404) {
                // The control plane has ended this worker (failed, preempted, deleted) or no longer
                // knows it: stop it, say nothing more.
                w.dropReports();
                requestStop(w, StopMode.ABORT, "the control plane ended it: " + e.getMessage());
                return Sent.LATER;
            }
            if (status >= 400 && status < 500 && status != 408 && status != 429) {
                // Refused as it stands: sending it again would be refused again and hold up the rest.
                LOG.error("the control plane refused the {} report of worker {}; dropping it: {} ({})",
                        report.state().wireName(), w.id, e.getMessage(), e.code());
                return Sent.DONE;
            }
            if (!w.reportFailing.getAndSet(true)) {
                LOG.warn("could not report {} for worker {}: {}", report.state().wireName(), w.id, e.getMessage());
            }
            return Sent.LATER;
        }
        if (w.reportFailing.getAndSet(false)) {
            LOG.info("reports for worker {} accepted again", w.id);
        }
        return answer.wantsStop() ? Sent.STOP : Sent.DONE;
    }

    private static WorkerReport.Load load(int inFlight, Optional<BackendLoad> backend) {
        if (backend.isEmpty()) {
            return WorkerReport.Load.inFlight(inFlight);
        }
        BackendLoad b = backend.get();
        return new WorkerReport.Load(inFlight, OptionalInt.of(b.running()), OptionalInt.of(b.waiting()),
                OptionalDouble.of(b.kvCacheUtilization()), OptionalDouble.of(b.tokensPerSecond()));
    }

    private static List<String> lines(LogBuffer.Slice slice) {
        if (slice.dropped() == 0) {
            return slice.lines();
        }
        List<String> out = new ArrayList<>(slice.lines().size() + 1);
        out.add("[flotilla-agent] " + slice.dropped() + " log lines were dropped before they could be reported");
        out.addAll(slice.lines());
        return out;
    }

    private static String hostForUrl(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    // ------------------------------------------------------------------ state of one worker

    private enum StopMode {
        NONE,
        DRAIN,
        ABORT
    }

    /**
     * One worker's state, shared by its own thread, the poll and stop requests; every field is
     * guarded by the object's monitor, {@link #sending} keeps its reports in order and
     * {@link #stopping} makes concurrent stops wait for each other.
     */
    private static final class Worker {
        final String id;
        final ReentrantLock sending = new ReentrantLock();
        final ReentrantLock stopping = new ReentrantLock();
        final AtomicBoolean reportFailing = new AtomicBoolean();
        private final CountDownLatch stopRequested = new CountDownLatch(1);
        private final CountDownLatch done = new CountDownLatch(1);
        private final Deque<WorkerReport> outbox = new ArrayDeque<>();
        private WorkerAssignment assignment;
        private Phase phase = Phase.STARTING;
        private StopMode stop = StopMode.NONE;
        private String stopWhy = "";
        private BackendProcess backend;
        private WorkerProxy proxy;
        private String url;
        private Thread lifecycle;
        private boolean ended;
        private long logCursor;

        Worker(WorkerAssignment assignment) {
            this.id = assignment.id();
            this.assignment = assignment;
        }

        synchronized WorkerAssignment assignment() {
            return assignment;
        }

        synchronized void update(WorkerAssignment a) {
            assignment = a;
        }

        synchronized Phase phase() {
            return phase;
        }

        synchronized BackendProcess backend() {
            return backend;
        }

        synchronized WorkerProxy proxy() {
            return proxy;
        }

        synchronized void lifecycle(Thread t) {
            lifecycle = t;
        }

        void lifecycleDone() {
            done.countDown();
        }

        /** Waits for the worker's own thread to finish (at once for a worker that never had one). */
        void awaitEnd() throws InterruptedException {
            Thread t;
            synchronized (this) {
                t = lifecycle;
            }
            if (t != null) {
                done.await();
            }
        }

        /** Keeps the backend; false when a stop was requested meanwhile (it is kept all the same, to be stopped). */
        synchronized boolean attach(BackendProcess b) {
            backend = b;
            return stop == StopMode.NONE;
        }

        synchronized boolean attach(WorkerProxy p, String proxyUrl) {
            proxy = p;
            url = proxyUrl;
            phase = Phase.BENCHMARKING;
            return stop == StopMode.NONE;
        }

        synchronized WorkerProxy detachProxy() {
            WorkerProxy p = proxy;
            proxy = null;
            return p;
        }

        synchronized boolean markReady() {
            if (stop != StopMode.NONE) {
                return false;
            }
            phase = Phase.READY;
            return true;
        }

        synchronized boolean serving() {
            return phase == Phase.READY;
        }

        synchronized boolean startDraining() {
            if (phase != Phase.READY) {
                return false;
            }
            phase = Phase.DRAINING;
            return true;
        }

        /** Records a stop request; false when it changes nothing (ended, or as strong a request already made). */
        synchronized boolean requestStop(StopMode mode, String why) {
            if (ended || mode.compareTo(stop) <= 0) {
                return false;
            }
            stop = mode;
            stopWhy = why;
            stopRequested.countDown();
            return true;
        }

        synchronized boolean stopRequested() {
            return stop != StopMode.NONE;
        }

        synchronized StopMode stopMode() {
            return stop;
        }

        synchronized String stopWhy() {
            return stopWhy;
        }

        boolean awaitStopRequest(Duration wait) throws InterruptedException {
            return stopRequested.await(wait.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** The final state; {@code report} is queued last, and nothing after it. */
        synchronized void end(Phase finalPhase, Optional<WorkerReport> report) {
            if (ended) {
                return;
            }
            ended = true;
            phase = finalPhase;
            report.ifPresent(outbox::addLast);
        }

        synchronized boolean ended() {
            return ended;
        }

        synchronized boolean enqueue(WorkerReport report) {
            if (ended) {
                return false;
            }
            outbox.addLast(report);
            return true;
        }

        synchronized WorkerReport peek() {
            return outbox.peekFirst();
        }

        /** The head of the queue went out, with the log up to {@code cursor}. */
        synchronized void sent(long cursor) {
            outbox.pollFirst();
            logCursor = Math.max(logCursor, cursor);
        }

        synchronized void loadSent(long cursor) {
            logCursor = Math.max(logCursor, cursor);
        }

        synchronized void dropReports() {
            outbox.clear();
        }

        synchronized LogBuffer.Slice newLogs(int max) {
            return backend == null ? new LogBuffer.Slice(List.of(), 0, logCursor) : backend.logsSince(logCursor, max);
        }

        synchronized WorkerStatus status() {
            return new WorkerStatus(id, phase, Optional.ofNullable(url), proxy == null ? 0 : proxy.inFlight());
        }
    }
}
