package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SimulateCommandTest {
    private static final Path SHARED = Path.of(System.getProperty("flotilla.shared.data", "../../shared/data"));

    record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine(Map.of());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        dev.flotilla.cli.client.ClientCommands.configure(cl);
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void theAzureCodeTraceRunsEveryPolicyWithTheReportsFields(@TempDir Path dir) throws Exception {
        Path trace = SHARED.resolve("traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv.gz");
        Run r = run("simulate", "--trace", trace.toString(), "--format", "azure", "--json", "--report", dir.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(Files.readString(dir.resolve("results.json")));
        assertThat(rows).extracting(n -> n.get("policy").asText())
                .containsExactly("static-peak", "reactive", "predictive", "oracle");
        for (JsonNode row : rows) {
            for (String field : new String[] {"policy", "cost_usd", "gpu_hours", "requests", "ttft_slo_attainment",
                "tpot_slo_attainment", "rejected", "queue_ms_p50", "queue_ms_p99"}) {
                assertThat(row.has(field)).as(field).isTrue();
            }
            assertThat(row.get("requests").asLong()).isEqualTo(8819);
        }
        JsonNode oracle = rows.get(3);
        assertThat(rows.get(0).get("cost_usd").asDouble()).as("static peak costs more than the oracle")
                .isGreaterThan(oracle.get("cost_usd").asDouble());
        String svg = Files.readString(dir.resolve("workers.svg"));
        assertThat(svg).startsWith("<svg").contains("polyline").contains("predictive forecast")
                .contains("p99 time to first token").contains("minutes from the trace start");
        assertThat(svg.split("<polyline", -1)).as("arrivals, forecast and its bound, 4 worker and 4 latency lines")
                .hasSize(1 + 11);
        assertThat(Files.readString(dir.resolve("timeline.csv")))
                .startsWith("policy,seconds,arrivals_per_s,workers,desired,forecast_rps,forecast_upper_rps");
        assertThat(Files.readString(dir.resolve("latency.csv")))
                .startsWith("policy,seconds,requests,queue_ms_p99,ttft_ms_p99,rejected");
    }

    @Test
    void badInputIsExit2WithTheReason(@TempDir Path dir) throws Exception {
        Path trace = SHARED.resolve("traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv.gz");
        Run policy = run("simulate", "--trace", trace.toString(), "--format", "azure", "--policy", "psychic");
        assertThat(policy.exit()).isEqualTo(2);
        assertThat(policy.err()).contains("unknown policy 'psychic'").contains("reactive");

        Run format = run("simulate", "--trace", trace.toString(), "--format", "csv");
        assertThat(format.exit()).isEqualTo(2);
        assertThat(format.err()).contains("azure, mooncake, servegen, gentd");

        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "TIMESTAMP,ContextTokens,GeneratedTokens\n");
        Run none = run("simulate", "--trace", empty.toString(), "--format", "azure");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).isNotBlank();

        Path unsorted = dir.resolve("unsorted.csv");
        Files.writeString(unsorted, "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:05.0000000,10,5\n"
                + "2023-11-16 18:17:03.0000000,10,5\n");
        Run order = run("simulate", "--trace", unsorted.toString(), "--format", "azure");
        assertThat(order.exit()).isEqualTo(2);
        assertThat(order.err()).containsIgnoringCase("line 3");

        Run util = run("simulate", "--trace", trace.toString(), "--format", "azure", "--target-util", "1.5");
        assertThat(util.exit()).isEqualTo(2);
        assertThat(util.err()).contains("target_util");

        Run days = run("simulate", "--trace", trace.toString(), "--format", "azure", "--days", "0");
        assertThat(days.exit()).isEqualTo(2);
        assertThat(days.err()).contains("--days must be a number > 0, got 0");
    }

    @Test
    void anEndpointFileSetsThePolicySettingsAndABadOneIsExit2(@TempDir Path dir) throws Exception {
        Path trace = SHARED.resolve("traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv.gz");
        Path endpoint = dir.resolve("endpoint.yaml");
        Files.writeString(endpoint, "min_workers: 2\nmax_workers: 2\ncapacity: on-demand\n");
        Run r = run("simulate", "--trace", trace.toString(), "--format", "azure", "--endpoint", endpoint.toString(),
                "--policy", "reactive", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode row = new ObjectMapper().readTree(r.out()).get(0);
        // two on-demand workers ($2.50/h) from the first tick to the end of the hour, never preempted
        assertThat(row.get("gpu_hours").asDouble()).isBetween(1.9, 2.0);
        assertThat(row.get("on_demand_gpu_hours").asDouble()).isEqualTo(row.get("gpu_hours").asDouble());
        assertThat(row.get("cost_usd").asDouble()).isCloseTo(2.5 * row.get("gpu_hours").asDouble(),
                org.assertj.core.data.Offset.offset(0.01));
        assertThat(row.get("preemptions").asLong()).isZero();

        // the command line wins over the file
        Run wider = run("simulate", "--trace", trace.toString(), "--format", "azure", "--endpoint", endpoint.toString(),
                "--policy", "reactive", "--max-workers", "1");
        assertThat(wider.exit()).isEqualTo(2);
        assertThat(wider.err()).contains("min_workers (2) must not exceed max_workers (1)");

        Files.writeString(endpoint, "max_workers: 4\ntarget_utilisation: 0.5\n");
        Run bad = run("simulate", "--trace", trace.toString(), "--format", "azure", "--endpoint", endpoint.toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown key 'target_utilisation'").contains("target_util");

        Run missing = run("simulate", "--trace", trace.toString(), "--format", "azure", "--endpoint",
                dir.resolve("nope.yaml").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.yaml");
    }
}
