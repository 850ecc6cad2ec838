package dev.flotilla.agent;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.util.List;
import java.util.Map;

/**
 * What to run with a template: the model, the name it answers to (the {@code model} clients send:
 * for a worker, its endpoint's name), the GPU type and the device indices handed to the
 * backend ({@code {gpus}}, as for {@code CUDA_VISIBLE_DEVICES}), extra arguments appended after
 * the template's own, and extra environment variables. An empty device list means "no GPU"
 * (the emulator, embeddings on CPU); {@code {tp}} is then 1.
 */
public record LaunchSpec(String model, String servedName, String gpuType, List<Integer> gpus, List<String> extraArgs,
        Map<String, String> env) {
    public LaunchSpec {
        requireNonNull(model, "model is null");
        requireNonNull(servedName, "servedName is null");
        requireNonNull(gpuType, "gpuType is null");
        gpus = List.copyOf(requireNonNull(gpus, "gpus is null"));
        extraArgs = List.copyOf(requireNonNull(extraArgs, "extraArgs is null"));
        env = Map.copyOf(requireNonNull(env, "env is null"));
        if (model.isBlank()) {
            throw FlotillaException.invalid("model", "model must not be blank");
        }
        if (servedName.isBlank()) {
            throw FlotillaException.invalid("servedName", "the served model name must not be blank");
        }
        for (int gpu : gpus) {
            if (gpu < 0) {
                throw FlotillaException.invalid("gpus", "GPU indices must be non-negative; got " + gpus);
            }
        }
        if (gpus.stream().distinct().count() != gpus.size()) {
            throw FlotillaException.invalid("gpus", "GPU indices must be distinct; got " + gpus);
        }
    }

    /** A model on a GPU type, served under its own name, with the given devices and nothing extra. */
    public static LaunchSpec of(String model, String gpuType, List<Integer> gpus) {
        return new LaunchSpec(model, model, gpuType, gpus, List.of(), Map.of());
    }

    /** The same launch with arguments appended. */
    public LaunchSpec withExtraArgs(String... args) {
        return withExtraArgs(List.of(args));
    }

    /** The same launch with arguments appended. */
    public LaunchSpec withExtraArgs(List<String> args) {
        return new LaunchSpec(model, servedName, gpuType, gpus, args, env);
    }

    /** The same launch answering to {@code name} ({@code {served}}): the {@code model} clients send. */
    public LaunchSpec withServedName(String name) {
        return new LaunchSpec(model, name, gpuType, gpus, extraArgs, env);
    }

    /** {@code {tp}}: the number of devices, at least 1. */
    public int tensorParallel() {
        return Math.max(1, gpus.size());
    }
}
