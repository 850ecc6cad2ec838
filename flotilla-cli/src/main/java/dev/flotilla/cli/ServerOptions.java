package dev.flotilla.cli;

import dev.flotilla.server.config.FlotillaConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Options shared by {@code server} and {@code demo}; they override the config file and environment. */
final class ServerOptions {
    @Option(names = "--config", description = "YAML config file (keys in the README's configuration table).")
    Path configFile;

    @Option(names = "--port", description = "HTTP port (config http.port).")
    Integer port;

    @Option(names = "--host", description = "Address to listen on (config http.host).")
    String host;

    @Option(names = "--data-dir", description = "Directory of the embedded database and the admin key (config data-dir).")
    Path dataDir;

    @Option(names = "--db-url", description = "JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/flotilla (config db.url).")
    String dbUrl;

    FlotillaConfig load(Map<String, String> env, Map<String, String> extra) {
        Map<String, String> o = new LinkedHashMap<>(extra);
        if (port != null) {
            o.put("http.port", port.toString());
        }
        if (host != null) {
            o.put("http.host", host);
        }
        if (dataDir != null) {
            o.put("data-dir", dataDir.toString());
        }
        if (dbUrl != null) {
            o.put("db.url", dbUrl);
        }
        return FlotillaConfig.load(Optional.ofNullable(configFile), env, o);
    }
}
