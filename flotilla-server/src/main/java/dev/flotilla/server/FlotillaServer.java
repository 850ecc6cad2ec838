package dev.flotilla.server;

import dev.flotilla.market.gpu.GpuCatalog;
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
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane process: database, marketplace service, HTTP API and the metering job, wired
 * together. All executors are made here: one virtual-thread executor for blocking work (every
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

    private final Database db;
    private final Vertx vertx;
    private final ExecutorService blocking;
    private final MarketService market;
    private final ApiServer api;
    private final FlotillaConfig config;
    private final int port;
    private final long meterTimer;
    private final Optional<String> newAdminKey;

    private FlotillaServer(FlotillaConfig config, InstantSource clock, Database db) {
        this.config = config;
        this.db = db;
        this.blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("flotilla-", 0)
                .uncaughtExceptionHandler((t, e) -> LOG.error("uncaught on {}", t.getName(), e)).factory());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.market = new MarketService(db, clock, config, GpuCatalog.defaultCatalog(), registry);
        this.newAdminKey = market.ensureAdmin().map(MarketService.Created::apiKey);
        this.vertx = Vertx.vertx();
        this.api = new ApiServer(vertx, market, config, registry, blocking);
        this.port = api.start();
        // One pass at a time: a pass slower than the interval is skipped, not stacked.
        java.util.concurrent.atomic.AtomicBoolean metering = new java.util.concurrent.atomic.AtomicBoolean();
        this.meterTimer = vertx.setPeriodic(config.meterInterval().toMillis(), id -> {
            if (!metering.compareAndSet(false, true)) {
                return;
            }
            blocking.execute(() -> {
                try {
                    market.meterAll();
                } catch (RuntimeException e) {
                    LOG.error("metering pass failed; it is retried at the next interval", e);
                } finally {
                    metering.set(false);
                }
            });
        });
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
        vertx.cancelTimer(meterTimer);
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
