package dev.flotilla.cli;

import dev.flotilla.server.FlotillaServer;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.server.demo.DemoMarket;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The README's first command: the control plane on the embedded database with a seeded demo
 * marketplace (demo data, not real listings), its credentials printed and written to the
 * credentials file the CLI reads.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the control plane with a seeded demo"
        + " marketplace on the embedded database, and write the CLI's credentials file.")
final class DemoCommand implements Callable<Integer> {
    @Mixin
    ServerOptions options;

    @Option(names = "--credentials", description = "Credentials file to write (default $FLOTILLA_CREDENTIALS or"
            + " ~/.flotilla/credentials).")
    Path credentials;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the demo market (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = System.getenv();
        FlotillaConfig config = options.load(env, Map.of());
        FlotillaServer server = FlotillaServer.start(config, InstantSource.system());
        DemoMarket.Credentials creds = DemoMarket.ensure(server.market(), seed);
        Path file = credentials != null ? credentials
                : Path.of(env.getOrDefault("FLOTILLA_CREDENTIALS", System.getProperty("user.home") + "/.flotilla/credentials"));
        String adminKey = server.newAdminKey().orElseGet(() -> previousAdminKey(file, config));
        server.saveAdminKey();
        writeCredentials(file, server.url(), creds, adminKey);
        int offers = server.market().offers().all().size();
        System.out.println("""
                Flotilla demo marketplace (DEMO DATA: seeded listings, not real machines)
                  control plane  %s   (%d offers; embedded database in %s)
                  tenant key     %s   (tenant 'demo', $100.00 credit)
                  host token     %s   (host 'demo-host')
                  admin key      %s
                  credentials    written to %s; the CLI reads them from there

                Try, in another terminal:
                  ./flotilla search offers 'reliability > 0.98 num_gpus=1 gpu_name=RTX_3090 rented=False'
                  ./flotilla search offers 'gpu_ram>=24 compute_cap>=800 dph<2' -o 'dph'
                  ./flotilla create rental OFFER_ID
                  ./flotilla show rentals
                Ctrl-C stops it; data persists in the data directory.""".formatted(server.url(), offers,
                config.dataDir(), creds.tenantKey(), creds.hostToken(), adminKey == null ? "(see data-dir/admin-key)" : adminKey,
                file));
        ServerCommand.awaitShutdown(server);
        return 0;
    }

    private static String previousAdminKey(Path file, FlotillaConfig config) {
        Path saved = config.dataDir().resolve("admin-key");
        try {
            if (Files.exists(saved)) {
                return Files.readString(saved).trim();
            }
            if (Files.exists(file)) {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(file)) {
                    p.load(r);
                }
                return p.getProperty("admin_key");
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    static void writeCredentials(Path file, String url, DemoMarket.Credentials c, String adminKey) throws IOException {
        Properties p = new Properties();
        p.setProperty("url", url);
        p.setProperty("api_key", c.tenantKey());
        p.setProperty("host_token", c.hostToken());
        if (adminKey != null) {
            p.setProperty("admin_key", adminKey);
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        try (Writer w = Files.newBufferedWriter(file)) {
            p.store(w, "Flotilla credentials written by 'flotilla demo'");
        }
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to restrict
        }
    }
}
