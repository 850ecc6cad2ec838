package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flotilla endpoint create|show|scale|list|delete}, {@code flotilla workers ENDPOINT},
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
            JsonNode e = api.post("/api/v1/endpoints", body);
            if (printedJson(e)) {
                return;
            }
            out().printf("Created endpoint %s (%s backend serving %s; %s-%s workers; routing %s)%n", Fmt.text(e.path("name")),
                    Fmt.text(e.path("backend")), Fmt.text(e.path("model")), Fmt.text(e.path("min_workers")),
                    Fmt.text(e.path("max_workers")), Fmt.text(e.path("routing")));
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
                if (!p.getKey().equals("workers")) {
                    kv.row(p.getKey(), Fmt.text(p.getValue()));
                }
            });
            kv.printRows(out);
            out.println();
            printWorkers(out, e.path("workers"));
        }
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
