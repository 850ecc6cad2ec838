package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.flotilla.cli.client.CliException;
import dev.flotilla.cli.client.ConnectionOptions;
import dev.flotilla.cli.client.CredentialsFile;
import dev.flotilla.cli.client.ClientEnvironment;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.traces.ReadOptions;
import dev.flotilla.traces.TraceFormat;
import dev.flotilla.traces.TraceReader;
import dev.flotilla.traces.TraceStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla load}: replays a request trace against a running OpenAI-compatible gateway in
 * wall-clock time ({@link LoadReplay}), so that the gateway's queueing and the endpoints'
 * autoscaling meet the trace's real arrival pattern, and reports what the gateway answered
 * ({@link LoadReport}). It is a load generator pointed at a live service, so it is bounded: it
 * refuses a non-loopback base URL unless told otherwise (the API key goes with every request), it
 * never has more than {@code --max-concurrency} requests in flight, and it stops after
 * {@code --limit} requests or {@code --duration} of wall time.
 *
 * <p>The target is found as the other client commands find theirs: {@code --base-url} /
 * {@code --api-key}, then {@code $FLOTILLA_OPENAI_BASE_URL} / {@code $FLOTILLA_API_KEY}, then the
 * credentials file's {@code openai_base_url} / {@code api_key} (the file {@code flotilla demo}
 * writes), then the gateway's default address.
 */
@Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Replay a request trace against the OpenAI-compatible gateway in wall-clock time (request i is sent"
                + " (arrival_i - arrival_0) / speedup after the start) and report latency, errors and throughput.",
        footer = {"", "Example (against ./flotilla demo, whose credentials file gives the base URL and key):",
            "  flotilla load --trace ../shared/data/traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv.gz --format azure"
                    + " --speedup 4 --endpoint llama-3.1-8b --duration 5m"})
public final class LoadCommand implements Callable<Integer> {
    /** The gateway's default address ({@code gateway.port} 8081), used when nothing else names one. */
    static final String DEFAULT_BASE_URL = "http://127.0.0.1:8081/v1";
    static final String BASE_URL_ENV = "FLOTILLA_OPENAI_BASE_URL";

    private final ClientEnvironment environment;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--trace", required = true, paramLabel = "FILE", description = "The trace file (.csv, .jsonl, .gz, .tar.gz).")
    Path trace;

    @Option(names = "--format", required = true, paramLabel = "F", description = "azure, mooncake, servegen or gentd.")
    String format;

    @Option(names = "--speedup", defaultValue = "1", paramLabel = "X",
            description = "Replay X times faster than recorded (default ${DEFAULT-VALUE}).")
    double speedup;

    @Option(names = "--endpoint", required = true, paramLabel = "NAME", description = "The endpoint: the 'model' every request names.")
    String endpoint;

    @Option(names = "--api", defaultValue = "chat", paramLabel = "API",
            description = "chat (/chat/completions), completions or embeddings (default ${DEFAULT-VALUE}).")
    String api;

    @Option(names = "--stream", description = "Stream the answers (SSE) and measure the time to the first token.")
    boolean stream;

    @Option(names = "--duration", paramLabel = "D", description = "Stop sending after D of wall time (30s, 10m, 1h);"
            + " that covers D x speedup of the trace. Requests in flight still finish.")
    String duration;

    @Option(names = "--limit", paramLabel = "N", description = "Replay at most N requests of the trace (sent or skipped).")
    Long limit;

    @Option(names = "--max-concurrency", defaultValue = "64", paramLabel = "N", description = "Requests in flight at most;"
            + " one due while N are in flight is skipped and counted, never queued (default ${DEFAULT-VALUE}).")
    int maxConcurrency;

    @CommandLine.Mixin
    TraceSelection selection = new TraceSelection();

    @Option(names = "--seed", defaultValue = "42", description = "Seed of ServeGen's arrivals and of the prompts' words"
            + " (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-prompt-tokens", defaultValue = "8192", paramLabel = "N",
            description = "Cap on a prompt's tokens (default ${DEFAULT-VALUE}).")
    int maxPromptTokens;

