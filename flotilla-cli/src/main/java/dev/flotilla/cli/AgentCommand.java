package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import dev.flotilla.agent.PortAllocator;
import dev.flotilla.agent.Supervisor;
import dev.flotilla.agent.SupervisorConfig;
import dev.flotilla.agent.host.ControlPlaneClient;
import dev.flotilla.agent.host.ControlPlaneException;
import dev.flotilla.agent.host.GpuDetector;
import dev.flotilla.agent.host.GpuInventory;
import dev.flotilla.agent.host.HostAgent;
import dev.flotilla.agent.host.HostResources;
import dev.flotilla.agent.host.Listing;
import dev.flotilla.agent.host.MachineRegistration;
import dev.flotilla.agent.worker.WorkerRunner;
import dev.flotilla.agent.worker.WorkerRunnerConfig;
import dev.flotilla.cli.client.CliException;
import dev.flotilla.core.Durations;
import dev.flotilla.market.gpu.GpuCatalog;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla agent}: lists this machine's GPUs (detected with {@code nvidia-smi}, or
 * emulated with {@code --emulate}) on a control plane as the host whose token it holds, then
 * heartbeats the machine and runs the workers the control plane assigns to it (each a backend
 * behind its own token-checking proxy, reachable at {@code --advertise-host}) until interrupted.
 * Bad input is one line and exit 2, as for the client commands.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the host agent: list this machine on the market, heartbeat it, and run the serverless"
                + " workers the control plane assigns to it until interrupted.",
            "Every --poll the agent reads the machine's workers, launches new ones (model server, proxy, capacity"
                + " benchmark), drains those the control plane stops and reports their state, load and logs."})
public final class AgentCommand implements Callable<Integer> {
    /** The environment variable read when {@code --token} is left out. */
    public static final String TOKEN_ENV = "FLOTILLA_HOST_TOKEN";

    /** What the command does once the agent runs; the default waits for the process to be interrupted. */
    @FunctionalInterface
    interface Waiter {
        void await(HostAgent agent) throws InterruptedException;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--control-plane", required = true, paramLabel = "URL",
            description = "The control plane's URL, e.g. http://cp.example:8080.")
    String controlPlane;

    @Option(names = "--token", paramLabel = "TOKEN", description = "The host token; default: $" + TOKEN_ENV + ".")
    String token;

