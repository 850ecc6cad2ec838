package dev.flotilla.market.query;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.offer.Offer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleBiFunction;

/**
 * The fields an offer query can filter and sort on, with the names, units and meaning users of
 * the vast.ai CLI {@code search offers} already know. Units are the user-facing ones (GB, GB/s,
 * TFLOPS, Mb/s, days, dollars); nothing is silently rescaled.
 *
 * <p>Each field has a {@link Type}: {@link Type#NUMBER} takes every operator; {@link Type#STRING}
 * takes {@code = != in notin} and compares case-insensitively with {@code _} standing for a
 * space; {@link Type#BOOL} takes {@code = != in notin} with {@code true}/{@code false};
 * {@link Type#VERSION} ({@code driver_version}) is written as dotted digits but compared as the
 * number {@code major*1e6 + minor*1e3 + patch}, so every operator works on it.
 *
 * <p>Aliases, accepted wherever a field name is (queries and sort orders), for vast's API names:
 * <table>
 *   <caption>Field aliases</caption>
 *   <tr><th>alias</th><th>field</th></tr>
 *   <tr><td>{@code cuda_max_good}</td><td>{@code cuda_vers}</td></tr>
 *   <tr><td>{@code reliability2}</td><td>{@code reliability}</td></tr>
 *   <tr><td>{@code dlperf_per_dphtotal}</td><td>{@code dlperf_usd}</td></tr>
 *   <tr><td>{@code flops_per_dphtotal}</td><td>{@code flops_usd}</td></tr>
 *   <tr><td>{@code dph_base}</td><td>{@code dph}</td></tr>
 *   <tr><td>{@code gpu_totalram}</td><td>{@code gpu_total_ram}</td></tr>
 * </table>
 *
 * <p>Four fields depend on the {@link SearchContext}: {@code dph} (the price for the search's
 * rental type, so a bid search shows the minimum bid), {@code dph_total} (plus storage for the
 * search's disk size), {@code dlperf_usd} and {@code flops_usd} (per dollar of {@code dph};
 * +Infinity when {@code dph} is 0).
 */
