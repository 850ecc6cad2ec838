package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla endpoint create|show|list|delete}: a tenant's serverless endpoints. */
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
            e.properties().forEach(p -> kv.row(p.getKey(), Fmt.text(p.getValue())));
            kv.printRows(out);
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
