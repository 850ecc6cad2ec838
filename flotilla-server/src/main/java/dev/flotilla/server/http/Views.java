package dev.flotilla.server.http;

import dev.flotilla.core.Money;
import dev.flotilla.market.gpu.GpuSpec;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.market.machine.MaintenanceWindow;
import dev.flotilla.market.machine.Reliability;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.query.QueryField;
import dev.flotilla.market.query.SearchContext;
import dev.flotilla.market.rental.Rental;
import dev.flotilla.server.market.MarketService;
import dev.flotilla.server.serving.ServingService;
import dev.flotilla.store.EventRepo;
import dev.flotilla.store.Principal;
import dev.flotilla.store.UsageRepo;
import dev.flotilla.store.WorkerRepo;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How resources look on the wire: snake_case keys, money as exact decimal dollars, instants as
 * ISO-8601. Offers use the query language's field names, so what a search shows is what a query
 * can filter on.
 */
final class Views {
    private Views() {}

    static BigDecimal dollars(Money m) {
        return m.toDollars();
    }

    static double round(double v, int digits) {
        if (!Double.isFinite(v)) {
            return v;
        }
        return BigDecimal.valueOf(v).setScale(digits, java.math.RoundingMode.HALF_EVEN).doubleValue();
    }

    static Object finiteOrNull(double v, int digits) {
        return Double.isFinite(v) ? round(v, digits) : null;
    }

