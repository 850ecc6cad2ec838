package dev.flotilla.cli.client;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A client command: resolves the connection for its {@link ConnectionOptions.Role}, talks to the
 * server through a private {@link ApiClient}, prints to the root command's writer and returns 0;
 * every failure leaves as a {@link CliException}, turned into one line and an exit code by
 * {@link ClientCommands#configure}. Every command takes {@code --json}, which prints the server's
 * answer instead of the readable form.
 */
abstract class ClientCommand implements Callable<Integer> {
    private final ClientEnvironment environment;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", order = 98, description = "Print the server's JSON answer (indented) instead of the readable form.")
    boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, order = 99, description = "Show this help and exit.")
    boolean help;

    ClientCommand(ClientEnvironment environment) {
        this.environment = requireNonNull(environment, "environment is null");
    }

    /** Whose key this command presents. */
    abstract ConnectionOptions.Role role();

    /** Does the work; a failure is thrown as a {@link CliException}. */
    abstract void run(ApiClient api);

    @Override
    public final Integer call() {
        ConnectionOptions.Connection c = connection.resolve(environment, role());
        try (ApiClient api = new ApiClient(c)) {
            run(api);
        }
        out().flush();
        return 0;
    }

    /** The root's writer, so that one {@code setOut} on the root redirects every command. */
    final PrintWriter out() {
        return spec.root().commandLine().getOut();
    }

    /** Prints {@code node} as JSON when {@code --json} was given; returns whether it did. */
    final boolean printedJson(JsonNode node) {
        if (json) {
            out().println(Json.pretty(node));
        }
        return json;
    }
}
