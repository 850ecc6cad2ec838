package dev.flotilla.server;

import dev.flotilla.gateway.Gateway;
import dev.flotilla.gateway.GatewayConfig;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.routing.RateLimit;
import dev.flotilla.server.serving.Autoscaler;
import dev.flotilla.server.serving.Lease;
import dev.flotilla.server.serving.LoadRecorder;
import dev.flotilla.server.serving.Reconciler;
import dev.flotilla.server.serving.ServingDirectory;
import dev.flotilla.server.serving.ServingService;
import dev.flotilla.server.serving.TenantKeys;
import dev.flotilla.server.serving.UsageWriter;
import dev.flotilla.server.serving.WorkerKeys;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.server.http.ApiServer;
import dev.flotilla.server.market.MarketService;
import dev.flotilla.store.Database;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane process: database, marketplace service, HTTP API, the OpenAI-compatible
 * gateway and the periodic jobs (metering, reconciling workers, refreshing the gateway's view),
 * wired together. All executors are made here: one virtual-thread executor for blocking work (every
 * thread logs uncaught exceptions) and the Vert.x event loops.
 *
 * <pre>
 *   try (FlotillaServer s = FlotillaServer.start(config, InstantSource.system())) {
 *       System.out.println(s.url());
 *   }
 * </pre>
 */
public final class FlotillaServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FlotillaServer.class);
    /** How stale the gateway's view of workers may get when another replica changed them. */
    private static final Duration DIRECTORY_REFRESH = Duration.ofMillis(250);
    private static final Duration KEYS_REFRESH = Duration.ofSeconds(1);
    private static final Duration USAGE_FLUSH = Duration.ofMillis(200);

    private final Database db;
    private final Vertx vertx;
    private final ExecutorService blocking;
    private final MarketService market;
    private final ApiServer api;
    private final FlotillaConfig config;
    private final int port;
    private final List<Long> timers = new ArrayList<>();
    private final Optional<String> newAdminKey;
    private final ServingService serving;
    private final Reconciler reconciler;
    private final ServingDirectory directory;
    private final TenantKeys tenantKeys;
    private final UsageWriter usage;
    private final Optional<Gateway> gateway;
    private final AtomicBoolean reconcileKick = new AtomicBoolean();
    private final AtomicBoolean autoscaleKick = new AtomicBoolean();
    private final Lease reconcileLease;
    private final Autoscaler autoscaler;
    private final Optional<LoadRecorder> loadRecorder;
    private volatile boolean autoscaling;

    private FlotillaServer(FlotillaConfig config, InstantSource clock, Database db) {
        this.config = config;
        this.db = db;
        this.blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("flotilla-", 0)
                .uncaughtExceptionHandler((t, e) -> LOG.error("uncaught on {}", t.getName(), e)).factory());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.market = new MarketService(db, clock, config, GpuCatalog.defaultCatalog(), registry);
        this.newAdminKey = market.ensureAdmin().map(MarketService.Created::apiKey);
        WorkerKeys keys = WorkerKeys.load(db, InstantSource.system());
        this.serving = new ServingService(db, clock, market, keys);
        this.reconciler = new Reconciler(db, clock, market, serving, config.heartbeatTimeout(), config.workerStartTimeout(),
                config.drainTimeout());
        // Replicas on one database share the reconciling: only the holder of this lease acts.
        String replica = replicaId();
        this.reconcileLease = new Lease(db, clock, "reconciler", replica,
                Duration.ofSeconds(Math.max(10, config.reconcileInterval().toSeconds() * 5)));
        this.autoscaler = new Autoscaler(db, clock, config.autoscaleInterval(), endpointId -> serving.changed(endpointId),
                registry);
        this.directory = new ServingDirectory(db, config.maxQueueLength());
        this.tenantKeys = new TenantKeys(db);
        this.usage = new UsageWriter(db, clock, directory);
        directory.refresh();
        tenantKeys.refresh();
        market.onKeysChanged(tenantKeys::refresh);
        // The gateway's view is refreshed before the change's API call answers, so a client that saw
        // "ready" (or a new endpoint) can call it at once; reconciling may take longer and runs apart.
        serving.onChange(endpointId -> {
            directory.refresh();
            kickReconcile();
        });
        this.vertx = Vertx.vertx();
        this.api = new ApiServer(vertx, market, serving, config, registry, blocking);
        this.port = api.start();
        // The gateway times queues and signs tokens on the wall clock: both are about real waits.
        this.gateway = config.gatewayPort() < 0 ? Optional.empty() : Optional.of(Gateway.start(
                GatewayConfig.defaults().withPort(config.gatewayPort()).withRateLimits(
                        RateLimit.perMinute(config.requestsPerMinute(), config.tokensPerMinute()), Map.of())
                        .withRegion(config.gatewayRegion()).withHost(config.httpHost()),
                tenantKeys, directory, usage, keys,
                InstantSource.system()));
        this.loadRecorder = gateway.map(g -> new LoadRecorder(db, clock, replica, g::load));
        // A request waiting at an endpoint with no ready worker wakes the autoscaler at once.
        gateway.ifPresent(g -> g.onColdStart(endpointId -> kickAutoscale()));
        every(config.meterInterval(), "metering", market::meterAll);
        every(config.reconcileInterval(), "reconcile", this::reconcileIfLeader);
        every(config.autoscaleInterval(), "autoscale", this::autoscale);
        every(DIRECTORY_REFRESH, "gateway directory refresh", directory::refresh);
        every(KEYS_REFRESH, "gateway key refresh", tenantKeys::refresh);
        every(USAGE_FLUSH, "usage flush", usage::flush);
    }

    /** Runs {@code job} every {@code interval} on a virtual thread; a pass slower than the interval is skipped, not stacked. */
    private void every(Duration interval, String name, Runnable job) {
        AtomicBoolean running = new AtomicBoolean();
        timers.add(vertx.setPeriodic(interval.toMillis(), id -> {
            if (!running.compareAndSet(false, true)) {
                return;
            }
            blocking.execute(() -> {
                try {
                    logFailure(name, job);
                } finally {
                    running.set(false);
                }
            });
        }));
    }

    /** Runs a periodic job; a failure is logged, since the next interval retries it. */
    private static void logFailure(String name, Runnable job) {
        try {
            job.run();
        } catch (RuntimeException e) {
            LOG.error("{} failed; it is retried at the next interval", name, e);
        }
    }

    private void reconcileIfLeader() {
        if (reconcileLease.acquire()) {
            reconciler.reconcile();
        }
    }

    /**
     * Every replica writes its gateway's load; the lease holder (the one that reconciles) also
     * decides. The same lease for both jobs: the replica that sets the desired counts is the one
     * that acts on them.
     */
    private synchronized List<Autoscaler.Outcome> autoscale() {
        loadRecorder.ifPresent(LoadRecorder::record);
        if (!reconcileLease.acquire()) {
            if (autoscaling) {
                autoscaler.reset();
                autoscaling = false;
            }
            return List.of();
        }
        autoscaling = true;
        return autoscaler.tick();
    }

    private static String replicaId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown-host";
        }
        return host + ":" + ProcessHandle.current().pid() + ":" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }

    /** Runs an autoscaling pass soon (a cold start), without waiting for the timer; at most one queued. */
    private void kickAutoscale() {
        if (autoscaleKick.compareAndSet(false, true)) {
            blocking.execute(() -> {
                autoscaleKick.set(false);
                logFailure("autoscale", this::autoscale);
            });
        }
    }

    /** Runs a reconcile pass soon (after a scale), without waiting for the timer; at most one queued. */
    private void kickReconcile() {
        if (reconcileKick.compareAndSet(false, true)) {
            blocking.execute(() -> {
                reconcileKick.set(false);
                logFailure("reconcile", this::reconcileIfLeader);
            });
        }
    }

    /** Starts on the configured database, creating the data directory for the embedded one. */
    public static FlotillaServer start(FlotillaConfig config, InstantSource clock) {
        if (config.embeddedDatabase()) {
            try {
                Files.createDirectories(config.dataDir());
            } catch (IOException e) {
                throw new IllegalStateException("cannot create data directory " + config.dataDir() + ": " + e.getMessage(), e);
            }
        }
        Database db = new Database(config.dbUrl(), config.dbUser(), config.dbPassword(), null, config.dbPoolSize());
        return new FlotillaServer(config, clock, db);
    }

    /** Starts on an already-open database (tests). */
    public static FlotillaServer start(FlotillaConfig config, InstantSource clock, Database db) {
        return new FlotillaServer(config, clock, db);
    }

    public String url() {
        String host = config.httpHost().equals("0.0.0.0") ? "127.0.0.1" : config.httpHost();
        return "http://" + host + ":" + port;
    }

    public int port() {
        return port;
    }

    public MarketService market() {
        return market;
    }

    public ServingService serving() {
        return serving;
    }

    /** Runs one reconcile pass now (tests drive it directly instead of waiting for the timer). */
    public Reconciler.Pass reconcile() {
        return reconciler.reconcile();
    }

    /** Runs one autoscaling pass now: records this replica's load, then decides if it holds the lease (tests). */
    public List<Autoscaler.Outcome> autoscaleNow() {
        return autoscale();
    }

    /** The OpenAI-compatible gateway's base URL ({@code .../v1}), when one runs. */
    public Optional<String> openAiUrl() {
        String host = config.httpHost().equals("0.0.0.0") ? "127.0.0.1" : config.httpHost();
        return gateway.map(g -> "http://" + host + ":" + g.port() + "/v1");
    }

    /** Writes queued usage now (tests read usage right after a request). */
    public int flushUsage() {
        return usage.flush();
    }

    /** The admin key minted at this start, present only on the first start of a database. */
    public Optional<String> newAdminKey() {
        return newAdminKey;
    }

    /** Writes the admin key to {@code <data-dir>/admin-key} readable by the owner only. */
    public Optional<Path> saveAdminKey() {
        if (newAdminKey.isEmpty()) {
            return Optional.empty();
        }
        try {
            Files.createDirectories(config.dataDir());
            Path f = config.dataDir().resolve("admin-key");
            Files.writeString(f, newAdminKey.get() + "\n");
            try {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                LOG.warn("cannot restrict permissions of {}", f);
            }
            return Optional.of(f);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write admin key: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        timers.forEach(vertx::cancelTimer);
        gateway.ifPresent(Gateway::close);
        usage.flush();
        try {
            reconcileLease.release();
        } catch (RuntimeException e) {
            LOG.warn("could not release the reconciler lease; another replica takes it when it expires", e);
        }
        api.stop();
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        blocking.shutdown();
        try {
            blocking.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        db.close();
    }
}
