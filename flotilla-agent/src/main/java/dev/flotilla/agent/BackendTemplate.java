package dev.flotilla.agent;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * How to launch one kind of model server: an argv template, the environment it needs, the HTTP
 * path that answers 200 once it serves, the line it prints when it listens (optional: an empty
 * {@code readySignal} means "poll the health path from the start"), and the path of a
 * {@code GET /load} report if it has one (empty: none).
 *
 * <p>Placeholders ({@link #PLACEHOLDERS}) are checked when the template is made, so a typo fails
 * at configuration time and names itself. The command is split into argv before substitution
 * ({@link Argv}); no shell ever runs.
 *
 * <pre>{@code
 * BackendTemplate t = BackendTemplate.parse("llama", "llama-server -m {model} --port {port}",
 *         Map.of("CUDA_VISIBLE_DEVICES", "{gpus}"), "/health", "listening", "");
 * List<String> argv = t.argv(t.values(spec, 8123, java, classpath));
 * }</pre>
 */
public record BackendTemplate(String name, List<String> command, Map<String, String> env, String healthPath,
        String readySignal, String loadPath) {
    /** The placeholders a template may use. */
    public static final Set<String> PLACEHOLDERS = Set.of("model", "served", "port", "gpus", "gpu", "tp", "java",
            "classpath");

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");

    public BackendTemplate {
        requireNonNull(name, "name is null");
        command = List.copyOf(requireNonNull(command, "command is null"));
        env = Map.copyOf(requireNonNull(env, "env is null"));
        requireNonNull(healthPath, "healthPath is null");
        requireNonNull(readySignal, "readySignal is null");
        requireNonNull(loadPath, "loadPath is null");
        if (name.isBlank()) {
            throw FlotillaException.invalid("name", "template name must not be blank");
        }
        if (command.isEmpty()) {
            throw FlotillaException.invalid("command", "template " + name + " has an empty command");
        }
        if (!healthPath.startsWith("/")) {
            throw FlotillaException.invalid("healthPath", "template " + name + ": health path must start with /; got '"
                    + healthPath + "'");
        }
        if (!loadPath.isEmpty() && !loadPath.startsWith("/")) {
            throw FlotillaException.invalid("loadPath", "template " + name + ": load path must be empty or start "
                    + "with /; got '" + loadPath + "'");
        }
        try {
            Pattern.compile(readySignal);
        } catch (PatternSyntaxException e) {
            throw new FlotillaException(dev.flotilla.core.ErrorCode.INVALID_ARGUMENT, "readySignal", "template " + name
                    + ": ready signal is not a valid regular expression: " + e.getDescription(), e);
        }
        Set<String> unknown = new TreeSet<>();
        command.forEach(word -> unknown.addAll(placeholders(word)));
        env.values().forEach(value -> unknown.addAll(placeholders(value)));
        unknown.removeAll(PLACEHOLDERS);
        if (!unknown.isEmpty()) {
            throw FlotillaException.invalid("command", "template " + name + " uses unknown placeholder"
                    + (unknown.size() == 1 ? " " : "s ")
                    + unknown.stream().map(p -> "{" + p + "}").collect(Collectors.joining(", "))
                    + "; accepted: " + new TreeSet<>(PLACEHOLDERS).stream().map(p -> "{" + p + "}")
                            .collect(Collectors.joining(", ")));
        }
    }

    /** A template from a command line, split into argv with {@link Argv#split}. */
    public static BackendTemplate parse(String name, String commandLine, Map<String, String> env, String healthPath,
            String readySignal, String loadPath) {
        return new BackendTemplate(name, Argv.split(commandLine), env, healthPath, readySignal, loadPath);
    }

    /** The ready signal as a pattern matched anywhere in a line, if the template has one. */
    public Optional<Pattern> readyPattern() {
        return readySignal.isEmpty() ? Optional.empty() : Optional.of(Pattern.compile(readySignal));
    }

    /** The load path, if the backend reports {@code GET /load}. */
    public Optional<String> load() {
        return loadPath.isEmpty() ? Optional.empty() : Optional.of(loadPath);
    }

    /** The placeholder values for one launch. */
    public static Map<String, String> values(LaunchSpec spec, int port, String java, String classpath) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("model", spec.model());
        values.put("served", spec.servedName());
        values.put("port", Integer.toString(port));
        values.put("gpus", spec.gpus().stream().map(String::valueOf).collect(Collectors.joining(",")));
        values.put("gpu", spec.gpuType());
        values.put("tp", Integer.toString(spec.tensorParallel()));
        values.put("java", java);
        values.put("classpath", classpath);
        return values;
    }

    /** The argv for one launch: the template's words with placeholders filled, then the extra arguments. */
    public List<String> argv(Map<String, String> values, List<String> extraArgs) {
        List<String> argv = new ArrayList<>(command.size() + extraArgs.size());
        command.forEach(word -> argv.add(fill(word, values)));
        argv.addAll(extraArgs);
        return List.copyOf(argv);
    }

    /** The template's environment with placeholders filled. */
    public Map<String, String> environment(Map<String, String> values) {
        Map<String, String> filled = new LinkedHashMap<>();
        env.forEach((key, value) -> filled.put(key, fill(value, values)));
        return filled;
    }

    private String fill(String word, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(word);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw FlotillaException.invalid(m.group(1), "template " + name + " needs a value for {" + m.group(1)
                        + "}; given: " + values.keySet());
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static Set<String> placeholders(String word) {
        Set<String> found = new TreeSet<>();
        Matcher m = PLACEHOLDER.matcher(word);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }
}
