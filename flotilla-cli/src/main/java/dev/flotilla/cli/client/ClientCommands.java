package dev.flotilla.cli.client;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The client half of the {@code flotilla} command: verb-noun subcommands in the form vast.ai CLI
 * users know, and the error handling that turns every failure into one line on stderr,
 * {@code error: <message> (<code>)}, and an exit code: see {@link CliException} for the codes; a
 * picocli usage error exits {@value CliException#USAGE}, a {@link FlotillaException} thrown
 * in-process exits as its HTTP status would, anything else exits 1 (and is a bug).
 *
 * <pre>
 *   CommandLine root = new CommandLine(new Main());
 *   ClientCommands.register(root);          // adds the subcommands and calls configure(root)
 *   System.exit(root.execute(args));
 * </pre>
 *
 * <p>The subcommands: {@code search offers}; {@code create rental|tenant|host}; {@code show
 * rentals|rental|events|balance|invoices|earnings|machines|machine|gpus}; {@code stop|start|destroy
 * rental}; {@code list|unlist|relist machine}; {@code schedule maintenance}; {@code add credit}.
 */
public final class ClientCommands {
    private ClientCommands() {}

    /** Adds the client subcommands to {@code root}, reading the process's environment, and configures error handling. */
    public static void register(CommandLine root) {
        register(root, ClientEnvironment.system());
    }

    /** As {@link #register(CommandLine)}, with these environment variables instead of the process's. */
    public static void register(CommandLine root, Map<String, String> env) {
        register(root, ClientEnvironment.withVariables(env));
    }

    /** As {@link #register(CommandLine)}, with the environment and home directory given (tests). */
    public static void register(CommandLine root, ClientEnvironment env) {
        requireNonNull(root, "root is null");
        requireNonNull(env, "env is null");
        add(root, new Search(), env, List.of(CatalogCommands.SearchOffers::new));
        add(root, new Create(), env, List.of(RentalCommands.CreateRental::new, AdminCommands.CreateTenant::new,
                AdminCommands.CreateHost::new));
        add(root, new Show(), env, List.of(RentalCommands.ShowRentals::new, RentalCommands.ShowRental::new,
                RentalCommands.ShowEvents::new, AccountCommands.ShowBalance::new, AccountCommands.ShowInvoices::new,
                AccountCommands.ShowEarnings::new, MachineCommands.ShowMachines::new, MachineCommands.ShowMachine::new,
                CatalogCommands.ShowGpus::new));
        add(root, new Stop(), env, List.of(RentalCommands.StopRental::new));
        add(root, new Start(), env, List.of(RentalCommands.StartRental::new));
        add(root, new Destroy(), env, List.of(RentalCommands.DestroyRental::new));
        add(root, new ListVerb(), env, List.of(MachineCommands.ListMachine::new));
        add(root, new Unlist(), env, List.of(MachineCommands.UnlistMachine::new));
        add(root, new Relist(), env, List.of(MachineCommands.RelistMachine::new));
        add(root, new Schedule(), env, List.of(MachineCommands.ScheduleMaintenance::new));
        add(root, new Add(), env, List.of(AdminCommands.AddCredit::new));
        root.addSubcommand(new CommandLine(new PlanCommand(env), root.getFactory()));
        add(root, new EndpointVerb(), env, List.of(EndpointCommands.Create::new, EndpointCommands.Show::new,
                EndpointCommands.Scale::new, EndpointCommands.Update::new, EndpointCommands.ListEndpoints::new,
                EndpointCommands.Delete::new));
        root.addSubcommand(new CommandLine(new EndpointCommands.Workers(env), root.getFactory()));
        root.addSubcommand(new CommandLine(new EndpointCommands.Logs(env), root.getFactory()));
        root.addSubcommand(new CommandLine(new EndpointCommands.Usage(env), root.getFactory()));
        // help printed by a subcommand goes to its own writer: give every one the root's
        root.setOut(root.getOut());
        root.setErr(root.getErr());
        configure(root);
    }

    private static void add(CommandLine root, Object verb, ClientEnvironment env,
            List<Function<ClientEnvironment, ? extends ClientCommand>> nouns) {
        CommandLine v = new CommandLine(verb, root.getFactory());
        for (Function<ClientEnvironment, ? extends ClientCommand> noun : nouns) {
            v.addSubcommand(noun.apply(env));
        }
        root.addSubcommand(v);
    }

    /**
     * Installs the handlers that print a failure as {@code error: <message> (<code>)} on the
     * root's stderr and return its exit code. {@link #register} calls it; call it again only if
     * something replaced the handlers since. It applies to every subcommand of {@code root},
     * {@code server} and {@code demo} included.
     */
    public static void configure(CommandLine root) {
        root.setParameterExceptionHandler(PARAMETER_ERRORS);
        root.setExecutionExceptionHandler(EXECUTION_ERRORS);
    }

    private static final IParameterExceptionHandler PARAMETER_ERRORS = (ex, args) -> {
        CommandLine cl = ex.getCommandLine();
        StringBuilder msg = new StringBuilder(ex.getMessage() == null ? "invalid arguments" : ex.getMessage().strip());
        if (ex instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            msg.append("; did you mean ").append(String.join(" or ", u.getSuggestions().stream().map(s -> "'" + s + "'").toList()))
                    .append('?');
        }
        msg.append("; see '").append(cl.getCommandSpec().qualifiedName()).append(" --help'");
        return report(cl, msg.toString(), "usage_error", CliException.USAGE);
    };

    private static final IExecutionExceptionHandler EXECUTION_ERRORS = (ex, cl, parseResult) -> {
        if (ex instanceof CliException e) {
            return report(cl, e.getMessage(), e.code(), e.exitCode());
        }
        if (ex instanceof ParameterException p) {
            return PARAMETER_ERRORS.handleParseException(p, new String[0]);
        }
        if (ex instanceof FlotillaException f) {
            // thrown in-process, e.g. by 'flotilla server' reading a bad config: the same code and exit code as over HTTP
            return report(cl, f.getMessage(), f.code().wireName(), CliException.exitCodeForStatus(f.code().httpStatus()));
        }
        String msg = ex.getMessage() == null ? ex.getClass().getName() : ex.getClass().getSimpleName() + ": " + ex.getMessage();
        return report(cl, msg, "internal_error", 1);
    };

    private static int report(CommandLine cl, String message, String code, int exitCode) {
        CommandLine root = cl;
        while (root.getParent() != null) {
            root = root.getParent();
        }
        PrintWriter err = root.getErr();
        err.println("error: " + message.replaceAll("\\s*[\\r\\n]+\\s*", " ") + " (" + code + ")");
        err.flush();
        return exitCode;
    }

    // ------------------------------------------------------------------ verbs

    /** The verbs only group their nouns; {@code flotilla show} without one is a usage error. */
    abstract static class Verb {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;
    }

    @Command(name = "search", synopsisSubcommandLabel = "offers", description = "Search the market.")
    static final class Search extends Verb {}

    @Command(name = "create", synopsisSubcommandLabel = "(rental | tenant | host)",
            description = "Rent an offer; as admin, create a tenant or a host.")
    static final class Create extends Verb {}

    @Command(name = "show", synopsisSubcommandLabel = "WHAT", description = "Show rentals, events, money, machines or GPUs.")
    static final class Show extends Verb {}

    @Command(name = "stop", synopsisSubcommandLabel = "rental", description = "Stop a rental.")
    static final class Stop extends Verb {}

    @Command(name = "start", synopsisSubcommandLabel = "rental", description = "Start a stopped rental.")
    static final class Start extends Verb {}

    @Command(name = "destroy", synopsisSubcommandLabel = "rental", description = "Destroy a rental.")
    static final class Destroy extends Verb {}

    @Command(name = "list", synopsisSubcommandLabel = "machine", description = "Host: list a machine on the market.")
    static final class ListVerb extends Verb {}

    @Command(name = "unlist", synopsisSubcommandLabel = "machine", description = "Host: take a machine off the market.")
    static final class Unlist extends Verb {}

    @Command(name = "relist", synopsisSubcommandLabel = "machine", description = "Host: put a machine back on the market.")
    static final class Relist extends Verb {}

    @Command(name = "schedule", synopsisSubcommandLabel = "maintenance", description = "Host: schedule maintenance.")
    static final class Schedule extends Verb {}

    @Command(name = "add", synopsisSubcommandLabel = "credit", description = "Admin: add credit to a tenant.")
    static final class Add extends Verb {}

    @Command(name = "endpoint", synopsisSubcommandLabel = "(create | show | scale | update | list | delete)",
            description = "Serverless endpoints: create, show, scale, update, list, delete.")
    static final class EndpointVerb extends Verb {}
}
