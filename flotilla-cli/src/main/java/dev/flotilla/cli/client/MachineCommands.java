package dev.flotilla.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** A host's machines: list one on the market, unlist, relist, schedule maintenance, show. */
final class MachineCommands {
    private MachineCommands() {}

    /** Base of the host's commands; they present the host token. */
    abstract static class HostCommand extends ClientCommand {
        HostCommand(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        final ConnectionOptions.Role role() {
            return ConnectionOptions.Role.HOST;
        }
    }

    @Command(name = "machine", sortOptions = false,
            description = "List a machine on the market. Prices are per GPU-hour; the machine is offered in slices of"
                    + " --min-gpus GPUs and up. Options shown without brackets are required.",
            footer = {"", "Example:",
                "  flotilla list machine --gpu RTX_4090 --gpus 2 --cpu-cores 16 --cpu-ram 64 \\",
                "      --disk 1000 --inet-up 1000 --inet-down 1000 --country US --region us-east \\",
                "      --cuda 12.4 --driver 550.54.15 --price 0.40 --min-bid 0.20"})
    static final class ListMachine extends HostCommand {
        @Option(names = "--gpu", required = true, paramLabel = "NAME", description = "GPU model, e.g. RTX_4090 (see 'flotilla show gpus').")
        String gpu;

        @Option(names = "--gpu-ram", paramLabel = "GB", description = "GPU memory, to pick among a model's variants.")
        BigDecimal gpuRam;

        @Option(names = "--gpus", required = true, paramLabel = "N", description = "Number of GPUs (1-16).")
        int gpus;

        @Option(names = "--cpu-cores", required = true, paramLabel = "N", description = "CPU cores.")
        BigDecimal cpuCores;

        @Option(names = "--cpu-ram", required = true, paramLabel = "GB", description = "System memory in GB.")
        BigDecimal cpuRam;

        @Option(names = "--cpu-arch", paramLabel = "ARCH", description = "x86_64 (server default) or arm64.")
        String cpuArch;

        @Option(names = "--disk", required = true, paramLabel = "GB", description = "Disk space in GB.")
        BigDecimal disk;

        @Option(names = "--disk-bw", paramLabel = "MB/S", description = "Disk bandwidth in MB/s (server default 1000).")
        BigDecimal diskBw;

        @Option(names = "--inet-up", required = true, paramLabel = "MBPS", description = "Upload bandwidth in Mbit/s.")
        BigDecimal inetUp;

        @Option(names = "--inet-down", required = true, paramLabel = "MBPS", description = "Download bandwidth in Mbit/s.")
        BigDecimal inetDown;

        @Option(names = "--country", required = true, paramLabel = "CC", description = "ISO country code, e.g. US.")
        String country;

        @Option(names = "--region", required = true, paramLabel = "R", description = "Region, e.g. us-east.")
        String region;

        @Option(names = "--cuda", required = true, paramLabel = "V", description = "Highest CUDA version supported, e.g. 12.4.")
        BigDecimal cuda;

        @Option(names = "--driver", required = true, paramLabel = "V", description = "NVIDIA driver version, e.g. 550.54.15.")
        String driver;

        @Option(names = "--price", required = true, paramLabel = "$/GPU-h", description = "On-demand price per GPU-hour.")
        BigDecimal price;

        @Option(names = "--min-bid", required = true, paramLabel = "$/GPU-h", description = "Lowest bid accepted per GPU-hour.")
        BigDecimal minBid;

        @Option(names = "--storage-price", paramLabel = "$/GB-month", description = "Disk price per GB-month (default 0).")
        BigDecimal storagePrice;

        @Option(names = "--bandwidth-price", paramLabel = "$/TB", description = "Bandwidth price per TB (default 0).")
        BigDecimal bandwidthPrice;

        @Option(names = "--min-gpus", paramLabel = "N", description = "Smallest slice offered (default 1).")
        Integer minGpus;

        @Option(names = "--end-date", paramLabel = "YYYY-MM-DD", description = "Last day the machine is offered.")
        String endDate;

        @Option(names = "--datacenter", description = "The machine is in a datacenter.")
        boolean datacenter;

        @Option(names = "--static-ip", description = "The machine has a static IP address.")
        boolean staticIp;

        @Option(names = "--ports", paramLabel = "N", description = "Number of directly reachable ports (default 0).")
        Integer ports;