    @Option(names = "--max-tokens-cap", defaultValue = "512", paramLabel = "N",
            description = "Cap on max_tokens, which is otherwise the trace's output tokens (default ${DEFAULT-VALUE}).")
    int maxTokensCap;

    @Option(names = "--timeout", defaultValue = "120s", paramLabel = "D",
            description = "A request's deadline, send to last byte (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--progress", defaultValue = "10s", paramLabel = "D",
            description = "Time between progress lines; 0 for none (default ${DEFAULT-VALUE}).")
    String progress;

    @Option(names = "--base-url", paramLabel = "URL", description = "OpenAI base URL (default: $" + BASE_URL_ENV
            + ", the credentials file's openai_base_url, else " + DEFAULT_BASE_URL + ").")
    String baseUrl;

    @Option(names = "--api-key", paramLabel = "KEY", description = "API key (default: $FLOTILLA_API_KEY, else the credentials"
            + " file's api_key).")
    String apiKey;

    @Option(names = "--credentials", paramLabel = "FILE", description = "Credentials file (default: $FLOTILLA_CREDENTIALS, else"
            + " ~/.flotilla/credentials).")
    Path credentials;

    @Option(names = "--allow-remote", description = "Allow a base URL whose host is not loopback (127.0.0.0/8, ::1, localhost).")
    boolean allowRemote;

    @Option(names = "--json", description = "Print the summary as one JSON object (progress lines then go to stderr).")
    boolean json;

    /** The process's environment and home directory. */
    public LoadCommand() {
        this(ClientEnvironment.system());
    }

    /** With the environment given, so that tests do not see the developer's credentials. */
    public LoadCommand(ClientEnvironment environment) {
        this.environment = requireNonNull(environment, "environment is null");
    }

