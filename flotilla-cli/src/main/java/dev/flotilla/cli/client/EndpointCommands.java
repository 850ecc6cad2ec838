package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flotilla endpoint create|show|scale|update|list|delete}, {@code flotilla workers ENDPOINT},
 * {@code flotilla logs WORKER} and {@code flotilla usage}: a tenant's serverless endpoints.
 */
final class EndpointCommands {
    private EndpointCommands() {}

    @Command(name = "create", sortOptions = false, description = "Declare an endpoint: NAME is the model its clients send.")
    static final class Create extends RentalCommands.TenantCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The model name clients send (letters, digits, ._:-).")
        String name;

        @Option(names = "--backend", required = true, description = "emulator, embeddings, vllm, sglang, llama-server or tgi.")
        String backend;

        @Option(names = "--model", required = true, description = "What the backend loads, e.g. Llama-3.1-8B.")
        String model;

        @Option(names = "--requirement", defaultValue = "", description = "Offer query the hardware must meet, e.g."
                + " 'gpu_ram>=24 reliability>0.98'.")
        String requirement;

        @Option(names = "--capacity", defaultValue = "interruptible", description = "interruptible (default; on-demand"
                + " fallback) or on-demand.")
        String capacity;

        @Option(names = "--min-workers", defaultValue = "0", description = "Default ${DEFAULT-VALUE}.")
        int minWorkers;

        @Option(names = "--max-workers", defaultValue = "1", description = "Default ${DEFAULT-VALUE}.")
        int maxWorkers;

        @Option(names = "--cold-workers", defaultValue = "0", description = "Default ${DEFAULT-VALUE}.")
        int coldWorkers;

        @Option(names = "--max-queue-ms", defaultValue = "30000", description = "Default ${DEFAULT-VALUE}.")
        long maxQueueMs;

        @Option(names = "--inactivity-timeout-s", defaultValue = "300", description = "Default ${DEFAULT-VALUE}.")
        long inactivityTimeoutS;

        @Option(names = "--routing", defaultValue = "least-load", description = "least-load, power-of-two, round-robin,"
                + " prefix-affinity or region (default ${DEFAULT-VALUE}).")
        String routing;

        @Option(names = "--initial-workers", description = "Workers to start with (default: min workers); the policy"
                + " takes over from there.")
        Integer initialWorkers;

        @CommandLine.Mixin
        ScalingOptions scaling = new ScalingOptions();

