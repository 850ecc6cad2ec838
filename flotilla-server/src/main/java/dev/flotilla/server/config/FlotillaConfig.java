package dev.flotilla.server.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.flotilla.core.Durations;
import dev.flotilla.core.FlotillaException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The control plane's settings. Each key has a default; a YAML file may set any of them (nested
 * or dotted: {@code http: {port: 9000}} or {@code http.port: 9000}); an environment variable
 * {@code FLOTILLA_<KEY>} (upper case, dots and dashes as underscores: {@code FLOTILLA_HTTP_PORT})
 * overrides the file. An unknown key in the file is an error, never silently ignored.
 * Durations are ISO-8601 ({@code PT10S}) or a number with a unit ({@code 10s}, {@code 5m}).
 */
public record FlotillaConfig(
        String httpHost,
        int httpPort,
        long maxBodyBytes,
        Path dataDir,
        String dbUrl,
        String dbUser,
        String dbPassword,
        int dbPoolSize,
        int platformFeeBps,
        Duration creditGracePeriod,
        Duration meterInterval,
        Duration heartbeatTimeout,
        int defaultDiskGb,
        Duration offerCacheTtl,
        int gatewayPort,
        long requestsPerMinute,
        long tokensPerMinute,
        String gatewayRegion,
        Duration reconcileInterval,
        Duration workerStartTimeout,
        Duration drainTimeout,
        int maxQueueLength,
        Duration autoscaleInterval) {

    /** The documented keys, in README order, with their defaults. */
    public static final Map<String, String> DEFAULTS = defaults();

    public FlotillaConfig {
        requireNonNull(httpHost, "httpHost is null");
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(dbUrl, "dbUrl is null");
        requireNonNull(dbUser, "dbUser is null");
        requireNonNull(dbPassword, "dbPassword is null");
        requireNonNull(gatewayRegion, "gatewayRegion is null");
        if (httpPort < 0 || httpPort > 65535) {
            throw bad("http.port", httpPort + "", "a port 0..65535 (0 picks a free one)");
        }
        if (platformFeeBps < 0 || platformFeeBps > 5000) {
            throw bad("market.platform-fee-bps", platformFeeBps + "", "basis points 0..5000");
        }
        if (maxBodyBytes < 1024) {
            throw bad("http.max-body-bytes", maxBodyBytes + "", "at least 1024");
        }
        if (dbPoolSize < 1) {
            throw bad("db.pool-size", dbPoolSize + "", "at least 1");
        }
        if (defaultDiskGb < 1) {
            throw bad("market.default-disk-gb", defaultDiskGb + "", "at least 1");
        }
        if (gatewayPort < -1 || gatewayPort > 65535) {
            throw bad("gateway.port", gatewayPort + "", "a port 0..65535 (0 picks a free one) or -1 to run no gateway");
        }
        if (requestsPerMinute < 1) {
            throw bad("gateway.requests-per-minute", requestsPerMinute + "", "at least 1");
        }
        if (tokensPerMinute < 1) {
            throw bad("gateway.tokens-per-minute", tokensPerMinute + "", "at least 1");
        }
        if (maxQueueLength < 1) {
            throw bad("serving.max-queue-length", maxQueueLength + "", "at least 1");
        }
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("http.host", "127.0.0.1");
        d.put("http.port", "8080");
        d.put("http.max-body-bytes", "1048576");
        d.put("data-dir", System.getProperty("user.home") + "/.flotilla");
        d.put("db.url", "");
        d.put("db.user", "sa");
        d.put("db.password", "");
        d.put("db.pool-size", "16");
        d.put("market.platform-fee-bps", "1000");
        d.put("market.credit-grace-period", "PT10M");
        d.put("market.meter-interval", "PT10S");
        d.put("market.heartbeat-timeout", "PT90S");
        d.put("market.default-disk-gb", "10");
        d.put("market.offer-cache-ttl", "PT2S");
        d.put("gateway.port", "8081");
        d.put("gateway.requests-per-minute", "600");
        d.put("gateway.tokens-per-minute", "1000000");
        d.put("gateway.region", "");
        d.put("serving.reconcile-interval", "PT1S");
        d.put("serving.worker-start-timeout", "PT10M");
        d.put("serving.drain-timeout", "PT60S");
        d.put("serving.max-queue-length", "256");
        d.put("serving.autoscale-interval", "PT2S");
        return java.util.Collections.unmodifiableMap(d);
    }

    /** Loads defaults, then the file (if any), then the environment, then explicit overrides. */
    public static FlotillaConfig load(Optional<Path> file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
        file.ifPresent(f -> v.putAll(readFile(f)));
        for (String key : DEFAULTS.keySet()) {
            String envName = "FLOTILLA_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
            if (env.containsKey(envName)) {
                v.put(key, env.get(envName));
            }
        }
        for (var e : overrides.entrySet()) {
            if (!DEFAULTS.containsKey(e.getKey())) {
                throw bad(e.getKey(), e.getValue(), "one of the keys " + DEFAULTS.keySet());
            }
            v.put(e.getKey(), e.getValue());
        }
        return fromMap(v);
    }

    public static FlotillaConfig defaultsOnly() {
        return fromMap(DEFAULTS);
    }

    public static FlotillaConfig fromMap(Map<String, String> v) {
        Path dataDir = Path.of(expandHome(v.get("data-dir")));
        String dbUrl = v.get("db.url");
        if (dbUrl == null || dbUrl.isBlank()) {
            // DB_CLOSE_ON_EXIT=FALSE: H2's own shutdown hook would close the database under the
            // server's, while agents drain and the last usage batch is written; the server closes it.
            dbUrl = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("db").resolve("flotilla") + ";LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE";
        }
        return new FlotillaConfig(
                v.get("http.host"),
                integer(v, "http.port"),
                Long.parseLong(number(v, "http.max-body-bytes")),
                dataDir,
                dbUrl,
                v.get("db.user"),
                v.get("db.password"),
                integer(v, "db.pool-size"),
                integer(v, "market.platform-fee-bps"),
                duration(v, "market.credit-grace-period"),
                duration(v, "market.meter-interval"),
                duration(v, "market.heartbeat-timeout"),
                integer(v, "market.default-disk-gb"),
                duration(v, "market.offer-cache-ttl"),
                integer(v, "gateway.port"),
                Long.parseLong(number(v, "gateway.requests-per-minute")),
                Long.parseLong(number(v, "gateway.tokens-per-minute")),
                v.get("gateway.region").strip(),
                duration(v, "serving.reconcile-interval"),
                duration(v, "serving.worker-start-timeout"),
                duration(v, "serving.drain-timeout"),
                integer(v, "serving.max-queue-length"),
                duration(v, "serving.autoscale-interval"));
    }

    public FlotillaConfig withHttpPort(int port) {
        return new FlotillaConfig(httpHost, port, maxBodyBytes, dataDir, dbUrl, dbUser, dbPassword, dbPoolSize,
                platformFeeBps, creditGracePeriod, meterInterval, heartbeatTimeout, defaultDiskGb, offerCacheTtl,
                gatewayPort, requestsPerMinute, tokensPerMinute, gatewayRegion, reconcileInterval, workerStartTimeout, drainTimeout,
                maxQueueLength, autoscaleInterval);
    }

    /** The same settings with the gateway on {@code port} (0 picks a free one, -1 runs none). */
    public FlotillaConfig withGatewayPort(int port) {
        return new FlotillaConfig(httpHost, httpPort, maxBodyBytes, dataDir, dbUrl, dbUser, dbPassword, dbPoolSize,
                platformFeeBps, creditGracePeriod, meterInterval, heartbeatTimeout, defaultDiskGb, offerCacheTtl,
                port, requestsPerMinute, tokensPerMinute, gatewayRegion, reconcileInterval, workerStartTimeout, drainTimeout,
                maxQueueLength, autoscaleInterval);
    }

    public boolean embeddedDatabase() {
        return dbUrl.startsWith("jdbc:h2:");
    }

    static Map<String, String> readFile(Path f) {
        try {
            JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(f));
            Map<String, String> out = new LinkedHashMap<>();
            if (root != null && !root.isNull()) {
                if (!root.isObject()) {
                    throw FlotillaException.invalid("config", "config file " + f + " must be a YAML mapping of keys");
                }
                flatten("", root, out);
            }
            for (String key : out.keySet()) {
                if (!DEFAULTS.containsKey(key)) {
                    throw bad(key, out.get(key), "one of the keys " + DEFAULTS.keySet() + " (in " + f + ")");
                }
            }
            return out;
        } catch (IOException e) {
            throw FlotillaException.invalid("config", "cannot read config file " + f + ": " + e.getMessage());
        }
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
        while (it.hasNext()) {
            var e = it.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue().isObject() && !DEFAULTS.containsKey(key)) {
                flatten(key, e.getValue(), out);
            } else {
                out.put(key, e.getValue().asText());
            }
        }
    }

    private static String expandHome(String p) {
        return p.startsWith("~/") ? System.getProperty("user.home") + p.substring(1) : p;
    }

    private static String number(Map<String, String> v, String key) {
        String s = v.get(key).trim();
        if (!s.matches("-?\\d+")) {
            throw bad(key, s, "a whole number");
        }
        return s;
    }

    private static int integer(Map<String, String> v, String key) {
        try {
            return Integer.parseInt(number(v, key));
        } catch (NumberFormatException e) {
            throw bad(key, v.get(key), "a whole number");
        }
    }

    static Duration duration(Map<String, String> v, String key) {
        String s = v.get(key).trim();
        Duration d = Durations.parse(s).orElseThrow(() -> bad(key, s, "a duration such as PT10S, 10s, 5m or 1h"));
        if (d.isNegative() || d.isZero()) {
            throw bad(key, s, "a positive duration such as PT10S or 10s");
        }
        return d;
    }

    private static FlotillaException bad(String key, String value, String accepted) {
        return FlotillaException.invalid(key, "config " + key + "='" + value + "' is invalid: expected " + accepted);
    }
}
