package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import dev.flotilla.market.gpu.GpuCatalog;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the machine's NVIDIA GPUs with {@code nvidia-smi} and maps their names to the market's
 * catalog ids. The parsing and the mapping are pure functions ({@link #parse}, {@link
 * #parseCudaVersion}, {@link #catalogId}) so they are tested on sample output; {@link #detect}
 * runs the binary (no shell) with a timeout and answers an empty list where it is not installed.
 *
 * <pre>
 *   List&lt;DetectedGpu&gt; gpus = GpuDetector.system().detect();
 *   Optional&lt;String&gt; id = GpuDetector.catalogId(gpus.get(0), GpuCatalog.defaultCatalog()); // H100_SXM
 * </pre>
 */
public final class GpuDetector {
    /** The query whose output {@link #parse} reads. */
    public static final List<String> QUERY = List.of("--query-gpu=name,memory.total,driver_version",
            "--format=csv,noheader,nounits");

    private static final Pattern CUDA = Pattern.compile("CUDA Version:\\s*(\\d+\\.\\d+)");

    /**
     * NVIDIA's names (after {@link #canonical}) to catalog ids, first match wins. NVIDIA names
     * the same card differently across drivers and form factors ({@code NVIDIA H100 80GB HBM3} is
     * the SXM part, {@code NVIDIA A100-SXM4-80GB}), so a table of patterns is clearer than fuzzy
     * matching. The H100 NVL and the A100 PCIe have no catalog entry and stay unmapped.
     */
    private static final List<Rule> RULES = List.of(
            new Rule("\\bH200\\b", "H200_SXM"),
            new Rule("\\bH100\\b.*\\bNVL\\b", ""),
            new Rule("\\bH100\\b.*\\bPCIE\\b", "H100_PCIE"),
            new Rule("\\bH100\\b", "H100_SXM"),
            new Rule("\\bA100\\b.*\\bSXM4?\\b.*\\b80GB\\b", "A100_SXM4_80GB"),
            new Rule("\\bA100\\b.*\\bSXM4?\\b.*\\b40GB\\b", "A100_SXM4_40GB"),
            new Rule("\\bA100\\b.*\\bSXM4?\\b", "A100_SXM4_*"),
            new Rule("\\bRTX PRO 6000\\b", "RTX_PRO_6000"),
            new Rule("\\bRTX 5090\\b", "RTX_5090"),
            new Rule("\\bRTX 4090\\b", "RTX_4090"),
            new Rule("\\bRTX 3090\\b", "RTX_3090"),
            new Rule("\\bL40S\\b", "L40S"),
            new Rule("\\bL4\\b", "L4"),
            new Rule("\\bA10G\\b", "A10G"),
            new Rule("\\bT4\\b", "T4"));

    private record Rule(Pattern pattern, String id) {
        Rule(String regex, String id) {
            this(Pattern.compile(regex), id);
        }
    }

    private final Path executable;
    private final Duration timeout;

    public GpuDetector(Path executable, Duration timeout) {
        this.executable = requireNonNull(executable, "executable is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
    }

    /** {@code nvidia-smi} from the {@code PATH} (or {@code /usr/bin}), 10 seconds per run. */
    public static GpuDetector system() {
        return new GpuDetector(findOnPath("nvidia-smi").orElse(Path.of("/usr/bin/nvidia-smi")), Duration.ofSeconds(10));
    }

    /** Whether the binary exists; without it {@link #detect} answers an empty list. */
    public boolean available() {
        return Files.isExecutable(executable);
    }

    /** The GPUs, one per line of the query; empty where {@code nvidia-smi} is not installed. */
    public List<DetectedGpu> detect() {
        if (!available()) {
            return List.of();
        }
        List<String> argv = new ArrayList<>();
        argv.add(executable.toString());
        argv.addAll(QUERY);
        return parse(run(argv));
    }

    /** The CUDA version the driver supports, read from the banner of plain {@code nvidia-smi}. */
    public OptionalDouble cudaVersion() {
        return available() ? parseCudaVersion(run(List.of(executable.toString()))) : OptionalDouble.empty();
    }

    /**
     * Parses the output of {@code nvidia-smi --query-gpu=name,memory.total,driver_version
     * --format=csv,noheader,nounits}: one {@code name, MiB, driver} line per GPU; blank lines are skipped.
     */
    public static List<DetectedGpu> parse(String output) {
        requireNonNull(output, "output is null");
        List<DetectedGpu> gpus = new ArrayList<>();
        for (String line : output.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            // the name never holds a comma in NVIDIA's naming; split from the right to be safe
            int last = line.lastIndexOf(',');
            int middle = last < 0 ? -1 : line.lastIndexOf(',', last - 1);
            if (middle < 0) {
                throw new IllegalArgumentException("unexpected nvidia-smi line '" + line
                        + "'; expected 'name, memory MiB, driver version'");
            }
            String name = line.substring(0, middle).strip();
            String memory = line.substring(middle + 1, last).strip();
            String driver = line.substring(last + 1).strip();
            long mib;
            try {
                mib = Long.parseLong(memory);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("unexpected memory '" + memory + "' in nvidia-smi line '" + line
                        + "'; expected MiB as an integer", e);
            }
            gpus.add(new DetectedGpu(name, mib, driver));
        }
        return List.copyOf(gpus);
    }

    /** The {@code CUDA Version: 12.4} of {@code nvidia-smi}'s banner, where present. */
    public static OptionalDouble parseCudaVersion(String banner) {
        Matcher m = CUDA.matcher(requireNonNull(banner, "banner is null"));
        return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
    }

    /** The catalog id of an NVIDIA GPU name, where the catalog has that card. */
    public static Optional<String> catalogId(DetectedGpu gpu, GpuCatalog catalog) {
        requireNonNull(gpu, "gpu is null");
        requireNonNull(catalog, "catalog is null");
        String name = canonical(gpu.name());
        for (Rule rule : RULES) {
            if (rule.pattern().matcher(name).find()) {
                String id = rule.id();
                if (id.equals("A100_SXM4_*")) {
                    // "NVIDIA A100-SXM4" without a size: the memory tells the variant apart
                    id = gpu.memoryMib() > 60 * 1024 ? "A100_SXM4_80GB" : "A100_SXM4_40GB";
                }
                return id.isEmpty() ? Optional.empty() : catalog.byId(id).map(s -> s.id());
            }
        }
        return Optional.empty();
    }

    /** Upper case, hyphens and underscores as spaces, single spaces: {@code NVIDIA A100 SXM4 80GB}. */
    static String canonical(String nvidiaName) {
        return nvidiaName.toUpperCase(Locale.ROOT).replace('-', ' ').replace('_', ' ').replaceAll("\\s+", " ").strip();
    }

    private String run(List<String> argv) {
        Process p;
        try {
            p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + executable + ": " + e.getMessage(), e);
        }
        // read while it runs so a full pipe cannot stall it
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, r -> Thread.ofVirtual().name("nvidia-smi-reader").start(r));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(executable + " did not answer within " + timeout);
            }
            String text = out.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(executable + " exited with code " + p.exitValue() + ": " + text.strip());
            }
            return text;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + executable, e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not read the output of " + executable + ": " + e.getMessage(), e);
        }
    }

    private static Optional<Path> findOnPath(String binary) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, binary);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
