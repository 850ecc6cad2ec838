package dev.flotilla.agent.worker;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The worker loop's settings.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>poll</td><td>1 s</td><td>between reads of the machine's workers (and load reports)</td></tr>
 *   <tr><td>drainTimeout</td><td>30 s</td><td>how long a drain waits for requests in flight before stopping anyway</td></tr>
 *   <tr><td>advertiseHost</td><td>127.0.0.1</td><td>the host in the URL reported for each worker: where the gateway reaches this machine</td></tr>
 *   <tr><td>bindHost</td><td>127.0.0.1</td><td>the address the workers' proxies listen on</td></tr>
 *   <tr><td>benchmark</td><td>{@link BenchmarkConfig#defaults()}</td><td>the capacity benchmark</td></tr>
 *   <tr><td>extraArgs</td><td>none</td><td>arguments appended to a template's command, by template name (e.g. the emulator's {@code --time-scale})</td></tr>
 *   <tr><td>logLinesPerReport</td><td>200</td><td>most new log lines sent with one report; the rest follow with the next ones</td></tr>
 * </table>
 */
public record WorkerRunnerConfig(Duration poll, Duration drainTimeout, String advertiseHost, String bindHost,
        BenchmarkConfig benchmark, Map<String, List<String>> extraArgs, int logLinesPerReport) {
    public WorkerRunnerConfig {
        requireNonNull(poll, "poll is null");
        requireNonNull(drainTimeout, "drainTimeout is null");
        requireNonNull(advertiseHost, "advertiseHost is null");
        requireNonNull(bindHost, "bindHost is null");
        requireNonNull(benchmark, "benchmark is null");
        Map<String, List<String>> copy = new LinkedHashMap<>();
        requireNonNull(extraArgs, "extraArgs is null").forEach((k, v) -> copy.put(k, List.copyOf(v)));
        extraArgs = Map.copyOf(copy);
        if (poll.isNegative() || poll.isZero() || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("poll must be positive and drainTimeout not negative; got " + poll + ", "
                    + drainTimeout);
        }
        if (advertiseHost.isBlank() || bindHost.isBlank()) {
            throw new IllegalArgumentException("advertiseHost and bindHost must not be blank");
        }
        if (logLinesPerReport < 1) {
            throw new IllegalArgumentException("logLinesPerReport must be positive; got " + logLinesPerReport);
        }
    }

    public static WorkerRunnerConfig defaults() {
        return new WorkerRunnerConfig(Duration.ofSeconds(1), Duration.ofSeconds(30), "127.0.0.1", "127.0.0.1",
                BenchmarkConfig.defaults(), Map.of(), 200);
    }

    public WorkerRunnerConfig withPoll(Duration p) {
        return new WorkerRunnerConfig(p, drainTimeout, advertiseHost, bindHost, benchmark, extraArgs, logLinesPerReport);
    }

    public WorkerRunnerConfig withDrainTimeout(Duration d) {
        return new WorkerRunnerConfig(poll, d, advertiseHost, bindHost, benchmark, extraArgs, logLinesPerReport);
    }

    /** Where the gateway reaches the proxies, and where they listen. */
    public WorkerRunnerConfig withHosts(String advertise, String bind) {
        return new WorkerRunnerConfig(poll, drainTimeout, advertise, bind, benchmark, extraArgs, logLinesPerReport);
    }

    public WorkerRunnerConfig withBenchmark(BenchmarkConfig b) {
        return new WorkerRunnerConfig(poll, drainTimeout, advertiseHost, bindHost, b, extraArgs, logLinesPerReport);
    }

    /** With {@code args} appended to every launch of {@code template}. */
    public WorkerRunnerConfig withExtraArgs(String template, String... args) {
        Map<String, List<String>> more = new LinkedHashMap<>(extraArgs);
        more.put(template, List.of(args));
        return new WorkerRunnerConfig(poll, drainTimeout, advertiseHost, bindHost, benchmark, more, logLinesPerReport);
    }
}
