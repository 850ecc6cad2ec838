package dev.flotilla.cli.client;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where the server is and which key to present, shared by every client command. Each setting is
 * looked up in order: the option, the environment variable, the credentials file, then the
 * default. The credentials file is a properties file ({@code url}, {@code api_key},
 * {@code host_token}, {@code admin_key}) at {@code --credentials}, {@code $FLOTILLA_CREDENTIALS}
 * or {@code ~/.flotilla/credentials}; which of its keys a command presents depends on the
 * command's {@link Role}.
 */
public final class ConnectionOptions {
    public static final String DEFAULT_URL = "http://127.0.0.1:8080";

    /** Whose key a command presents when it comes from the credentials file. */
    public enum Role {
        /** Any principal may call it (search); the first key the file has, tenant's first. */
        ANY("api_key", "host_token", "admin_key"),
        /** No key needed (the GPU catalog); one is sent when there is one. */
        NONE("api_key", "host_token", "admin_key"),
        TENANT("api_key"),
        HOST("host_token"),
        ADMIN("admin_key");

        private final String[] fileKeys;

        Role(String... fileKeys) {
            this.fileKeys = fileKeys;
        }
    }

    /** The resolved settings. */
    public record Connection(String url, Optional<String> apiKey) {
        public Connection {
            requireNonNull(url, "url is null");
            requireNonNull(apiKey, "apiKey is null");
        }
    }

    @Option(names = "--url", paramLabel = "URL", order = 90,
            description = "Server URL (default: $FLOTILLA_URL, the credentials file's url, else " + DEFAULT_URL + ").")
    String url;

    @Option(names = "--api-key", paramLabel = "KEY", order = 91,
            description = "API key or host token to present (default: $FLOTILLA_API_KEY, else the credentials file).")
    String apiKey;

    @Option(names = "--credentials", paramLabel = "FILE", order = 92,
            description = "Credentials file (default: $FLOTILLA_CREDENTIALS, else ~/.flotilla/credentials).")
    Path credentials;

    public Connection resolve(ClientEnvironment env, Role role) {
        CredentialsFile file = new CredentialsFile(Optional.ofNullable(credentials), env);
        String u = first(url, env.get(ClientEnvironment.URL)).or(() -> file.get("url")).orElse(DEFAULT_URL);
        Optional<String> key = first(apiKey, env.get(ClientEnvironment.API_KEY));
        if (key.isEmpty()) {
            for (String k : role.fileKeys) {
                key = file.get(k);
                if (key.isPresent()) {
                    break;
                }
            }
        }
        if (key.isEmpty() && role != Role.NONE) {
            throw new CliException(CliException.AUTH, "no_credentials", "no API key for " + describe(role)
                    + ": pass --api-key, set " + ClientEnvironment.API_KEY + ", or put " + String.join(" or ", role.fileKeys)
                    + " in " + file.path() + " (./flotilla demo writes it)");
        }
        return new Connection(checkUrl(u), key);
    }

    private static String describe(Role role) {
        return switch (role) {
            case TENANT -> "tenant commands";
            case HOST -> "host commands";
            case ADMIN -> "admin commands";
            case ANY, NONE -> "this command";
        };
    }

    /** The option when given (stripped, blank counts as not given), else {@code env}. */
    public static Optional<String> first(String option, Optional<String> env) {
        if (option != null && !option.isBlank()) {
            return Optional.of(option.strip());
        }
        return env;
    }

    /** An absolute http(s) URL without a trailing slash. */
    static String checkUrl(String u) {
        return httpUrl(u).map(URI::toString).orElseThrow(() -> new CliException(CliException.USAGE, "invalid_url",
                "server URL must look like " + DEFAULT_URL + ", got '" + u + "'"));
    }

    /**
     * {@code text} as an absolute http(s) URL without a query, a fragment or trailing slashes;
     * empty when it is not one (each caller names its option in the error).
     */
    public static Optional<URI> httpUrl(String text) {
        String s = text.strip();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        try {
            URI uri = new URI(s);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && uri.getQuery() == null
                    && uri.getFragment() == null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException e) {
            // not a URL: empty, reported by the caller with the accepted form
        }
        return Optional.empty();
    }
}