public enum QueryField {
    NUM_GPUS("num_gpus", num((o, c) -> o.numGpus()), "GPUs", "GPUs in the offer (the slice size)"),
    GPU_NAME("gpu_name", text(Offer::gpuName), "", "GPU model as the market names it, e.g. RTX_4090"),
    GPU_RAM("gpu_ram", num((o, c) -> o.gpuRamGb()), "GB", "memory per GPU"),
    GPU_TOTAL_RAM("gpu_total_ram", num((o, c) -> o.gpuTotalRamGb()), "GB", "memory of all the offer's GPUs", "gpu_totalram"),
    GPU_MEM_BW("gpu_mem_bw", num((o, c) -> o.gpuMemBwGbs()), "GB/s", "GPU memory bandwidth"),
    GPU_FRAC("gpu_frac", num((o, c) -> o.gpuFrac()), "", "share of the machine's GPUs, 0..1"),
    COMPUTE_CAP("compute_cap", num((o, c) -> o.computeCap()), "", "CUDA compute capability times 100 (800 = 8.0; 8.0 is accepted too)"),
    TOTAL_FLOPS("total_flops", num((o, c) -> o.totalFlops()), "TFLOPS", "dense FP16 TFLOPS of all the offer's GPUs"),
    BW_NVLINK("bw_nvlink", num((o, c) -> o.bwNvlinkGbs()), "GB/s", "NVLink bandwidth per GPU"),
    CPU_CORES("cpu_cores", num((o, c) -> o.cpuCores()), "cores", "CPU cores of the whole machine"),
    CPU_CORES_EFFECTIVE("cpu_cores_effective", num((o, c) -> o.cpuCoresEffective()), "cores", "CPU cores that come with the offer"),
    CPU_RAM("cpu_ram", num((o, c) -> o.cpuRamGb()), "GB", "system memory that comes with the offer"),
    CPU_ARCH("cpu_arch", text(Offer::cpuArch), "", "CPU architecture, e.g. x86_64"),
    DISK_SPACE("disk_space", num((o, c) -> o.diskSpaceGb()), "GB", "disk that comes with the offer"),
    DISK_BW("disk_bw", num((o, c) -> o.diskBwMbs()), "MB/s", "disk bandwidth"),
    PCI_GEN("pci_gen", num((o, c) -> o.pciGen()), "", "PCIe generation"),
    PCIE_BW("pcie_bw", num((o, c) -> o.pcieBwGbs()), "GB/s", "PCIe bandwidth per GPU"),
    INET_UP("inet_up", num((o, c) -> o.inetUpMbps()), "Mb/s", "upload bandwidth"),
    INET_DOWN("inet_down", num((o, c) -> o.inetDownMbps()), "Mb/s", "download bandwidth"),
    DIRECT_PORT_COUNT("direct_port_count", num((o, c) -> o.directPortCount()), "ports", "open ports reachable directly"),
    STATIC_IP("static_ip", flag(Offer::staticIp), "", "the machine has a static IP address"),
    DPH("dph", num((o, c) -> o.pricePerHour(c.type()).toDollarsApprox()), "$/h", "price per hour for the search's rental type", "dph_base"),
    DPH_TOTAL("dph_total", num((o, c) -> o.totalPerHour(c.type(), c.diskGb()).toDollarsApprox()), "$/h", "price per hour including storage for the search's disk size"),
    MIN_BID("min_bid", num((o, c) -> o.minBidPerHour().toDollarsApprox()), "$/h", "lowest accepted bid per hour"),
    STORAGE_COST("storage_cost", num((o, c) -> o.storagePerGbMonth().toDollarsApprox()), "$/GB-month", "storage price"),
    RELIABILITY("reliability", num((o, c) -> o.reliability()), "", "machine reliability, 0..1", "reliability2"),
    VERIFIED("verified", flag(Offer::verified), "", "the machine passed verification"),
    DATACENTER("datacenter", flag(Offer::datacenter), "", "the machine is in a datacenter"),
    EXTERNAL("external", flag(Offer::external), "", "the offer comes from an external marketplace"),
    GEOLOCATION("geolocation", text(Offer::country), "", "country code (e.g. US) or region name (e.g. North_America)"),
    CUDA_VERS("cuda_vers", num((o, c) -> o.cudaVersion()), "", "highest CUDA version the driver supports, e.g. 12.2", "cuda_max_good"),
    DRIVER_VERSION("driver_version", version(Offer::driverVersion), "", "NVIDIA driver version, e.g. 535.86.05, compared numerically"),
    DURATION("duration", num((o, c) -> o.durationDays()), "days", "time left before the machine's end date (Infinity without one)"),
    DLPERF("dlperf", num((o, c) -> o.dlperf()), "", "deep-learning performance score"),
    DLPERF_USD("dlperf_usd", num((o, c) -> perDollar(o.dlperf(), o, c)), "per $/h", "dlperf per dollar of dph", "dlperf_per_dphtotal"),
    FLOPS_USD("flops_usd", num((o, c) -> perDollar(o.totalFlops(), o, c)), "TFLOPS per $/h", "total_flops per dollar of dph", "flops_per_dphtotal"),
    RENTABLE("rentable", flag(Offer::rentable), "", "listed, in service, and a slice can be obtained"),
    RENTED("rented", flag(Offer::rented), "", "every slice of this size is taken (only preemptible capacity left)"),
    MACHINE_ID("machine_id", num((o, c) -> o.machineId()), "", "machine id"),
    HOST_ID("host_id", num((o, c) -> o.hostId()), "", "host (provider) id"),
    ID("id", num((o, c) -> o.id()), "", "offer id (machine_id * 100 + num_gpus)");

    /** What kind of value a field holds, which decides its operators and how values are read. */
    public enum Type {
        NUMBER("a number"),
        STRING("a string"),
        BOOL("true or false"),
        VERSION("a dotted version such as 535.86.05");

        private final String expected;

        Type(String expected) {
            this.expected = expected;
        }

        /** How an error message describes the values this type accepts. */
        public String expected() {
            return expected;
        }

        /** The operators a field of this type accepts. */
        public Set<Operator> operators() {
            return switch (this) {
                case NUMBER, VERSION -> EnumSet.allOf(Operator.class);
                case STRING, BOOL -> EnumSet.of(Operator.EQ, Operator.NE, Operator.IN, Operator.NOT_IN);
            };
        }
    }

    private sealed interface Access permits Num, Text, Flag {}

    private record Num(ToDoubleBiFunction<Offer, SearchContext> f) implements Access {}

    private record Text(Function<Offer, String> f, Type type) implements Access {}

    private record Flag(Predicate<Offer> f) implements Access {}

    private static Access num(ToDoubleBiFunction<Offer, SearchContext> f) {
        return new Num(f);
    }

    private static Access text(Function<Offer, String> f) {
        return new Text(f, Type.STRING);
    }

    private static Access version(Function<Offer, String> f) {
        return new Text(f, Type.VERSION);
    }

    private static Access flag(Predicate<Offer> f) {
        return new Flag(f);
    }

    private static double perDollar(double amount, Offer o, SearchContext c) {
        double dph = o.pricePerHour(c.type()).toDollarsApprox();
        return dph == 0 ? Double.POSITIVE_INFINITY : amount / dph;
    }

    private static final Map<String, QueryField> BY_NAME = byName();

    private final String fieldName;
    private final Access access;
    private final String unit;
    private final String description;
    private final List<String> aliases;

