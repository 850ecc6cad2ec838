package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The GPUs a machine offers: one catalog model, how many, the driver and CUDA versions, and
 * whether they are emulated ({@code --emulate RTX_4090:2}) rather than detected.
 */
public record GpuInventory(GpuSpec model, int count, String driverVersion, double cudaVersion, boolean emulated) {
    /** The driver an emulated machine reports: a current R550 production driver. */
    public static final String EMULATED_DRIVER = "550.54.15";
    /** The CUDA version an emulated machine reports (the one R550 ships with). */
    public static final double EMULATED_CUDA = 12.4;
    /** Where the driver does not say, the CUDA version assumed for a detected machine. */
    public static final double DEFAULT_CUDA = 12.4;

    public GpuInventory {
        requireNonNull(model, "model is null");
        requireNonNull(driverVersion, "driverVersion is null");
        if (count < 1 || count > 16) {
            throw new IllegalArgumentException("GPU count must be 1..16, got " + count);
        }
        if (!(cudaVersion > 0)) {
            throw new IllegalArgumentException("CUDA version must be positive, got " + cudaVersion);
        }
    }

    /**
     * Parses {@code MODEL:COUNT} ({@code RTX_4090:2}); the model is a catalog id or market name as
     * the market accepts them, the count 1..16.
     */
    public static GpuInventory emulated(String spec, GpuCatalog catalog) {
        requireNonNull(spec, "spec is null");
        requireNonNull(catalog, "catalog is null");
        int colon = spec.lastIndexOf(':');
        if (colon <= 0 || colon == spec.length() - 1) {
            throw new IllegalArgumentException("--emulate must be GPU_MODEL:COUNT such as RTX_4090:2, got '" + spec + "'");
        }
        String name = spec.substring(0, colon).strip();
        String countText = spec.substring(colon + 1).strip();
        int count;
        try {
            count = Integer.parseInt(countText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--emulate count must be a whole number 1..16, got '" + countText
                    + "' in '" + spec + "'", e);
        }
        if (count < 1 || count > 16) {
            throw new IllegalArgumentException("--emulate count must be 1..16, got " + count + " in '" + spec + "'");
        }
        GpuSpec model = catalog.all().stream()
                .filter(s -> s.id().equalsIgnoreCase(name) || s.marketName().equalsIgnoreCase(name.replace('_', ' ')))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--emulate: unknown GPU model '" + name + "'; known: "
                        + String.join(", ", catalog.all().stream().map(GpuSpec::id).toList())));
        return new GpuInventory(model, count, EMULATED_DRIVER, EMULATED_CUDA, true);
    }

    /**
     * The inventory of detected GPUs. A machine is listed as one model, so GPUs of several models,
     * or a model the catalog lacks, are refused with the names found.
     */
    public static GpuInventory detected(List<DetectedGpu> gpus, OptionalDouble cuda, GpuCatalog catalog) {
        requireNonNull(gpus, "gpus is null");
        requireNonNull(cuda, "cuda is null");
        requireNonNull(catalog, "catalog is null");
        if (gpus.isEmpty()) {
            throw new IllegalArgumentException("no NVIDIA GPU found (nvidia-smi is missing or lists none);"
                    + " use --emulate GPU_MODEL:COUNT, e.g. --emulate RTX_4090:2, to run without one");
        }
        Map<String, List<DetectedGpu>> byName = gpus.stream()
                .collect(Collectors.groupingBy(DetectedGpu::name, LinkedHashMap::new, Collectors.toList()));
        if (byName.size() > 1) {
            throw new IllegalArgumentException("this machine has GPUs of several models (" + String.join(", ", byName.keySet())
                    + "); a machine is listed with one model, so this agent cannot list it");
        }
        DetectedGpu first = gpus.get(0);
        String id = GpuDetector.catalogId(first, catalog).orElseThrow(() -> new IllegalArgumentException(
                "GPU '" + first.name() + "' is not in the market's catalog; known: "
                        + String.join(", ", catalog.all().stream().map(GpuSpec::id).toList())));
        GpuSpec model = catalog.byId(id).orElseThrow();
        return new GpuInventory(model, gpus.size(), first.driverVersion(), cuda.orElse(DEFAULT_CUDA), false);
    }

    /** {@code 2x RTX 4090, emulated} or {@code 8x H100 SXM}. */
    public String describe() {
        return count + "x " + model.marketName() + (emulated ? ", emulated" : "");
    }
}