    static Map<String, Object> offer(Offer o, SearchContext ctx) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", o.id());
        m.put("machine_id", o.machineId());
        m.put("host_id", o.hostId());
        m.put("num_gpus", o.numGpus());
        m.put("gpu_name", o.gpuName());
        m.put("gpu_ram", o.gpuRamGb());
        m.put("gpu_total_ram", o.gpuTotalRamGb());
        m.put("gpu_mem_bw", o.gpuMemBwGbs());
        m.put("gpu_frac", round(o.gpuFrac(), 4));
        m.put("compute_cap", o.computeCap());
        m.put("total_flops", round(o.totalFlops(), 2));
        m.put("bw_nvlink", o.bwNvlinkGbs());
        m.put("cpu_cores", o.cpuCores());
        m.put("cpu_cores_effective", round(o.cpuCoresEffective(), 2));
        m.put("cpu_ram", round(o.cpuRamGb(), 2));
        m.put("cpu_arch", o.cpuArch());
        m.put("disk_space", round(o.diskSpaceGb(), 2));
        m.put("disk_bw", o.diskBwMbs());
        m.put("pci_gen", o.pciGen());
        m.put("pcie_bw", o.pcieBwGbs());
        m.put("inet_up", o.inetUpMbps());
        m.put("inet_down", o.inetDownMbps());
        m.put("direct_port_count", o.directPortCount());
        m.put("static_ip", o.staticIp());
        m.put("rental_type", ctx.type().wireName());
        m.put("dph", dollars(o.pricePerHour(ctx.type())));
        m.put("dph_total", dollars(o.totalPerHour(ctx.type(), ctx.diskGb())));
        m.put("min_bid", dollars(o.minBidPerHour()));
        m.put("storage_cost", dollars(o.storagePerGbMonth()));
        m.put("bandwidth_cost_per_tb", dollars(o.bandwidthPerTb()));
        m.put("reliability", round(o.reliability(), 4));
        m.put("verified", o.verified());
        m.put("datacenter", o.datacenter());
        m.put("external", o.external());
        m.put("geolocation", o.country());
        m.put("region", o.region());
        m.put("cuda_vers", o.cudaVersion());
        m.put("driver_version", o.driverVersion());
        m.put("duration", finiteOrNull(o.durationDays(), 2));
        m.put("dlperf", round(o.dlperf(), 2));
        m.put("dlperf_usd", finiteOrNull(QueryField.DLPERF_USD.numeric(o, ctx), 2));
        m.put("flops_usd", finiteOrNull(QueryField.FLOPS_USD.numeric(o, ctx), 2));
        m.put("rentable", o.rentable());
        m.put("rented", o.rented());
        m.put("free_slices", o.freeSlices());
        m.put("preemptible_slices", o.preemptibleSlices());
        return m;
    }

    static Map<String, Object> machine(Machine x, Instant now, Duration heartbeatTimeout, List<MaintenanceWindow> windows) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", x.id());
        m.put("host_id", x.hostId());
        m.put("gpu_model", x.gpuModelId());
        m.put("num_gpus", x.numGpus());
        m.put("cpu_cores", x.cpuCores());
        m.put("cpu_ram", x.cpuRamGb());
        m.put("cpu_arch", x.cpuArch());
        m.put("disk_space", x.diskGb());
        m.put("disk_bw", x.diskBwMbs());
        m.put("inet_up", x.inetUpMbps());
        m.put("inet_down", x.inetDownMbps());
        m.put("direct_port_count", x.directPortCount());
        m.put("static_ip", x.staticIp());
        m.put("country", x.country());
        m.put("region", x.region());
        m.put("cuda_vers", x.cudaVersion());
        m.put("driver_version", x.driverVersion());
        m.put("price_per_gpu_hour", dollars(x.pricePerGpuHour()));
        m.put("min_bid_per_gpu_hour", dollars(x.minBidPerGpuHour()));
        m.put("storage_per_gb_month", dollars(x.storagePerGbMonth()));
        m.put("bandwidth_per_tb", dollars(x.bandwidthPerTb()));
        m.put("reserved_discount_bps", x.reservedDiscountBps());
        m.put("min_gpus", x.minGpus());
        m.put("end_date", x.endsAt().map(Instant::toString).orElse(null));
        m.put("verified", x.verified());
        m.put("datacenter", x.datacenter());
        m.put("listed", x.listed());
        m.put("reliability", round(Reliability.score(x.reliability(), now, heartbeatTimeout), 4));
        m.put("last_heartbeat", x.reliability().lastHeartbeat().map(Instant::toString).orElse(null));
        m.put("maintenance", windows.stream().map(w -> Map.of("id", w.id(), "start", w.startsAt().toString(),
                "end", w.endsAt().toString())).toList());
        return m;
    }

    static Map<String, Object> rental(Rental r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("offer_id", r.offerId());
        m.put("machine_id", r.machineId());
        m.put("type", r.type().wireName());
        m.put("state", r.state().wireName());
        m.put("state_reason", r.stateReason());
        m.put("num_gpus", r.numGpus());
        m.put("gpus", r.firstGpu().isPresent()
                ? java.util.stream.IntStream.range(r.firstGpu().getAsInt(), r.firstGpu().getAsInt() + r.numGpus()).boxed().toList()
                : List.of());
        m.put("price_per_hour", dollars(r.pricePerHour()));
        m.put("prepaid", dollars(r.prepaid()));
        m.put("reserved_until", r.reservedUntil().map(Instant::toString).orElse(null));
        m.put("disk_gb", r.diskGb());
        m.put("created_at", r.createdAt().toString());
        m.put("ended_at", r.endedAt().map(Instant::toString).orElse(null));
        m.put("metered_until", r.meter().meteredUntil().toString());
        m.put("gpu_seconds", r.meter().gpuSeconds());
        m.put("gpu_charged", dollars(Money.ofMicros(r.meter().gpuChargedMicros())));
        m.put("storage_charged", dollars(Money.ofMicros(r.meter().storageChargedMicros())));
        m.put("bandwidth_bytes", r.bandwidthBytes());
        m.put("bandwidth_charged", dollars(Money.ofMicros(r.bandwidthChargedMicros())));
        m.put("total_charged", dollars(Money.ofMicros(r.meter().gpuChargedMicros() + r.meter().storageChargedMicros()
                + r.bandwidthChargedMicros()).plus(r.prepaid())));
        return m;
    }

    static Map<String, Object> event(EventRepo.Event e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("rental_id", e.rentalId());
        m.put("at", e.at().toString());
        m.put("kind", e.kind());
        m.put("detail", e.detail());
        return m;
    }

    static Map<String, Object> principal(Principal p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.id());
        m.put("kind", p.kind().wireName());
        m.put("name", p.name());
        m.put("external", p.external());
        return m;
    }

    static Map<String, Object> statement(MarketService.Statement s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("account", s.account());
        m.put("period", s.period().toString());
        m.put("lines", s.lines().stream().map(l -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("rental_id", l.rentalId());
            x.put("kind", l.kind());
            x.put("amount", dollars(l.amount()));
            return x;
        }).toList());
        m.put("total", dollars(s.total()));
        m.put("credits", dollars(s.credits()));
        m.put("balance", dollars(s.balance()));
        return m;
    }

    static Map<String, Object> endpoint(dev.flotilla.store.EndpointRepo.Row e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("name", e.name());
        m.put("backend", e.backend());
        m.put("model", e.model());
        m.put("requirement", e.requirement());
        m.put("capacity", e.capacity());
        m.put("min_workers", e.minWorkers());
        m.put("max_workers", e.maxWorkers());
        m.put("cold_workers", e.coldWorkers());
        m.put("desired_workers", e.desiredWorkers());
        m.put("desired_cold", e.desiredCold());
        m.put("max_queue_ms", e.maxQueueMs());
        m.put("inactivity_timeout_s", e.inactivityTimeoutS());
        m.put("routing", e.routing());
        m.put("created_at", e.createdAt().toString());
        m.put("scale_note", e.scaleNote());
        m.put("policy", e.scaling().policy());
        m.put("advisory", e.scaling().advisory());
        m.put("min_load", e.scaling().minLoad());
        m.put("target_util", e.scaling().targetUtil());
        m.put("cold_mult", e.scaling().coldMult());
        m.put("target_queue_ms", e.scaling().targetQueueMs());
        m.put("decision", decision(e.scaleDecision()));
        return m;
    }

    /** The stored decision as a JSON object; null before the policy's first decision. */
    private static Object decision(String json) {
        if (json.isEmpty()) {
            return null;
        }
        try {
            return DECISIONS.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("stored scale decision is not JSON: " + json, e);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper DECISIONS = new com.fasterxml.jackson.databind.ObjectMapper();

    static Map<String, Object> worker(WorkerRepo.Worker w) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", w.id());
        m.put("endpoint", w.endpointName());
        m.put("state", w.state().wireName());
        m.put("reason", w.reason());
        m.put("replaces", w.replaces().orElse(null));
        m.put("cold", w.cold());
        m.put("resumed_from", w.resumedFrom().orElse(null));
        m.put("since", w.stateSince().toString());
        m.put("rental_id", w.rentalId());
        m.put("machine_id", w.machineId());
        m.put("gpu", w.gpuModelId());
        m.put("gpus", w.gpuIndexes());
        m.put("country", w.country());
        m.put("interruptible", w.interruptible());
        m.put("price_per_hour", dollars(Money.ofMicros(w.pricePerHourMicros())));
        m.put("url", w.url());
        m.put("capacity", w.capacity());
        m.put("requests_per_s", w.requestsPerSecond());
        m.put("tokens_per_s", w.tokensPerSecond());
        m.put("load", Map.of("in_flight", w.load().inFlight(), "waiting", w.load().waiting(), "kv_use", w.load().kvUse(),
                "tokens_per_s", w.load().tokensPerSecond()));
        m.put("created_at", w.createdAt().toString());
        m.put("ready_at", w.readyAt().map(Object::toString).orElse(null));
        m.put("last_report_at", w.lastReportAt().map(Object::toString).orElse(null));
        return m;
    }

    static Map<String, Object> assignment(ServingService.Assignment a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", Long.toString(a.worker().id()));
        m.put("endpoint_id", a.endpointId());
        m.put("endpoint", a.worker().endpointName());
        m.put("backend", a.backend());
        m.put("model", a.model());
        m.put("gpu", a.worker().gpuModelId());
        m.put("gpus", ServingService.gpuIndexes(a.worker().gpuIndexes()));
        m.put("desired", a.desired());
        m.put("state", a.worker().state().wireName());
        m.put("key", a.key());
        // A worker resumed from a cold one runs on the same stopped-and-started rental: the agent
        // reuses that benchmark instead of measuring again.
        a.resumedFrom().filter(p -> p.capacity() > 0).ifPresent(p -> {
            Map<String, Object> known = new LinkedHashMap<>();
            known.put("capacity", p.capacity());
            known.put("requests_per_s", p.requestsPerSecond());
            known.put("tokens_per_s", p.tokensPerSecond());
            m.put("known_capacity", known);
        });
        return m;
    }

    static Map<String, Object> usage(UsageRepo.Summary u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("endpoint", u.endpointName());
        m.put("requests", u.requests());
        m.put("failed", u.failed());
        m.put("prompt_tokens", u.promptTokens());
        m.put("completion_tokens", u.completionTokens());
        m.put("total_tokens", u.promptTokens() + u.completionTokens());
        m.put("worker_seconds", u.workerMicros() / 1e6);
        return m;
    }

    static Map<String, Object> gpu(GpuSpec g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", g.id());
        m.put("gpu_name", g.marketName());
        m.put("gpu_ram", g.memoryGb());
        m.put("gpu_mem_bw", g.memBandwidthGbs());
        m.put("fp16_tflops", g.fp16TflopsDense());
        m.put("fp8_tflops", g.fp8TflopsDense().isPresent() ? g.fp8TflopsDense().getAsDouble() : null);
        m.put("bw_nvlink", g.nvlinkGbs());
        m.put("compute_cap", g.computeCap());
        m.put("pci_gen", g.pciGen());
        m.put("certainty", g.certainty());
        m.put("source", g.source());
        return m;
    }
}
