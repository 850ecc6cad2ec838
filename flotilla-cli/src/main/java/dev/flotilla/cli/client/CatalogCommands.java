package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Commands that read the market: {@code search offers} and {@code show gpus}. */
final class CatalogCommands {
    private CatalogCommands() {}

    @Command(name = "offers", sortOptions = false,
            description = {"Search the market's offers with the query language vast.ai users know. QUERY words are joined"
                    + " with spaces, so 'num_gpus=1 dph<1' quoted or not means the same. The defaults verified=true"
                    + " rentable=true rented=false apply unless --no-default."},
            footer = {"", "Examples:", "  flotilla search offers 'gpu_name=RTX_4090 num_gpus>=2 reliability>0.98'",
                "  flotilla search offers 'dlperf_usd>100' -o dlperf_usd- --limit 5 --type bid"})
    static final class SearchOffers extends ClientCommand {
        @Parameters(paramLabel = "QUERY", arity = "0..*", description = "Conditions such as num_gpus=1 dph<1 gpu_name=RTX_4090.")
        List<String> query = new ArrayList<>();

        @Option(names = {"-o", "--order"}, paramLabel = "ORDER", description = "Sort keys, e.g. dph+,reliability- (default: dph+).")
        String order;

        @Option(names = "--limit", paramLabel = "N", description = "At most N offers (server default 50).")
        Integer limit;

        @Option(names = "--type", paramLabel = "TYPE", description = "Price as on-demand (default), bid or reserved.")
        String type;

        @Option(names = "--disk", paramLabel = "GB", description = "Disk to price into $/h total (server default applies).")
        BigDecimal disk;

        @Option(names = "--no-default", description = "Do not apply the default conditions (verified, rentable, not rented).")
        boolean noDefault;

        SearchOffers(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        ConnectionOptions.Role role() {
            return ConnectionOptions.Role.ANY;
        }

        @Override
        void run(ApiClient api) {
            Map<String, String> q = new LinkedHashMap<>();
            if (!query.isEmpty()) {
                q.put("q", String.join(" ", query));
            }
            if (order != null) {
                q.put("order", order);
            }
            if (limit != null) {
                q.put("limit", limit.toString());
            }
            if (type != null) {
                q.put("type", type);
            }
            if (disk != null) {
                q.put("disk", disk.toPlainString());
            }
            if (noDefault) {
                q.put("no_default", "true");
            }
            JsonNode r = api.get("/api/v1/offers", q);
            if (printedJson(r)) {
                return;
            }
            Table t = new Table().left("ID").right("N").left("GPU").right("VRAM").right("$/h").right("$/h total")
                    .right("DLP").right("DLP/$").right("REL").left("GEO").right("CUDA").right("NET up/down").right("FREE");
            for (JsonNode o : r.path("offers")) {
                t.row(Fmt.text(o.path("id")), Fmt.text(o.path("num_gpus")), Fmt.text(o.path("gpu_name")),
                        Fmt.num(o.path("gpu_ram"), 1) + " GB", Fmt.moneyFixed(o.path("dph"), 3), Fmt.moneyFixed(o.path("dph_total"), 4),
                        Fmt.num(o.path("dlperf"), 1), Fmt.num(o.path("dlperf_usd"), 1), Fmt.fixed(o.path("reliability"), 3),
                        Fmt.text(o.path("geolocation")) + "/" + Fmt.text(o.path("region")), Fmt.num(o.path("cuda_vers"), 1),
                        Fmt.num(o.path("inet_up"), 0) + "/" + Fmt.num(o.path("inet_down"), 0), Fmt.text(o.path("free_slices")));
            }
            if (!t.isEmpty()) {
                t.print(out());
            }
            out().printf("%d of %s matching offers (type %s, order %s)%n", r.path("offers").size(), Fmt.text(r.path("matches")),
                    Fmt.text(r.path("type")), Fmt.text(r.path("order")));
        }
    }

    @Command(name = "gpus", sortOptions = false, description = "Show the GPU catalog: the models machines may be listed with.")
    static final class ShowGpus extends ClientCommand {
        ShowGpus(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        ConnectionOptions.Role role() {
            return ConnectionOptions.Role.NONE;
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.get("/api/v1/gpus", Map.of());
            if (printedJson(r)) {
                return;
            }
            Table t = new Table().left("ID").left("NAME").right("VRAM").right("MEM BW").right("FP16 TF").right("FP8 TF")
                    .right("NVLINK").right("CC").right("PCIe").left("CERTAINTY");
            for (JsonNode g : r.path("gpus")) {
                t.row(Fmt.text(g.path("id")), Fmt.text(g.path("gpu_name")), Fmt.num(g.path("gpu_ram"), 1) + " GB",
                        Fmt.num(g.path("gpu_mem_bw"), 0) + " GB/s", Fmt.num(g.path("fp16_tflops"), 1),
                        Fmt.num(g.path("fp8_tflops"), 1), Fmt.num(g.path("bw_nvlink"), 0), computeCap(g.path("compute_cap")),
                        Fmt.text(g.path("pci_gen")), Fmt.text(g.path("certainty")));
            }
            t.print(out());
        }

        /** The catalog stores compute capability 8.9 as 890, as vast.ai's compute_cap does. */
        private static String computeCap(JsonNode n) {
            return n.canConvertToInt() ? n.asInt() / 100 + "." + n.asInt() % 100 / 10 : Fmt.text(n);
        }
    }
}
