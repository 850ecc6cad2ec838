package dev.flotilla.market.gpu;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Csv;
import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The GPU models Flotilla knows, loaded from {@code gpus.csv} (sources in {@code SOURCES.md}
 * beside it). Lookups accept the catalog id, the market name, and the market name with
 * underscores for spaces, case-insensitively, so {@code RTX_4090}, {@code rtx 4090} and
 * {@code RTX_4090} all find the same card.
 */
public final class GpuCatalog {
    private final Map<String, GpuSpec> byId;

    public GpuCatalog(List<GpuSpec> specs) {
        Map<String, GpuSpec> m = new LinkedHashMap<>();
        for (GpuSpec s : specs) {
            m.put(s.id(), s);
        }
        this.byId = Map.copyOf(m);
        this.ordered = List.copyOf(specs);
    }

    private final List<GpuSpec> ordered;

    private static final GpuCatalog DEFAULT = load();

    public static GpuCatalog defaultCatalog() {
        return DEFAULT;
    }

    public List<GpuSpec> all() {
        return ordered;
    }

    public Optional<GpuSpec> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /**
     * Finds a model by id or market name. Where a market name is shared ({@code A100 SXM4}),
     * {@code memoryGb} picks the variant; without it the largest-memory variant is taken.
     */
    public GpuSpec resolve(String name, OptionalDouble memoryGb) {
        requireNonNull(name, "name is null");
        String key = normalize(name);
        List<GpuSpec> matches = new ArrayList<>();
        for (GpuSpec s : ordered) {
            if (normalize(s.id()).equals(key) || normalize(s.marketName()).equals(key)) {
                matches.add(s);
            }
        }
        if (matches.isEmpty()) {
            throw new FlotillaException(
                    ErrorCode.INVALID_ARGUMENT,
                    "gpu_name",
                    "unknown GPU model '" + name + "'; known: " + String.join(", ", marketNames()));
        }
        if (memoryGb.isPresent()) {
            for (GpuSpec s : matches) {
                if (Math.abs(s.memoryGb() - memoryGb.getAsDouble()) < 0.5) {
                    return s;
                }
            }
            throw new FlotillaException(
                    ErrorCode.INVALID_ARGUMENT,
                    "gpu_ram",
                    "GPU '" + name + "' has no " + memoryGb.getAsDouble() + " GB variant; known: "
                            + matches.stream().map(s -> (int) s.memoryGb() + " GB").toList());
        }
        return matches.stream().max(Comparator.comparingDouble(GpuSpec::memoryGb)).orElseThrow();
    }

    public List<String> marketNames() {
        return ordered.stream().map(GpuSpec::marketName).distinct().toList();
    }

    static String normalize(String s) {
        return s.trim().replace('_', ' ').replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
    }

    static GpuCatalog load() {
        try (InputStream in = GpuCatalog.class.getResourceAsStream("/dev/flotilla/market/gpus.csv")) {
            if (in == null) {
                throw new IllegalStateException("gpus.csv missing from the classpath");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses the catalog CSV: a header row, then one GPU per row; quoted fields may hold commas. */
    public static GpuCatalog parse(String csv) {
        List<GpuSpec> specs = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new java.io.StringReader(csv))) {
            String header = r.readLine();
            List<String> cols = Csv.split(header);
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                List<String> v = Csv.split(line);
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < cols.size(); i++) {
                    row.put(cols.get(i), i < v.size() ? v.get(i) : "");
                }
                String fp8 = row.get("fp8_tflops_dense");
                String nvlink = row.get("nvlink_gbs");
                specs.add(new GpuSpec(
                        row.get("name"),
                        row.get("market_name"),
                        Double.parseDouble(row.get("memory_gb")),
                        Double.parseDouble(row.get("mem_bandwidth_gbs")),
                        Double.parseDouble(row.get("fp16_tflops_dense")),
                        fp8.isBlank() ? OptionalDouble.empty() : OptionalDouble.of(Double.parseDouble(fp8)),
                        nvlink.isBlank() ? 0 : Double.parseDouble(nvlink),
                        Integer.parseInt(row.get("compute_cap")),
                        Integer.parseInt(row.get("pci_gen")),
                        row.get("certainty"),
                        row.get("source")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GpuCatalog(specs);
    }
}
