package dev.flotilla.cli;

import dev.flotilla.server.FlotillaServer;
import dev.flotilla.server.config.FlotillaConfig;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Runs the control plane until interrupted. */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Run the control plane (embedded database by"
        + " default, PostgreSQL with --db-url).")
final class ServerCommand implements Callable<Integer> {
    @Mixin
    ServerOptions options;

    @Override
    public Integer call() throws InterruptedException {
        FlotillaConfig config = options.load(System.getenv(), Map.of());
        FlotillaServer server = FlotillaServer.start(config, InstantSource.system());
        System.out.println("Flotilla control plane listening on " + server.url());
        System.out.println("Database: " + (config.embeddedDatabase() ? "embedded H2 in " + config.dataDir() : config.dbUrl()));
        server.newAdminKey().ifPresent(k -> {
            System.out.println("Admin key (shown once): " + k);
            server.saveAdminKey().ifPresent(p -> System.out.println("  saved to " + p));
        });
        awaitShutdown(server);
        return 0;
    }

    static void awaitShutdown(FlotillaServer server) throws InterruptedException {
        awaitShutdown(server, () -> {});
    }

    /** Blocks until the process is asked to stop; then runs {@code first} (e.g. the demo's agents), then closes the server. */
    static void awaitShutdown(FlotillaServer server, Runnable first) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                first.run();
            } finally {
                server.close();
                done.countDown();
            }
        }, "flotilla-shutdown"));
        done.await();
    }
}
