package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla plan}: ranks GPU configurations of the live market for a model and workload
 * (POST /api/v1/plan) and prints them best first, with what other precisions would buy and, with
 * {@code --mix}, the cheapest heterogeneous mix.
 */
@Command(name = "plan", sortOptions = false, description = "Rank GPU configurations for a model and workload by cost per"
        + " million tokens at the SLO, against the live market.")
final class PlanCommand extends ClientCommand {
    @Option(names = "--model", description = "Catalog model id, e.g. Llama-3.1-8B, Llama-3.1-70B, Qwen2.5-7B.")
    String model;

    @Option(names = "--config", description = "A Hugging Face config.json file, instead of --model.")
    Path config;

    @Option(names = "--precision", defaultValue = "bf16", description = "Weight precision: bf16, fp8, int8, int4 (default"
            + " ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--kv-bits", defaultValue = "16", description = "KV-cache bits per channel: 16, 8, 4, 3.5, 2.5 (default"
            + " ${DEFAULT-VALUE}).")
    double kvBits;

    @Option(names = "--input-tokens", required = true, description = "Mean prompt length in tokens.")
    double inputTokens;

    @Option(names = "--output-tokens", required = true, description = "Mean completion length in tokens.")
    double outputTokens;

    @Option(names = "--rps", required = true, description = "Requests per second to serve.")
    double rps;

    @Option(names = "--ttft-ms", required = true, description = "Time-to-first-token target in ms.")
    double ttftMs;

    @Option(names = "--tpot-ms", required = true, description = "Time-per-output-token target in ms.")
    double tpotMs;

    @Option(names = "--percentile", defaultValue = "90", description = "SLO percentile for TTFT: 50, 90, 99 (default"
            + " ${DEFAULT-VALUE}).")
    int percentile;

    @Option(names = "--burstiness", defaultValue = "1", description = "CV of inter-arrival times; 1 is Poisson (default"
            + " ${DEFAULT-VALUE}).")
    double burstiness;

    @Option(names = "--capacity", defaultValue = "on-demand", description = "Price with on-demand or interruptible"
            + " capacity (default ${DEFAULT-VALUE}).")
    String capacity;

    @Option(names = "--country", description = "Only offers in these countries (repeatable).")
    List<String> countries = new ArrayList<>();

    @Option(names = "--budget", description = "Cap on $/h.")
    String budget;

    @Option(names = "--mix", description = "Also solve the cheapest heterogeneous mix over request-size buckets.")
    boolean mix;

    @Option(names = "--bucket", description = "A bucket for --mix as NAME:INPUT:OUTPUT:RPS (repeatable; default: the"
            + " workload split short/medium/long).")
    List<String> buckets = new ArrayList<>();

    @Option(names = "--limit", defaultValue = "15", description = "Candidates to show (default ${DEFAULT-VALUE}).")
    int limit;

    PlanCommand(ClientEnvironment environment) {
        super(environment);
    }

    @Override
    ConnectionOptions.Role role() {
        return ConnectionOptions.Role.ANY;
    }

    @Override
    void run(ApiClient api) {
        Map<String, Object> body = new LinkedHashMap<>();
        if ((model == null) == (config == null)) {
            throw new CliException(CliException.USAGE, "give exactly one of --model ID or --config FILE");
        }
        if (model != null) {
            body.put("model", model);
        } else {
            try {
                body.put("config", new ObjectMapper().readTree(Files.readString(config)));
            } catch (IOException e) {
                throw new CliException(CliException.USAGE, "cannot read config.json " + config + ": " + e.getMessage());
            }
            Path dir = config.toAbsolutePath().getParent();
            body.put("name", dir == null ? "custom" : dir.getFileName().toString());
        }
        body.put("precision", precision);
        body.put("kv_bits", kvBits);
        body.put("input_tokens", inputTokens);
        body.put("output_tokens", outputTokens);
        body.put("rps", rps);
        body.put("ttft_ms", ttftMs);
        body.put("tpot_ms", tpotMs);
        body.put("percentile", percentile);
        body.put("burstiness", burstiness);
        body.put("capacity", capacity);
        if (!countries.isEmpty()) {
            body.put("countries", countries);
        }
        if (budget != null) {
            body.put("budget", budget);
        }
        body.put("mix", mix);
        if (!buckets.isEmpty()) {
            List<Map<String, Object>> bs = new ArrayList<>();
            for (String b : buckets) {
                String[] parts = b.split(":");
                if (parts.length != 4) {
                    throw new CliException(CliException.USAGE, "--bucket must be NAME:INPUT:OUTPUT:RPS, got '" + b + "'");
                }
                try {
                    bs.add(Map.of("name", parts[0], "input_tokens", Double.parseDouble(parts[1]), "output_tokens",
                            Double.parseDouble(parts[2]), "rps", Double.parseDouble(parts[3])));
                } catch (NumberFormatException e) {
                    throw new CliException(CliException.USAGE, "--bucket numbers must be numbers, got '" + b + "'");
                }
            }
            body.put("buckets", bs);
        }
        body.put("limit", limit);
        JsonNode r = api.post("/api/v1/plan", body);
        if (printedJson(r)) {
            return;
        }
        print(r, out());
    }

