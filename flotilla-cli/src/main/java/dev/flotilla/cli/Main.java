package dev.flotilla.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code flotilla} launcher: the control plane ({@code server}), the demo marketplace
 * ({@code demo}) and the client commands (search, rent, show, host and admin commands). The
 * wiring module: it depends on everything and nothing depends on it.
 */
@Command(
        name = "flotilla",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "GPU marketplace and serverless inference control plane.",
        subcommands = {ServerCommand.class, DemoCommand.class, AgentCommand.class, SimulateCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    /** Builds the command tree; {@code env} is injectable for tests. */
    public static CommandLine commandLine(Map<String, String> env) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand(LoadCommand.commandLine(env, cl.getFactory()));
        dev.flotilla.cli.client.ClientCommands.register(cl, env);
        return cl;
    }

    public static int run(String[] args, Map<String, String> env) {
        return commandLine(env).execute(args);
    }

    /** Reports the build's version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"flotilla " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