        Create(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("backend", backend);
            body.put("model", model);
            body.put("requirement", requirement);
            body.put("capacity", capacity);
            body.put("min_workers", minWorkers);
            body.put("max_workers", maxWorkers);
            body.put("cold_workers", coldWorkers);
            body.put("max_queue_ms", maxQueueMs);
            body.put("inactivity_timeout_s", inactivityTimeoutS);
            body.put("routing", routing);
            if (initialWorkers != null) {
                body.put("initial_workers", initialWorkers);
            }
            scaling.putInto(body);
            JsonNode e = api.post("/api/v1/endpoints", body);
            if (printedJson(e)) {
                return;
            }
            out().printf("Created endpoint %s (%s backend serving %s; %s-%s workers; routing %s; policy %s%s)%n",
                    Fmt.text(e.path("name")), Fmt.text(e.path("backend")), Fmt.text(e.path("model")),
                    Fmt.text(e.path("min_workers")), Fmt.text(e.path("max_workers")), Fmt.text(e.path("routing")),
                    Fmt.text(e.path("policy")), e.path("advisory").asBoolean() ? ", advisory" : "");
        }
    }

    /** The scaling settings create and update share; each unset one is left out of the request. */
    static final class ScalingOptions {
        @Option(names = "--policy", paramLabel = "P", description = "manual, reactive (create's default) or predictive.")
        String policy;

        @Option(names = "--advisory", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
                description = "The policy decides and shows its decision but does not act (default false).")
        Boolean advisory;

        @Option(names = "--min-load", paramLabel = "RPS", description = "Requests/s always provisioned for (default 0).")
        Double minLoad;

        @Option(names = "--target-util", paramLabel = "U", description = "Share of capacity the anticipated load may use,"
                + " in (0, 1] (default 0.7).")
        Double targetUtil;

        @Option(names = "--cold-mult", paramLabel = "X", description = "Workers kept loaded = X times those needed (>= 1,"
                + " default 2).")
        Double coldMult;

        @Option(names = "--target-queue-ms", paramLabel = "MS", description = "Queued work expected to wait longer adds"
                + " capacity (default 2000, at most max-queue-ms).")
        Long targetQueueMs;

        void putInto(Map<String, Object> body) {
            putIf(body, "policy", policy);
            putIf(body, "advisory", advisory);
            putIf(body, "min_load", minLoad);
            putIf(body, "target_util", targetUtil);
            putIf(body, "cold_mult", coldMult);
            putIf(body, "target_queue_ms", targetQueueMs);
        }
    }

    private static void putIf(Map<String, Object> body, String key, Object value) {
        if (value != null) {
            body.put(key, value);
        }
    }

    @Command(name = "update", sortOptions = false, description = "Change an endpoint's bounds, routing or scaling policy"
            + " and settings; what is not given keeps its value.",
            footer = {"", "Examples:", "  flotilla endpoint update llama --policy predictive --max-workers 4",
                    "  flotilla endpoint update llama --advisory      # watch the policy's decisions before trusting it",
                    "  flotilla endpoint update llama --policy manual # then: flotilla endpoint scale llama 2"})
    static final class Update extends RentalCommands.TenantCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--min-workers")
        Integer minWorkers;

        @Option(names = "--max-workers")
        Integer maxWorkers;

        @Option(names = "--cold-workers")
        Integer coldWorkers;

        @Option(names = "--max-queue-ms")
        Long maxQueueMs;

        @Option(names = "--inactivity-timeout-s")
        Long inactivityTimeoutS;

        @Option(names = "--routing")
        String routing;

        @CommandLine.Mixin
        ScalingOptions scaling = new ScalingOptions();

        Update(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            Map<String, Object> body = new LinkedHashMap<>();
            putIf(body, "min_workers", minWorkers);
            putIf(body, "max_workers", maxWorkers);
            putIf(body, "cold_workers", coldWorkers);
            putIf(body, "max_queue_ms", maxQueueMs);
            putIf(body, "inactivity_timeout_s", inactivityTimeoutS);
            putIf(body, "routing", routing);
            scaling.putInto(body);
            if (body.isEmpty()) {
                throw new CliException(CliException.USAGE, "nothing_to_update", "give at least one setting to change;"
                        + " see: flotilla endpoint update --help");
            }
            JsonNode e = api.patch("/api/v1/endpoints/" + name, body);
            if (printedJson(e)) {
                return;
            }
            out().printf("Updated endpoint %s: %s-%s workers, policy %s%s, target_util %s%n", Fmt.text(e.path("name")),
                    Fmt.text(e.path("min_workers")), Fmt.text(e.path("max_workers")), Fmt.text(e.path("policy")),
                    e.path("advisory").asBoolean() ? " (advisory)" : "", Fmt.text(e.path("target_util")));
        }
    }

    @Command(name = "show", description = "Show one endpoint.")
    static final class Show extends RentalCommands.TenantCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        Show(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode e = api.get("/api/v1/endpoints/" + name, Map.of());
            if (printedJson(e)) {
                return;
            }
            PrintWriter out = out();
            Table kv = new Table().left("").left("");
            e.properties().forEach(p -> {
                if (!p.getKey().equals("workers") && !p.getKey().equals("decision")) {
                    kv.row(p.getKey(), Fmt.text(p.getValue()));
                }
            });
            kv.printRows(out);
            out.println();
            printDecision(out, e.path("decision"));
            printWorkers(out, e.path("workers"));
        }
    }

    /** The policy's latest decision: what it wants, why, and the forecast it planned with. */
    static void printDecision(PrintWriter out, JsonNode d) {
        if (d.isMissingNode() || d.isNull()) {
            out.println("Scaling: no decision yet (manual policy, or the autoscaler has not run).");
            out.println();
            return;
        }
        JsonNode in = d.path("inputs");
        out.printf("Scaling decision at %s (%s policy, %s%s): %s active worker(s), %s cold%n", Fmt.instant(d.path("at")),
                Fmt.text(d.path("policy")), Fmt.text(d.path("mode")),
                d.path("advisory").asBoolean() ? ", advisory: not acted on" : "",
                Fmt.text(d.path("desired_workers")), Fmt.text(d.path("desired_cold")));
        JsonNode observed = in.path("observed_rps");
        out.printf("  load: %s req/s over the stable window, %s req/s over the panic window, %s queued;"
                        + " %s active worker(s) at %s req/s each (%s)%n", Fmt.num(in.path("stable_rate"), 1),
                Fmt.num(in.path("panic_rate"), 1), Fmt.text(in.path("queued")), Fmt.text(in.path("active_workers")),
                Fmt.num(in.path("per_worker_rps"), 1), observed.isNumber()
                        ? "observed under a standing queue; benchmark " + Fmt.num(in.path("benchmark_rps"), 1)
                        : "benchmark");
        JsonNode f = d.path("forecast");
        if (!f.isMissingNode() && !f.isNull()) {
            out.printf("  forecast over the next %s s (lead time %s s): mean %s, peak %s, p90 %s req/s%n",
                    Fmt.num(f.path("horizon_s"), 1), Fmt.num(d.path("lead_time_s"), 1), Fmt.num(f.path("mean"), 1),
                    Fmt.num(f.path("peak"), 1), Fmt.num(f.path("upper"), 1));
        }
        out.println("  reason: " + d.path("reason").asText());
        out.println();
    }

    static void printWorkers(PrintWriter out, JsonNode workers) {
        if (workers.isEmpty()) {
            out.println("No workers.");
            return;
        }
        Table t = new Table().right("ID").left("STATE").left("GPU").left("CC").left("TYPE").right("$/H").right("CAP")
                .right("IN FLIGHT").left("URL").left("REASON");
        for (JsonNode w : workers) {
            t.row(Fmt.text(w.path("id")), Fmt.text(w.path("state")), w.path("gpus").asText().isEmpty()
                            ? Fmt.text(w.path("gpu")) : Fmt.text(w.path("gpu")) + "[" + w.path("gpus").asText() + "]",
                    Fmt.text(w.path("country")), w.path("interruptible").asBoolean() ? "interruptible" : "on-demand",
                    Fmt.text(w.path("price_per_hour")), Fmt.text(w.path("capacity")),
                    Fmt.text(w.path("load").path("in_flight")), Fmt.text(w.path("url")), Fmt.text(w.path("reason")));
        }
        t.print(out);
    }

    @Command(name = "scale", description = "Set the number of workers: rent and start, or drain and release, to match.",
            footer = {"", "Example:", "  flotilla endpoint scale llama 2"})
    static final class Scale extends RentalCommands.TenantCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "N", description = "Workers wanted, between the endpoint's min and max.")
        int workers;

        Scale(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode e = api.post("/api/v1/endpoints/" + name + "/scale", Map.of("workers", workers));
            if (printedJson(e)) {
                return;
            }
            out().printf("Scaling %s to %s worker(s); follow with: flotilla workers %s%n", Fmt.text(e.path("name")),
                    Fmt.text(e.path("desired_workers")), name);
        }
    }

    @Command(name = "workers", description = "List an endpoint's workers with their state and the reason for it.")
    static final class Workers extends RentalCommands.TenantCommand {
        @Parameters(index = "0", paramLabel = "ENDPOINT")
        String endpoint;

        @Option(names = "--all", description = "Include workers that have ended (stopped, failed, preempted).")
        boolean all;

        Workers(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.get("/api/v1/endpoints/" + endpoint + "/workers", all ? Map.of("all", "true") : Map.of());
            if (printedJson(r)) {
                return;
            }
            printWorkers(out(), r.path("workers"));
        }
    }

    @Command(name = "logs", description = "Print a worker's captured log (the newest lines).")
    static final class Logs extends RentalCommands.TenantCommand {
        @Parameters(index = "0", paramLabel = "WORKER", description = "A worker id from 'flotilla workers'.")
        long worker;

        @Option(names = "--limit", defaultValue = "200", description = "Lines to show (default ${DEFAULT-VALUE}).")
        int limit;

        Logs(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.get("/api/v1/workers/" + worker + "/logs", Map.of("limit", Integer.toString(limit)));
            if (printedJson(r)) {
                return;
            }
            for (JsonNode l : r.path("lines")) {
                out().println(l.path("line").asText());
            }
        }
    }

    @Command(name = "usage", description = "Requests, tokens and worker time per endpoint (default: the last 30 days).")
    static final class Usage extends RentalCommands.TenantCommand {
        @Option(names = "--from", paramLabel = "INSTANT", description = "e.g. 2026-11-01T00:00:00Z.")
        String from;

        @Option(names = "--to", paramLabel = "INSTANT", description = "Default: now.")
        String to;

        Usage(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            Map<String, String> q = new LinkedHashMap<>();
            if (from != null) {
                q.put("from", from);
            }
            if (to != null) {
                q.put("to", to);
            }
            JsonNode r = api.get("/api/v1/usage", q);
            if (printedJson(r)) {
                return;
            }
            Table t = new Table().left("ENDPOINT").right("REQUESTS").right("FAILED").right("PROMPT").right("COMPLETION")
                    .right("WORKER S");
            for (JsonNode u : r.path("endpoints")) {
                t.row(Fmt.text(u.path("endpoint")), Fmt.text(u.path("requests")), Fmt.text(u.path("failed")),
                        Fmt.text(u.path("prompt_tokens")), Fmt.text(u.path("completion_tokens")),
                        String.format(java.util.Locale.ROOT, "%.1f", u.path("worker_seconds").asDouble()));
            }
            t.print(out());
        }
    }

    @Command(name = "list", description = "List your endpoints.")
    static final class ListEndpoints extends RentalCommands.TenantCommand {
        ListEndpoints(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.get("/api/v1/endpoints", Map.of());
            if (printedJson(r)) {
                return;
            }
            Table t = new Table().left("NAME").left("BACKEND").left("MODEL").right("MIN").right("MAX").left("ROUTING")
                    .left("REQUIREMENT");
            for (JsonNode e : r.path("endpoints")) {
                t.row(Fmt.text(e.path("name")), Fmt.text(e.path("backend")), Fmt.text(e.path("model")),
                        Fmt.text(e.path("min_workers")), Fmt.text(e.path("max_workers")), Fmt.text(e.path("routing")),
                        Fmt.text(e.path("requirement")));
            }
            t.print(out());
        }
    }

    @Command(name = "delete", description = "Delete an endpoint.")
    static final class Delete extends RentalCommands.TenantCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        Delete(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.delete("/api/v1/endpoints/" + name);
            if (printedJson(r)) {
                return;
            }
            out().println("Deleted endpoint " + name);
        }
    }
}