    @Option(names = "--emulate", paramLabel = "GPU_MODEL:COUNT",
            description = "Skip GPU detection and report COUNT emulated GPUs of a catalog model, e.g. RTX_4090:2.")
    String emulate;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${sys:user.home}/.flotilla/agent",
            description = "Where the agent keeps its machine id; one per agent. Default: ${DEFAULT-VALUE}.")
    Path stateDir;

    @Option(names = "--country", paramLabel = "CC", defaultValue = Listing.DEFAULT_COUNTRY,
            description = "ISO 3166 country code of the machine. Default: ${DEFAULT-VALUE}.")
    String country;

    @Option(names = "--region", paramLabel = "R", defaultValue = Listing.DEFAULT_REGION,
            description = "Region label of the machine. Default: ${DEFAULT-VALUE}.")
    String region;

    @Option(names = "--price", paramLabel = "$/GPU-h", defaultValue = "0.50",
            description = "On-demand price per GPU-hour in dollars. Default: ${DEFAULT-VALUE}.")
    BigDecimal price;

    @Option(names = "--min-bid", paramLabel = "$/GPU-h", defaultValue = "0.25",
            description = "Lowest interruptible bid per GPU-hour in dollars. Default: ${DEFAULT-VALUE}.")
    BigDecimal minBid;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", defaultValue = "30s",
            description = "Time between heartbeats: 30s, 500ms, 2m, 1h or ISO-8601 (PT30S). Default: ${DEFAULT-VALUE}.")
    String heartbeatInterval;

    @Option(names = "--advertise-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "The address the gateway uses to reach this machine's workers; their proxies listen on it"
                    + " (on every interface when it is not a loopback address). Default: ${DEFAULT-VALUE}.")
    String advertiseHost;

    @Option(names = "--poll", paramLabel = "DURATION", defaultValue = "1s",
            description = "Time between reads of the machine's workers, each with a load report per running worker:"
                    + " 1s, 500ms, 2m or ISO-8601. Default: ${DEFAULT-VALUE}.")
    String poll;

    @Option(names = "--ports", paramLabel = "FIRST-LAST", defaultValue = "20000-20999",
            description = "Ports for the workers' model servers and proxies; give agents on one machine ranges of"
                    + " their own. Default: ${DEFAULT-VALUE}.")
    String portRange;

    private final Map<String, String> env;
    private final Waiter waiter;

    public AgentCommand() {
        this(System.getenv(), AgentCommand::awaitShutdown);
    }

    /** With the environment and what to do while the agent runs injected (tests). */
    AgentCommand(Map<String, String> env, Waiter waiter) {
        this.env = Map.copyOf(requireNonNull(env, "env is null"));
        this.waiter = requireNonNull(waiter, "waiter is null");
    }

    @Override
    public Integer call() throws InterruptedException {
        String hostToken = token != null ? token : env.get(TOKEN_ENV);
        if (hostToken == null || hostToken.isBlank()) {
            throw usage("no host token: pass --token TOKEN or set " + TOKEN_ENV + " (an admin creates one with"
                    + " 'flotilla create host NAME')");
        }
        URI url = controlPlaneUrl(controlPlane);
        Duration interval = parseDuration("--heartbeat-interval", heartbeatInterval);
        Duration pollEvery = parseDuration("--poll", poll);
        PortAllocator ports = portRange(portRange);
        String host = advertiseHost(advertiseHost);
        GpuCatalog catalog = GpuCatalog.defaultCatalog();
        GpuInventory gpus;
        Listing listing;
        try {
            gpus = emulate != null ? GpuInventory.emulated(emulate, catalog) : detect(catalog);
            listing = new Listing(country, region, price, minBid, Listing.DEFAULT_INET_MBPS, Listing.DEFAULT_INET_MBPS);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        try (ControlPlaneClient client = ControlPlaneClient.create(url, hostToken)) {
            HostAgent agent;
            try {
                java.nio.file.Files.createDirectories(stateDir);
                MachineRegistration registration = new MachineRegistration(gpus, HostResources.probe(stateDir), listing);
                agent = HostAgent.start(client, registration, stateDir, interval);
            } catch (ControlPlaneException e) {
                int exit = e.status() == 0 ? CliException.UNREACHABLE : CliException.exitCodeForStatus(e.status());
                throw new CliException(exit, e.code(), e.getMessage());
            } catch (IllegalStateException e) {
                throw usage(e.getMessage());
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                throw usage("cannot use --state-dir " + stateDir + ": " + e.getMessage());
            }
            try (agent) {
                runWorkers(agent, client, ports, host, pollEvery);
                out.println("agent " + (agent.reused() ? "reusing" : "registered") + " machine " + agent.machineId() + " ("
                        + gpus.describe() + ") with " + url + "; heartbeating every " + format(interval)
                        + "; workers at " + host + ", polled every " + format(pollEvery));
                out.flush();
                waiter.await(agent);
            }
        }
        return 0;
    }

    /**
     * Starts the worker loop on the agent's machine. Everything it needs is handed to the agent,
     * which closes it first (loop, then supervisor, then Vert.x), so an interrupted agent stops its
     * model servers before it exits.
     */
    private static void runWorkers(HostAgent agent, ControlPlaneClient client, PortAllocator ports, String host,
            Duration pollEvery) {
        Vertx vertx = Vertx.vertx();
        agent.closeWith(() -> vertx.close().await());
        // The built-in backends (emulator, embeddings) run from this process's own class path.
        Supervisor supervisor = new Supervisor(vertx, ports, SupervisorConfig.defaults(), InstantSource.system(),
                Supervisor.currentJava(), System.getProperty("java.class.path"));
        agent.closeWith(supervisor);
        String bind = isLoopback(host) ? host : "0.0.0.0";
        agent.closeWith(WorkerRunner.start(client, agent.machineId(), supervisor, ports, vertx,
                WorkerRunnerConfig.defaults().withPoll(pollEvery).withHosts(host, bind), InstantSource.system()));
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static GpuInventory detect(GpuCatalog catalog) {
        GpuDetector detector = GpuDetector.system();
        try {
            return GpuInventory.detected(detector.detect(), detector.cudaVersion(), catalog);
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            throw new CliException(1, "gpu_detection", "GPU detection failed: " + e.getMessage());
        }
    }

    private static void awaitShutdown(HostAgent agent) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            done.countDown();
        }, "flotilla-agent-shutdown"));
        done.await();
    }

    /** {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h} or ISO-8601; positive. */
    static Duration parseDuration(String text) {
        return parseDuration("--heartbeat-interval", text);
    }

    /** {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h} or ISO-8601; positive; errors name {@code flag}. */
    static Duration parseDuration(String flag, String text) {
        Duration d = Durations.parse(text).orElseThrow(() -> usage(flag + " must be a duration such as 30s,"
                + " 500ms, 2m or PT30S, got '" + text + "'"));
        if (d.isZero() || d.isNegative()) {
            throw usage(flag + " must be positive, got '" + text + "'");
        }
        return d;
    }

    /** {@code FIRST-LAST}, within 1024-65535. */
    static PortAllocator portRange(String text) {
        String[] parts = text.strip().split("-", -1);
        try {
            if (parts.length == 2) {
                int first = Integer.parseInt(parts[0].strip());
                int last = Integer.parseInt(parts[1].strip());
                if (first >= 1024 && first <= last && last <= 65535) {
                    return new PortAllocator(first, last);
                }
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted form
        }
        throw usage("--ports must be FIRST-LAST with 1024 <= FIRST <= LAST <= 65535, such as 20000-20999, got '" + text
                + "'");
    }

    /** A host name or address as it goes into a URL: not blank, no scheme, port or path. */
    static String advertiseHost(String text) {
        String h = text.strip();
        boolean ipv6 = h.indexOf(':') >= 0 && h.indexOf('/') < 0;
        if (h.isEmpty() || h.contains("/") || h.contains("@") || (!ipv6 && !h.matches("[A-Za-z0-9.\\-]+"))) {
            throw usage("--advertise-host must be a host name or IP address such as 10.0.0.5, got '" + text + "'");
        }
        return h;
    }

    /** {@code 30s}, {@code 250ms}, {@code 2m}: the shortest exact form. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1_000 == 0) {
            return ms / 1_000 + "s";
        }
        return ms + "ms";
    }

    private static URI controlPlaneUrl(String text) {
        try {
            URI u = new URI(text.strip());
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // reported below with the accepted form
        }
        throw usage("--control-plane must be a URL such as http://cp.example:8080, got '" + text + "'");
    }

    private static CliException usage(String message) {
        return new CliException(CliException.USAGE, message);
    }
}
