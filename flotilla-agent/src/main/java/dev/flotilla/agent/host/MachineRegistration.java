package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/** Everything the agent sends to {@code POST /api/v1/machines}: the GPUs, the host's resources and the listing. */
public record MachineRegistration(GpuInventory gpus, HostResources resources, Listing listing) {
    public MachineRegistration {
        requireNonNull(gpus, "gpus is null");
        requireNonNull(resources, "resources is null");
        requireNonNull(listing, "listing is null");
    }

    /** The request body, in the control plane's field names. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gpu_name", gpus.model().id());
        m.put("gpu_ram", gpus.model().memoryGb());
        m.put("num_gpus", gpus.count());
        m.put("cpu_cores", resources.cpuCores());
        m.put("cpu_ram", resources.cpuRamGb());
        m.put("disk_space", resources.diskGb());
        m.put("inet_up", listing.inetUpMbps());
        m.put("inet_down", listing.inetDownMbps());
        m.put("country", listing.country());
        m.put("region", listing.region());
        m.put("cuda_vers", gpus.cudaVersion());
        m.put("driver_version", gpus.driverVersion());
        // strings keep the amounts exact on the wire
        m.put("price_per_gpu_hour", listing.pricePerGpuHour().toPlainString());
        m.put("min_bid_per_gpu_hour", listing.minBidPerGpuHour().toPlainString());
        return m;
    }
}