    static void print(JsonNode r, PrintWriter out) {
        JsonNode w = r.path("workload");
        JsonNode slo = r.path("slo");
        out.printf("Plan for %s (%s weights, %s KV): %s in / %s out tokens at %s req/s; SLO TTFT %s ms (p%s), %s ms/token;"
                        + " %s prices%n", Fmt.text(r.path("model")), Fmt.text(r.path("weights")), Fmt.text(r.path("kv")),
                Fmt.num(w.path("input_tokens"), 0), Fmt.num(w.path("output_tokens"), 0), Fmt.num(w.path("rps"), 2),
                Fmt.num(slo.path("ttft_ms"), 0), Fmt.text(slo.path("percentile")), Fmt.num(slo.path("tpot_ms"), 1),
                Fmt.text(r.path("capacity")));
        Table t = new Table().right("#").left("GPU").right("N").right("TP").right("KV TOKENS").right("TTFT ms")
                .right("TPOT ms").right("tok/s/rental").right("RENTALS").right("$/h").right("$/Mtok").left("REASON");
        int i = 1;
        for (JsonNode c : r.path("candidates")) {
            boolean ok = c.path("reason").isNull() || c.path("reason").isMissingNode();
            t.row(ok ? Integer.toString(i++) : "-", gpuName(c), Fmt.text(c.path("gpus")),
                    Fmt.text(c.path("tensor_parallel")), c.path("fits").asBoolean() ? Fmt.text(c.path("kv_tokens")) : "no fit",
                    Fmt.num(c.path("ttft_ms"), 0), Fmt.num(c.path("tpot_ms"), 1), Fmt.num(c.path("throughput_tokens_per_s"), 0),
                    c.path("rentals").asInt() == 0 ? Fmt.NONE : Fmt.text(c.path("rentals")), Fmt.money(c.path("cost_per_hour")),
                    Fmt.money(c.path("cost_per_million_tokens"), 4), ok ? "" : Fmt.text(c.path("reason")));
        }
        t.print(out);
        out.printf("%s of %s configurations meet the SLO within the market%s%n", Fmt.text(r.path("accepted")),
                Fmt.text(r.path("considered")), r.path("accepted").asInt() == 0 ? "" : "; TTFT/TPOT at the load each carries");
        if (!r.path("advice").isNull() && !r.path("advice").isMissingNode()) {
            out.println("Advice: " + r.path("advice").asText());
        }
        if (r.path("variants").size() > 0) {
            out.println();
            out.println("What other precisions buy (best configuration, and the cheapest on GeForce cards):");
            Table v = new Table().left("WEIGHTS").left("KV").right("WEIGHT GB").left("BEST").right("$/Mtok").left("CONSUMER")
                    .right("$/Mtok");
            for (JsonNode x : r.path("variants")) {
                v.row(Fmt.text(x.path("weights")), Fmt.text(x.path("kv")), Fmt.num(x.path("weight_gb"), 1), label(x.path("best")),
                        Fmt.money(x.path("best").path("cost_per_million_tokens"), 4), label(x.path("cheapest_consumer")),
                        Fmt.money(x.path("cheapest_consumer").path("cost_per_million_tokens"), 4));
            }
            v.print(out);
        }
        JsonNode mix = r.path("mix");
        if (!mix.isMissingNode()) {
            out.println();
            if (!mix.path("feasible").asBoolean()) {
                out.println("Mix: infeasible: " + Fmt.text(mix.path("reason")));
                return;
            }
            List<String> parts = new ArrayList<>();
            mix.path("instances").properties().forEach(e -> {
                if (e.getValue().asInt() > 0) {
                    parts.add(e.getValue().asInt() + "x " + e.getKey());
                }
            });
            out.printf("Mix over %d buckets: %s = %s/h (%s/Mtok); best single type %s at %s/h; saving %s%%%n",
                    mix.path("buckets").size(), String.join(" + ", parts), Fmt.money(mix.path("cost_per_hour")),
                    Fmt.money(mix.path("cost_per_million_tokens"), 4), Fmt.text(mix.path("best_single_option")),
                    Fmt.money(mix.path("best_single_cost_per_hour")), Fmt.num(mix.path("saving").isNumber()
                            ? new com.fasterxml.jackson.databind.node.DoubleNode(mix.path("saving").asDouble() * 100)
                            : mix.path("saving"), 1));
        }
    }

    private static String label(JsonNode c) {
        if (c.isNull() || c.isMissingNode()) {
            return Fmt.NONE;
        }
        int tp = c.path("tensor_parallel").asInt();
        return c.path("gpus").asInt() + "x " + gpuName(c) + (tp > 1 ? " tp" + tp : "");
    }

    /** The market name with the memory size: two A100 SXM4 variants share a market name. */
    private static String gpuName(JsonNode c) {
        return c.path("gpu").asText() + " " + Fmt.num(c.path("gpu_ram"), 0) + "GB";
    }
}