    QueryField(String fieldName, Access access, String unit, String description, String... aliases) {
        this.fieldName = fieldName;
        this.access = access;
        this.unit = unit;
        this.description = description;
        this.aliases = List.of(aliases);
    }

    private static Map<String, QueryField> byName() {
        Map<String, QueryField> m = new HashMap<>();
        for (QueryField f : values()) {
            m.put(f.fieldName, f);
            for (String a : f.aliases) {
                m.put(a, f);
            }
        }
        return Map.copyOf(m);
    }

    /** The canonical name used in queries, e.g. {@code num_gpus}. */
    public String fieldName() {
        return fieldName;
    }

    /** Other names accepted for this field (vast API names); see the class javadoc. */
    public List<String> aliases() {
        return aliases;
    }

    public Type type() {
        return switch (access) {
            case Num _ -> Type.NUMBER;
            case Text t -> t.type();
            case Flag _ -> Type.BOOL;
        };
    }

    /** The unit values are given in, e.g. {@code GB} or {@code $/h}; empty for plain numbers. */
    public String unit() {
        return unit;
    }

    public String description() {
        return description;
    }

    /** Whether the value depends on the search's rental type or disk size. */
    public boolean dependsOnContext() {
        return this == DPH || this == DPH_TOTAL || this == DLPERF_USD || this == FLOPS_USD;
    }

    /**
     * The field as a number: the value of a NUMBER field, 1 or 0 for a BOOL field, the encoded
     * version of a VERSION field (NaN when the offer's text is not a dotted version).
     *
     * @throws IllegalStateException for a STRING field
     */
    public double numeric(Offer offer, SearchContext ctx) {
        return switch (access) {
            case Num n -> n.f().applyAsDouble(offer, ctx);
            case Flag f -> f.f().test(offer) ? 1 : 0;
            case Text t when t.type() == Type.VERSION -> QueryText.encodeVersion(t.f().apply(offer));
            case Text _ -> throw new IllegalStateException(fieldName + " is a string field");
        };
    }

    /**
     * The text of a STRING or VERSION field as the offer holds it; for {@code geolocation} the
     * country code (the one sort uses; matching also looks at the region, see {@link #matches}).
     *
     * @throws IllegalStateException for a NUMBER or BOOL field
     */
    public String text(Offer offer) {
        if (access instanceof Text t) {
            return t.f().apply(offer);
        }
        throw new IllegalStateException(fieldName + " is not a string field");
    }

    /** The value of a BOOL field. @throws IllegalStateException for other fields */
    public boolean flag(Offer offer) {
        if (access instanceof Flag f) {
            return f.f().test(offer);
        }
        throw new IllegalStateException(fieldName + " is not a boolean field");
    }

    /**
     * Whether a STRING field of the offer equals {@code value}, ignoring case and treating
     * {@code _} as a space. {@code geolocation} matches the country code or the region.
     */
    public boolean matches(Offer offer, String value) {
        return matchesKey(offer, QueryText.key(value));
    }

    /** {@link #matches} for a value already turned into its comparison key. */
    boolean matchesKey(Offer offer, String key) {
        if (this == GEOLOCATION) {
            return QueryText.sameKey(offer.country(), key) || QueryText.sameKey(offer.region(), key);
        }
        return QueryText.sameKey(text(offer), key);
    }

    /** Finds a field by canonical name or alias, ignoring case. */
    public static Optional<QueryField> lookup(String name) {
        requireNonNull(name, "name is null");
        return Optional.ofNullable(BY_NAME.get(name.toLowerCase(Locale.ROOT)));
    }

    /**
     * Finds a field by canonical name or alias, or fails with an {@link ErrorCode#INVALID_QUERY}
     * naming the token and suggesting the closest name (restricted Damerau-Levenshtein distance
     * of at most 3, and less than the token's length so that short junk gets no suggestion).
     */
    public static QueryField resolve(String name) {
        return lookup(name).orElseThrow(() -> new FlotillaException(ErrorCode.INVALID_QUERY, null, unknownFieldMessage(name)));
    }

    static String unknownFieldMessage(String name) {
        return "unknown field '" + name + "'; " + suggestion(name).map(s -> "did you mean '" + s + "'?")
                .orElse("known fields: " + String.join(", ", Arrays.stream(values()).map(QueryField::fieldName).toList()));
    }

    static Optional<String> suggestion(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        // Canonical names first and aliases only when strictly closer, so a tie suggests the
        // name we document.
        List<String> candidates = new ArrayList<>();
        for (QueryField f : values()) {
            candidates.add(f.fieldName);
        }
        for (QueryField f : values()) {
            candidates.addAll(f.aliases);
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int d = QueryText.distance(lower, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= 3 && bestDistance < lower.length() ? Optional.of(best) : Optional.empty();
    }
}