        @Option(names = "--reserved-discount-bps", paramLabel = "N",
                description = "Discount for reserved rentals in basis points (server default 2000 = 20%%).")
        Integer reservedDiscountBps;

        ListMachine(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("gpu_name", gpu);
            putIfSet(b, "gpu_ram", gpuRam);
            b.put("num_gpus", gpus);
            b.put("cpu_cores", cpuCores);
            b.put("cpu_ram", cpuRam);
            putIfSet(b, "cpu_arch", cpuArch);
            b.put("disk_space", disk);
            putIfSet(b, "disk_bw", diskBw);
            b.put("inet_up", inetUp);
            b.put("inet_down", inetDown);
            putIfSet(b, "direct_port_count", ports);
            b.put("static_ip", staticIp);
            b.put("country", country);
            b.put("region", region);
            b.put("cuda_vers", cuda);
            b.put("driver_version", driver);
            b.put("price_per_gpu_hour", price);
            b.put("min_bid_per_gpu_hour", minBid);
            putIfSet(b, "storage_per_gb_month", storagePrice);
            putIfSet(b, "bandwidth_per_tb", bandwidthPrice);
            putIfSet(b, "reserved_discount_bps", reservedDiscountBps);
            putIfSet(b, "min_gpus", minGpus);
            putIfSet(b, "end_date", endDate);
            b.put("datacenter", datacenter);
            JsonNode m = api.post("/api/v1/machines", b);
            if (printedJson(m)) {
                return;
            }
            out().printf("Listed machine %s: %sx %s at %s/GPU-h (min bid %s/GPU-h) in %s %s%n", Fmt.text(m.path("id")),
                    Fmt.text(m.path("num_gpus")), Fmt.text(m.path("gpu_model")), Fmt.money(m.path("price_per_gpu_hour")),
                    Fmt.money(m.path("min_bid_per_gpu_hour")), Fmt.text(m.path("country")), Fmt.text(m.path("region")));
        }

        private static void putIfSet(Map<String, Object> body, String field, Object value) {
            if (value != null) {
                body.put(field, value);
            }
        }
    }

    /** unlist and relist. */
    abstract static class SetListed extends HostCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The machine.")
        long id;

        SetListed(ClientEnvironment environment) {
            super(environment);
        }

        abstract String action();

        @Override
        final void run(ApiClient api) {
            JsonNode m = api.post("/api/v1/machines/" + id + "/" + action());
            if (printedJson(m)) {
                return;
            }
            out().printf("Machine %d is %s%n", id, m.path("listed").asBoolean()
                    ? "listed: its free GPUs are on offer" : "unlisted: running rentals go on, no new ones start");
        }
    }

    @Command(name = "machine", description = "Take a machine off the market; its running rentals go on.")
    static final class UnlistMachine extends SetListed {
        UnlistMachine(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        String action() {
            return "unlist";
        }
    }

    @Command(name = "machine", description = "Put an unlisted machine back on the market.")
    static final class RelistMachine extends SetListed {
        RelistMachine(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        String action() {
            return "list";
        }
    }

    @Command(name = "maintenance", sortOptions = false, description = "Schedule a maintenance window: the machine is off offer during it.",
            footer = {"", "Example:", "  flotilla schedule maintenance 7 --start 2027-01-10T02:00:00Z \\",
                "      --end 2027-01-10T06:00:00Z"})
    static final class ScheduleMaintenance extends HostCommand {
        @Parameters(index = "0", paramLabel = "MACHINE_ID", description = "The machine.")
        long id;

        @Option(names = "--start", required = true, paramLabel = "ISO", description = "Start, e.g. 2027-01-10T02:00:00Z or 2027-01-10.")
        String start;

        @Option(names = "--end", required = true, paramLabel = "ISO", description = "End (at most 30 days after the start).")
        String end;

        ScheduleMaintenance(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode m = api.post("/api/v1/machines/" + id + "/maintenance", Map.of("start", start, "end", end));
            if (printedJson(m)) {
                return;
            }
            out().printf("Scheduled maintenance on machine %d from %s to %s (%d window(s) scheduled)%n", id, start, end,
                    m.path("maintenance").size());
        }
    }

