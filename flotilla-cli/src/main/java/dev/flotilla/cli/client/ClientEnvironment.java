package dev.flotilla.cli.client;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What the client commands read from outside their arguments: environment variables and the
 * home directory (where {@code ~/.flotilla/credentials} lives). Injected so that a test runs the
 * CLI in-process without seeing the developer's own environment or credentials.
 *
 * <pre>
 *   ClientCommands.register(root, new ClientEnvironment(Map.of("FLOTILLA_URL", url), tempDir));
 * </pre>
 */
public record ClientEnvironment(Map<String, String> env, Path home) {
    public static final String URL = "FLOTILLA_URL";
    public static final String API_KEY = "FLOTILLA_API_KEY";
    public static final String CREDENTIALS = "FLOTILLA_CREDENTIALS";

    public ClientEnvironment {
        env = Map.copyOf(requireNonNull(env, "env is null"));
        requireNonNull(home, "home is null");
    }

    /** The process's environment and {@code user.home}. */
    public static ClientEnvironment system() {
        return withVariables(System.getenv());
    }

    /** These variables and {@code user.home}. */
    public static ClientEnvironment withVariables(Map<String, String> env) {
        return new ClientEnvironment(env, Path.of(System.getProperty("user.home")));
    }

    /** A variable's value; a blank value counts as unset. */
    public Optional<String> get(String name) {
        return Optional.ofNullable(env.get(name)).map(String::strip).filter(s -> !s.isEmpty());
    }

    /** {@code ~/.flotilla/credentials}, the file {@code ./flotilla demo} writes. */
    public Path defaultCredentials() {
        return home.resolve(".flotilla").resolve("credentials");
    }
}