    @Override
    public Integer call() throws IOException {
        LoadRequests.Api chosenApi = api();
        TraceFormat traceFormat = traceInput(() -> TraceFormat.parse(format));
        if (stream && chosenApi == LoadRequests.Api.EMBEDDINGS) {
            throw usage("--stream applies to --api chat and completions; embeddings answer in one piece");
        }
        LoadReplay.Settings settings = settings();
        Duration requestTimeout = AgentCommand.parseDuration("--timeout", timeout);
        if (maxPromptTokens < 1 || maxTokensCap < 1) {
            throw usage("--max-prompt-tokens and --max-tokens-cap must be >= 1, got " + maxPromptTokens + " and " + maxTokensCap);
        }
        LoadClient.Target target = target();
        ReadOptions options = readOptions();

        // A first pass over a recorded trace finds a malformed or unsorted row before anything is sent, and
        // counts what will be replayed. ServeGen is generated, sorted by construction, and can be billions long.
        Optional<LoadReplay.Selection> selection = Optional.empty();
        String name;
        String expected = "";
        try (TraceStream s = traceInput(() -> TraceReader.open(trace, traceFormat, options))) {
            name = s.name();
            if (traceFormat != TraceFormat.SERVEGEN) {
                selection = Optional.of(traceInput(() -> LoadReplay.select(s, settings)));
            } else if (!traceInput(s::hasNext)) {
                selection = Optional.of(new LoadReplay.Selection(0, 0));
            }
            if (s.expectedRequests().isPresent()) {
                expected = String.format(Locale.ROOT, "; the selection is about %.0f requests", s.expectedRequests().getAsDouble());
            }
            if (selection.isPresent() && selection.get().requests() == 0) {
                throw usage("--trace " + trace + " has no requests in the selection" + this.selection.days().map(d -> " (--days "
                        + LoadReport.times(d) + ")").orElse(""));
            }
        }

        PrintWriter out = spec.root().commandLine().getOut();
        PrintWriter lines = json ? spec.root().commandLine().getErr() : out;
        LoadRequests requests = new LoadRequests(chosenApi, endpoint, stream, maxPromptTokens, maxTokensCap, seed);
        LoadReport.Setup setup = new LoadReport.Setup(name, traceFormat.wireName(), target.baseUrl().toString(), endpoint,
                chosenApi.wireName(), stream);
        LoadReport report;
        Optional<FlotillaException> traceError;
        try (LoadClient client = new LoadClient(target, requests, requestTimeout, LoadClock.system());
                TraceStream s = traceInput(() -> TraceReader.open(trace, traceFormat, options))) {
            Optional<java.util.List<String>> models = client.models();
            if (models.isPresent() && !models.get().contains(endpoint)) {
                throw usage("--endpoint '" + endpoint + "' is not served by the gateway at " + target.baseUrl() + " for this key; it serves: "
                        + (models.get().isEmpty() ? "nothing yet (create one with ./flotilla endpoint create)" : String.join(", ", models.get())));
            }
            lines.println(header(name, traceFormat, selection, expected, client, settings));
            lines.flush();
            LoadReplay replay = new LoadReplay(settings, LoadClock.system(), client, line -> {
                lines.println(line);
                lines.flush();
            });
            CountDownLatch finished = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                // Ctrl-C: stop sending and let the summary of what was sent be printed before the JVM goes
                replay.stop();
                try {
                    finished.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "flotilla-load-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                report = replay.run(s, setup);
                traceError = replay.traceError();
                print(out, report);
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down already: the hook is running and is let finish
                }
            }
        }
        if (traceError.isPresent()) {
            throw traceUsage(traceError.get());
        }
        if (report.sent() > 0 && report.ok() == 0 && report.errors().keySet().equals(java.util.Set.of("no-response"))
                && report.errors().get("no-response").keySet().stream().allMatch(c -> c.startsWith("conn"))) {
            throw new CliException(CliException.UNREACHABLE, "unreachable", "no request reached the gateway at " + target.baseUrl()
                    + "; start one with ./flotilla demo, or point --base-url at a running gateway");
        }
        return 0;
    }

    private void print(PrintWriter out, LoadReport report) throws IOException {
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report.json()));
        } else {
            out.print(report.text());
        }
        out.flush();
    }

    private String header(String name, TraceFormat traceFormat, Optional<LoadReplay.Selection> selection, String expected,
            LoadClient client, LoadReplay.Settings settings) {
        String what = selection.map(sel -> String.format(Locale.ROOT, "%d requests of %s trace %s (%s of trace, %s at %sx)",
                sel.requests(), traceFormat.wireName(), name, LoadReport.elapsed(Math.round(sel.spanNanos() * speedup)),
                LoadReport.elapsed(sel.spanNanos()), LoadReport.times(speedup)))
                .orElse(String.format(Locale.ROOT, "%s trace %s at %sx%s", traceFormat.wireName(), name, LoadReport.times(speedup),
                        expected));
        StringBuilder b = new StringBuilder("load: replaying ").append(what).append(" against ").append(client.endpoint())
                .append(", model '").append(endpoint).append('\'').append(stream ? ", streamed" : "")
                .append("; at most ").append(settings.maxConcurrency()).append(" in flight");
        settings.duration().ifPresent(d -> b.append("; stops after ").append(LoadReport.elapsed(d.toNanos())));
        if (limit != null) {
            b.append("; at most ").append(limit).append(" requests");
        }
        return b.toString();
    }

    private LoadRequests.Api api() {
        for (LoadRequests.Api a : LoadRequests.Api.values()) {
            if (a.wireName().equals(api.strip().toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw usage("unknown --api '" + api + "'; accepted: " + LoadRequests.Api.accepted());
    }

    private LoadReplay.Settings settings() {
        if (!(speedup > 0) || !Double.isFinite(speedup)) {
            throw usage("--speedup must be a finite number > 0, got " + speedup);
        }
        if (maxConcurrency < 1) {
            throw usage("--max-concurrency must be >= 1, got " + maxConcurrency);
        }
        if (limit != null && limit < 1) {
            throw usage("--limit must be >= 1, got " + limit);
        }
        Optional<Duration> wall = duration == null ? Optional.empty() : Optional.of(AgentCommand.parseDuration("--duration", duration));
        Optional<Duration> every = progress.strip().equals("0") ? Optional.empty()
                : Optional.of(AgentCommand.parseDuration("--progress", progress));
        Duration requestTimeout = AgentCommand.parseDuration("--timeout", timeout);
        // the requests in flight after the last send each end by their own deadline; a little more for the last bytes
        return new LoadReplay.Settings(speedup, maxConcurrency, limit == null ? Long.MAX_VALUE : limit, wall, every,
                requestTimeout.plus(LoadClient.CONNECT_TIMEOUT).plusSeconds(1));
    }

    private ReadOptions readOptions() {
        return traceInput(() -> selection.readOptions(seed));
    }

    /** Base URL and key: option, environment variable, credentials file, default; loopback unless allowed. */
    private LoadClient.Target target() {
        CredentialsFile file = new CredentialsFile(Optional.ofNullable(credentials), environment);
        String url = ConnectionOptions.first(baseUrl, environment.get(BASE_URL_ENV)).or(() -> file.get("openai_base_url"))
                .orElse(DEFAULT_BASE_URL);
        Optional<String> key = ConnectionOptions.first(apiKey, environment.get(ClientEnvironment.API_KEY)).or(() -> file.get("api_key"));
        if (key.isEmpty()) {
            throw new CliException(CliException.AUTH, "no_credentials", "no API key for the gateway: pass --api-key, set "
                    + ClientEnvironment.API_KEY + ", or put api_key in " + file.path() + " (./flotilla demo writes it)");
        }
        URI uri = baseUrl(url);
        if (!allowRemote && !isLoopback(uri.getHost())) {
            throw usage("--base-url " + uri + " is not on this machine; a load test sends the API key and real load there,"
                    + " so only loopback hosts (127.0.0.0/8, ::1, localhost) are accepted unless --allow-remote is given");
        }
        return new LoadClient.Target(uri, key);
    }

    /** An absolute http(s) URL; one without a path gets {@code /v1}, where the gateway serves the OpenAI API. */
    static URI baseUrl(String text) {
        URI uri = ConnectionOptions.httpUrl(text)
                .orElseThrow(() -> usage("--base-url must look like " + DEFAULT_BASE_URL + ", got '" + text + "'"));
        return uri.getPath() == null || uri.getPath().isEmpty() ? URI.create(uri + "/v1") : uri;
    }

    /** {@code localhost} or a literal address in 127.0.0.0/8 or {@code ::1}; names are not resolved (that could be anywhere). */
    static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            return InetAddress.ofLiteral(h).isLoopbackAddress();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Runs a step that reads the trace or its options; their errors are bad input, exit 2, naming the option. */
    private static <T> T traceInput(java.util.function.Supplier<T> step) {
        try {
            return step.get();
        } catch (FlotillaException e) {
            throw traceUsage(e);
        }
    }

    private static CliException traceUsage(FlotillaException e) {
        String option = switch (e.field().orElse("trace")) {
            case "format" -> "--format";
            case "rate-scale" -> "--rate-scale";
            case "max-clients" -> "--max-clients";
            case "until", "from" -> "--days";
            default -> "--trace";
        };
        return new CliException(CliException.USAGE, e.code().name().toLowerCase(Locale.ROOT), option + ": " + e.getMessage());
    }

    private static CliException usage(String message) {
        return new CliException(CliException.USAGE, "invalid_argument", message);
    }

    /** For {@link Main}: the subcommand with the environment the rest of the CLI sees. */
    static CommandLine commandLine(Map<String, String> env, CommandLine.IFactory factory) {
        return new CommandLine(new LoadCommand(ClientEnvironment.withVariables(env)), factory);
    }
}