    @Command(name = "machines", description = "Show your machines.")
    static final class ShowMachines extends HostCommand {
        ShowMachines(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode r = api.get("/api/v1/machines", Map.of());
            if (printedJson(r)) {
                return;
            }
            if (r.path("machines").isEmpty()) {
                out().println("No machines; list one with 'flotilla list machine'.");
                return;
            }
            Table t = new Table().left("ID").left("GPU").right("N").left("LISTED").right("$/GPU-h").right("MIN BID")
                    .right("DISK").right("NET up/down").left("GEO").right("REL").left("LAST HEARTBEAT").right("MAINT");
            for (JsonNode m : r.path("machines")) {
                t.row(Fmt.text(m.path("id")), Fmt.text(m.path("gpu_model")), Fmt.text(m.path("num_gpus")),
                        Fmt.yesNo(m.path("listed")), Fmt.money(m.path("price_per_gpu_hour"), 4),
                        Fmt.money(m.path("min_bid_per_gpu_hour"), 4), Fmt.num(m.path("disk_space"), 0) + " GB",
                        Fmt.num(m.path("inet_up"), 0) + "/" + Fmt.num(m.path("inet_down"), 0),
                        Fmt.text(m.path("country")) + "/" + Fmt.text(m.path("region")), Fmt.fixed(m.path("reliability"), 3),
                        Fmt.instant(m.path("last_heartbeat")), m.path("maintenance").size());
            }
            t.print(out());
        }
    }

    @Command(name = "machine", description = "Show one of your machines with its maintenance windows.")
    static final class ShowMachine extends HostCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The machine.")
        long id;

        ShowMachine(ClientEnvironment environment) {
            super(environment);
        }

        @Override
        void run(ApiClient api) {
            JsonNode m = api.get("/api/v1/machines/" + id, Map.of());
            if (printedJson(m)) {
                return;
            }
            PrintWriter out = out();
            Table kv = new Table().left("").left("");
            kv.row("id", Fmt.text(m.path("id")));
            kv.row("gpus", Fmt.text(m.path("num_gpus")) + "x " + Fmt.text(m.path("gpu_model")) + " (slices of "
                    + Fmt.text(m.path("min_gpus")) + " and up)");
            kv.row("listed", Fmt.yesNo(m.path("listed")));
            kv.row("cpu", Fmt.num(m.path("cpu_cores"), 1) + " cores " + Fmt.text(m.path("cpu_arch")) + ", "
                    + Fmt.num(m.path("cpu_ram"), 1) + " GB RAM");
            kv.row("disk", Fmt.num(m.path("disk_space"), 1) + " GB at " + Fmt.num(m.path("disk_bw"), 0) + " MB/s");
            kv.row("network", Fmt.num(m.path("inet_up"), 0) + "/" + Fmt.num(m.path("inet_down"), 0) + " Mbit/s up/down, "
                    + Fmt.text(m.path("direct_port_count")) + " port(s)" + (m.path("static_ip").asBoolean() ? ", static IP" : ""));
            kv.row("location", Fmt.text(m.path("country")) + " " + Fmt.text(m.path("region"))
                    + (m.path("datacenter").asBoolean() ? " (datacenter)" : ""));
            kv.row("software", "CUDA " + Fmt.num(m.path("cuda_vers"), 1) + ", driver " + Fmt.text(m.path("driver_version")));
            kv.row("price", Fmt.money(m.path("price_per_gpu_hour")) + "/GPU-h, min bid "
                    + Fmt.money(m.path("min_bid_per_gpu_hour")) + "/GPU-h");
            kv.row("storage", Fmt.money(m.path("storage_per_gb_month")) + "/GB-month");
            kv.row("bandwidth", Fmt.money(m.path("bandwidth_per_tb")) + "/TB");
            kv.row("reserved discount", Fmt.text(m.path("reserved_discount_bps")) + " bps");
            kv.row("end date", Fmt.instant(m.path("end_date")));
            kv.row("verified", Fmt.yesNo(m.path("verified")));
            kv.row("reliability", Fmt.fixed(m.path("reliability"), 3));
            kv.row("last heartbeat", Fmt.instant(m.path("last_heartbeat")));
            kv.printRows(out);
            out.println();
            if (m.path("maintenance").isEmpty()) {
                out.println("No maintenance scheduled.");
                return;
            }
            out.println("Maintenance:");
            Table t = new Table().left("ID").left("START").left("END");
            for (JsonNode w : m.path("maintenance")) {
                t.row(Fmt.text(w.path("id")), Fmt.instant(w.path("start")), Fmt.instant(w.path("end")));
            }
            t.print(out);
        }
    }
}
