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
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The README's first command: the control plane on the embedded database with a seeded demo
 * marketplace (demo data, not real listings), three emulated GPU hosts running real agents, and
 * two endpoints ready for an OpenAI client ({@link DemoServing}); its credentials printed and
 * written to the credentials file the CLI reads.
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
        FlotillaConfig config = options.load(env, demoLimits(env));
        FlotillaServer server = FlotillaServer.start(config, InstantSource.system());
        DemoMarket.Credentials creds = DemoMarket.ensure(server.market(), seed);
        Path file = credentials != null ? credentials
                : Path.of(env.getOrDefault("FLOTILLA_CREDENTIALS", System.getProperty("user.home") + "/.flotilla/credentials"));
        String adminKey = server.newAdminKey().orElseGet(() -> previousAdminKey(file, config));
        server.saveAdminKey();
        String openAi = server.openAiUrl().orElse("(gateway disabled: gateway.port=-1)");
        writeCredentials(file, server.url(), openAi, creds, adminKey);
        int offers = server.market().offers().all().size();
        System.out.printf("Flotilla demo: control plane at %s; starting 3 emulated GPU hosts and 2 endpoints...%n", server.url());
        DemoServing serving;
        try {
            serving = DemoServing.start(server.url(), creds.hostToken(), creds.tenantKey(), config.dataDir().resolve("demo-agents"));
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        boolean ready = serving.awaitReady(Duration.ofMinutes(3));
        System.out.println("""
                Flotilla demo marketplace (DEMO DATA: seeded listings, not real machines)
                  control plane  %s   (%d offers; embedded database in %s)
                  OpenAI API     %s   %s
                    model '%s'       Llama-3.1-8B on the engine emulator (EMULATED: modelled timing, synthetic text)
                    model '%s'   all-MiniLM-L6-v2 embeddings (a real model on CPU)
                  tenant key     %s   (tenant 'demo', $100.00 credit; also the OpenAI API key)
                  host token     %s   (host 'demo-host'; 3 agents emulate an H100, an A100 and an L4)
                  admin key      %s
                  credentials    written to %s; the CLI reads them from there

                Try, in another terminal:
                  curl -s %s/chat/completions -H "Authorization: Bearer %s" -H 'Content-Type: application/json' \\
                    -d '{"model":"%s","messages":[{"role":"user","content":"Hello"}]}'
                  ./flotilla endpoint show %s            ./flotilla workers %s
                  ./flotilla load --trace ../shared/data/traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv.gz \\
                    --format azure --speedup 8 --endpoint %s --duration 3m     # watch it scale, then back to zero
                  ./flotilla usage
                  ./flotilla search offers 'reliability > 0.98 num_gpus=1 gpu_name=RTX_3090 rented=False'
                  ./flotilla plan --model Llama-3.1-8B --input-tokens 512 --output-tokens 128 --rps 5 --ttft-ms 500 --tpot-ms 50
                Ctrl-C stops it; data persists in the data directory.""".formatted(server.url(), offers,
                config.dataDir(), openAi, ready ? "(workers ready)" : "(workers still starting: ./flotilla workers NAME)",
                DemoServing.LLM, DemoServing.EMBEDDINGS, creds.tenantKey(), creds.hostToken(),
                adminKey == null ? "(see data-dir/admin-key)" : adminKey, file, openAi, creds.tenantKey(), DemoServing.LLM,
                DemoServing.LLM, DemoServing.LLM, DemoServing.LLM));
        ServerCommand.awaitShutdown(server, serving::close);
        return 0;
    }

    /**
     * The demo tenant's rate limits, raised from the production defaults (600 requests and 1 M
     * tokens a minute) so that a trace replayed with {@code flotilla load} exercises autoscaling
     * rather than the limiter; an environment variable still sets either.
     */
    static Map<String, String> demoLimits(Map<String, String> env) {
        Map<String, String> limits = new java.util.LinkedHashMap<>();
        if (!env.containsKey("FLOTILLA_GATEWAY_REQUESTS_PER_MINUTE")) {
            limits.put("gateway.requests-per-minute", "60000");
        }
        if (!env.containsKey("FLOTILLA_GATEWAY_TOKENS_PER_MINUTE")) {
            limits.put("gateway.tokens-per-minute", "100000000");
        }
        return limits;
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

    static void writeCredentials(Path file, String url, String openAiUrl, DemoMarket.Credentials c, String adminKey)
            throws IOException {
        Properties p = new Properties();
        p.setProperty("url", url);
        p.setProperty("openai_base_url", openAiUrl);
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
