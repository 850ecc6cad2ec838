package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.flotilla.autoscale.ScalingSettings;
import dev.flotilla.cli.client.CliException;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import dev.flotilla.engine.Deployment;
import dev.flotilla.engine.ModelCatalog;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.sim.SimConfig;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code flotilla simulate --endpoint FILE}: an endpoint's scaling settings and serving choices in
 * YAML, with the endpoint API's snake_case keys, so that a simulated endpoint is configured the way
 * a real one is:
 *
 * <pre>
 * min_workers: 0
 * max_workers: 16
 * target_util: 0.6
 * inactivity_timeout: 10m      # 600, "600s", "10m", "PT10M"
 * capacity: on-demand          # or interruptible
 * gpu: H100_SXM                # a GPU catalog id; model: a model catalog id
 * </pre>
 *
 * <p>Every key is optional (missing ones keep their defaults); an unknown key, a value of the
 * wrong type and a contradiction ({@code min_workers > max_workers}) are errors that name the key
 * and say what is accepted (exit 2): a typo must not silently simulate the default.
 */
final class SimEndpointFile {
    static final List<String> KEYS = List.of("min_workers", "max_workers", "min_load", "target_util", "cold_mult",
            "cold_workers", "inactivity_timeout", "max_queue_time", "target_queue_time", "stable_window", "panic_window",
            "panic_threshold", "max_scale_up_rate", "max_scale_down_rate", "scale_to_zero_grace", "capacity", "gpu",
            "model", "concurrency", "on_demand_price_per_hour", "interruptible_price_per_hour");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|min|h)");

    /**
     * What the file set: the scaling settings (the file's keys over {@code base}) and the
     * simulator's config (its serving keys over {@code baseConfig}).
     *
     * @param concurrencySet whether the file chose the sequences per worker (else the trace's default applies)
     */
    record Loaded(ScalingSettings settings, SimConfig config, boolean concurrencySet) {}

    private SimEndpointFile() {}

    static Loaded read(Path file, ScalingSettings base, SimConfig baseConfig) {
        requireNonNull(file, "file is null");
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, "invalid_argument",
                    "endpoint file " + file + ": cannot read it as YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Loaded(base, baseConfig, false);
        }
        if (!root.isObject()) {
            throw bad(file, "the file must be a mapping of keys to values (min_workers: 0, ...), got " + root.getNodeType()
                    .toString().toLowerCase(java.util.Locale.ROOT));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw bad(file, "unknown key '" + key + "'; accepted: " + String.join(", ", KEYS));
            }
        }
        ScalingSettings s = base;
        SimConfig c = baseConfig;
        try {
            s = new ScalingSettings(
                    integer(file, root, "min_workers", s.minWorkers()),
                    integer(file, root, "max_workers", s.maxWorkers()),
                    number(file, root, "min_load", s.minLoad()),
                    number(file, root, "target_util", s.targetUtil()),
                    number(file, root, "cold_mult", s.coldMult()),
                    integer(file, root, "cold_workers", s.coldWorkers()),
                    duration(file, root, "inactivity_timeout", s.inactivityTimeout()),
                    duration(file, root, "max_queue_time", s.maxQueueTime()),
                    duration(file, root, "target_queue_time", s.targetQueueTime()),
                    duration(file, root, "stable_window", s.stableWindow()),
                    duration(file, root, "panic_window", s.panicWindow()),
                    number(file, root, "panic_threshold", s.panicThreshold()),
                    number(file, root, "max_scale_up_rate", s.maxScaleUpRate()),
                    number(file, root, "max_scale_down_rate", s.maxScaleDownRate()),
                    duration(file, root, "scale_to_zero_grace", s.scaleToZeroGrace()));
            if (root.has("capacity")) {
                String capacity = text(file, root, "capacity");
                c = switch (capacity) {
                    case "interruptible" -> c.withPreemptions(true, c.preemptionsPerHour() > 0 ? c.preemptionsPerHour() : 0.1);
                    case "on-demand" -> c.withPreemptions(false, 0);
                    default -> throw bad(file, "capacity must be interruptible or on-demand, got '" + capacity + "'");
                };
            }
            if (root.has("gpu") || root.has("model")) {
                Deployment d = c.deployment();
                String gpuId = root.has("gpu") ? text(file, root, "gpu") : d.gpu().id();
                var gpu = GpuCatalog.defaultCatalog().byId(gpuId).orElseThrow(() -> bad(file, "unknown gpu '" + gpuId
                        + "'; accepted: " + String.join(", ", GpuCatalog.defaultCatalog().all().stream()
                                .map(g -> g.id()).toList())));
                var model = root.has("model") ? ModelCatalog.defaultCatalog().get(text(file, root, "model")) : d.model();
                c = c.withDeployment(new Deployment(model, gpu, d.tensorParallel(), d.weights(), d.kv()));
            }
            boolean concurrencySet = root.has("concurrency");
            if (concurrencySet) {
                c = c.withConcurrency(integer(file, root, "concurrency", c.concurrency()));
            }
            if (root.has("on_demand_price_per_hour") || root.has("interruptible_price_per_hour")) {
                c = c.withPrices(money(file, root, "on_demand_price_per_hour", c.onDemandPricePerHour()),
                        money(file, root, "interruptible_price_per_hour", c.interruptiblePricePerHour()));
            }
            return new Loaded(s, c, concurrencySet);
        } catch (FlotillaException e) {
            throw bad(file, e.getMessage());
        }
    }

    private static CliException bad(Path file, String message) {
        return new CliException(CliException.USAGE, "invalid_argument", "endpoint file " + file + ": " + message);
    }

    private static int integer(Path file, JsonNode root, String key, int fallback) {
        JsonNode n = root.get(key);
        if (n == null) {
            return fallback;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw bad(file, key + " must be a whole number, got " + describe(n));
        }
        return n.intValue();
    }

    private static double number(Path file, JsonNode root, String key, double fallback) {
        JsonNode n = root.get(key);
        if (n == null) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw bad(file, key + " must be a number, got " + describe(n));
        }
        return n.doubleValue();
    }

    private static String text(Path file, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (!n.isTextual() || n.asText().isBlank()) {
            throw bad(file, key + " must be a non-blank string, got " + describe(n));
        }
        return n.asText().strip();
    }

    private static Money money(Path file, JsonNode root, String key, Money fallback) {
        JsonNode n = root.get(key);
        if (n == null) {
            return fallback;
        }
        if (!n.isNumber() || n.decimalValue().signum() < 0) {
            throw bad(file, key + " must be a price in dollars per hour >= 0 (e.g. 2.50), got " + describe(n));
        }
        // exact: a YAML 2.35 becomes 2.35 dollars, not the double nearest to it
        BigDecimal micros = new BigDecimal(n.asText()).movePointRight(6);
        return Money.ofMicros(micros.setScale(0, java.math.RoundingMode.HALF_EVEN).longValueExact());
    }

    /** Seconds as a number, or a string: 500ms, 30s, 5m, 2h, or ISO-8601 (PT5M). */
    static Duration duration(Path file, JsonNode root, String key, Duration fallback) {
        JsonNode n = root.get(key);
        if (n == null) {
            return fallback;
        }
        String accepted = " (accepted: seconds as a number, or 500ms, 30s, 5m, 2h, PT5M)";
        if (n.isNumber()) {
            return Duration.ofNanos(Math.round(n.doubleValue() * 1e9));
        }
        if (!n.isTextual()) {
            throw bad(file, key + " must be a duration" + accepted + ", got " + describe(n));
        }
        String v = n.asText().strip();
        Matcher m = DURATION.matcher(v);
        if (m.matches()) {
            double x = Double.parseDouble(m.group(1));
            double unitNanos = switch (m.group(2)) {
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m", "min" -> 60e9;
                default -> 3600e9;
            };
            return Duration.ofNanos(Math.round(x * unitNanos));
        }
        try {
            return Duration.parse(v);
        } catch (DateTimeParseException e) {
            throw bad(file, key + " must be a duration" + accepted + ", got '" + v + "'");
        }
    }

    private static String describe(JsonNode n) {
        return n.isTextual() ? "'" + n.asText() + "'" : n.toString();
    }
}
