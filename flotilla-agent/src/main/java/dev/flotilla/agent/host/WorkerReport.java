package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * What the agent tells the control plane about one worker ({@code POST /api/v1/workers/{id}/report}):
 * its state with the reason, and where known the proxy's URL, the benchmarked capacity and
 * throughput, the current load and the log lines printed since the last report.
 *
 * <pre>{@code
 * WorkerReport.of(State.READY, "benchmarked").withUrl("http://10.0.0.5:20001")
 *         .withCapacity(8, 3.2, 812.5).withLog(lines);
 * }</pre>
 */
public record WorkerReport(State state, String reason, Optional<String> url, OptionalInt capacity,
        OptionalDouble requestsPerSecond, OptionalDouble tokensPerSecond, Optional<Load> load, List<String> log) {
    /** The states the agent reports; the control plane's others (creating, draining, ...) are its own. */
    public enum State {
        LOADING,
        BENCHMARKING,
        READY,
        STOPPED,
        FAILED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The worker's load now: requests in flight through its proxy, and where the backend reports
     * {@code /load}, its running and waiting sequences, KV-cache use (0 to 1) and output tokens per
     * second.
     */
    public record Load(int inFlight, OptionalInt running, OptionalInt waiting, OptionalDouble kvUse,
            OptionalDouble tokensPerSecond) {
        public Load {
            requireNonNull(running, "running is null");
            requireNonNull(waiting, "waiting is null");
            requireNonNull(kvUse, "kvUse is null");
            requireNonNull(tokensPerSecond, "tokensPerSecond is null");
            if (inFlight < 0) {
                throw new IllegalArgumentException("inFlight must not be negative, got " + inFlight);
            }
        }

        /** Only the proxy's count: the backend has no load report. */
        public static Load inFlight(int inFlight) {
            return new Load(inFlight, OptionalInt.empty(), OptionalInt.empty(), OptionalDouble.empty(),
                    OptionalDouble.empty());
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("in_flight", inFlight);
            running.ifPresent(v -> m.put("running", v));
            waiting.ifPresent(v -> m.put("waiting", v));
            kvUse.ifPresent(v -> m.put("kv_use", v));
            tokensPerSecond.ifPresent(v -> m.put("tokens_per_s", v));
            return m;
        }
    }

    public WorkerReport {
        requireNonNull(state, "state is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(url, "url is null");
        requireNonNull(capacity, "capacity is null");
        requireNonNull(requestsPerSecond, "requestsPerSecond is null");
        requireNonNull(tokensPerSecond, "tokensPerSecond is null");
        requireNonNull(load, "load is null");
        log = List.copyOf(requireNonNull(log, "log is null"));
    }

    /** A report of just a state and why. */
    public static WorkerReport of(State state, String reason) {
        return new WorkerReport(state, reason, Optional.empty(), OptionalInt.empty(), OptionalDouble.empty(),
                OptionalDouble.empty(), Optional.empty(), List.of());
    }

    /** With the proxy's URL, {@code http://HOST:PORT}. */
    public WorkerReport withUrl(String u) {
        return new WorkerReport(state, reason, Optional.of(u), capacity, requestsPerSecond, tokensPerSecond, load, log);
    }

    /** With the benchmark's figures: concurrent requests, and requests and tokens per second at that concurrency. */
    public WorkerReport withCapacity(int concurrent, double rps, double tps) {
        return new WorkerReport(state, reason, url, OptionalInt.of(concurrent), OptionalDouble.of(rps),
                OptionalDouble.of(tps), load, log);
    }

    public WorkerReport withLoad(Load l) {
        return new WorkerReport(state, reason, url, capacity, requestsPerSecond, tokensPerSecond, Optional.of(l), log);
    }

    public WorkerReport withLog(List<String> lines) {
        return new WorkerReport(state, reason, url, capacity, requestsPerSecond, tokensPerSecond, load, lines);
    }

    /** The request body, in the control plane's field names; absent fields are left out. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state.wireName());
        m.put("reason", reason);
        url.ifPresent(u -> m.put("url", u));
        capacity.ifPresent(c -> m.put("capacity", c));
        requestsPerSecond.ifPresent(r -> m.put("requests_per_s", r));
        tokensPerSecond.ifPresent(t -> m.put("tokens_per_s", t));
        load.ifPresent(l -> m.put("load", l.toJson()));
        if (!log.isEmpty()) {
            m.put("log", log);
        }
        return m;
    }
}
