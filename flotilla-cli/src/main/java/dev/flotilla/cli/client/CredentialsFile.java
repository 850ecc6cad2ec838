package dev.flotilla.cli.client;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * The credentials file ({@code key=value} lines, as {@code flotilla demo} writes them): the one
 * given by {@code --credentials}, else {@code $FLOTILLA_CREDENTIALS}, else
 * {@code ~/.flotilla/credentials}. Read once, and only when a setting is not given otherwise; the
 * default file is optional, one named explicitly must exist.
 */
public final class CredentialsFile {
    private final Path path;
    private final boolean explicit;
    private Properties props;

    public CredentialsFile(Optional<Path> given, ClientEnvironment env) {
        Optional<Path> named = given.or(() -> env.get(ClientEnvironment.CREDENTIALS).map(Path::of));
        this.explicit = named.isPresent();
        this.path = named.orElseGet(env::defaultCredentials);
    }

    public Path path() {
        return path;
    }

    /** The value of {@code key}, stripped; empty when absent or blank. */
    public Optional<String> get(String key) {
        if (props == null) {
            props = load();
        }
        return Optional.ofNullable(props.getProperty(key)).map(String::strip).filter(s -> !s.isEmpty());
    }

    private Properties load() {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            if (explicit) {
                throw new CliException(CliException.USAGE, "no_credentials", "credentials file " + path + " does not exist");
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, "bad_credentials", "cannot read credentials file " + path + ": "
                    + e.getMessage());
        }
        return p;
    }
}
