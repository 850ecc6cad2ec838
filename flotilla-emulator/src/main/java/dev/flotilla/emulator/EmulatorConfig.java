package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * The emulator's command line. {@code maxModelLen} 0 means "derive it": the model's context,
 * capped by what the KV cache holds (vLLM refuses to start when one sequence of
 * {@code max_model_len} does not fit; the emulator shrinks the default instead and refuses only
 * an explicit value that does not fit).
 *
 * <table>
 *   <caption>Flags</caption>
 *   <tr><th>flag</th><th>default</th></tr>
 *   <tr><td>{@code --port N}</td><td>8000; 0 picks a free port</td></tr>
 *   <tr><td>{@code --model ID}</td><td>Llama-3.1-8B (an engine catalog id)</td></tr>
 *   <tr><td>{@code --served-model-name NAME}</td><td>the model id</td></tr>
 *   <tr><td>{@code --gpu NAME}</td><td>H100_SXM (catalog id or market name)</td></tr>
 *   <tr><td>{@code --tensor-parallel N}, {@code --gpus N}</td><td>1</td></tr>
 *   <tr><td>{@code --time-scale X}</td><td>1.0 (0.01: steps take 1% of their modelled time)</td></tr>
 *   <tr><td>{@code --max-model-len N}</td><td>derived</td></tr>
 * </table>
 */
public record EmulatorConfig(int port, String model, String servedModelName, String gpu, int tensorParallel,
        double timeScale, int maxModelLen) {
    public static final String DEFAULT_MODEL = "Llama-3.1-8B";
    public static final String DEFAULT_GPU = "H100_SXM";
    public static final int DEFAULT_PORT = 8000;

    public EmulatorConfig {
        requireNonNull(model, "model is null");
        requireNonNull(servedModelName, "servedModelName is null");
        requireNonNull(gpu, "gpu is null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0 to 65535; got " + port);
        }
        if (servedModelName.isBlank()) {
            throw new IllegalArgumentException("--served-model-name must not be blank");
        }
        if (!(timeScale > 0) || Double.isInfinite(timeScale)) {
            throw new IllegalArgumentException("--time-scale must be a positive number; got " + timeScale);
        }
        if (maxModelLen < 0) {
            throw new IllegalArgumentException("--max-model-len must be positive; got " + maxModelLen);
        }
    }

    /** The defaults on a given port, model and GPU. */
    public static EmulatorConfig of(int port, String model, String gpu, double timeScale) {
        return new EmulatorConfig(port, model, model, gpu, 1, timeScale, 0);
    }

    /** Parses {@code --flag value} pairs; unknown flags and bad values throw with the accepted form. */
    public static EmulatorConfig parse(String... args) {
        int port = DEFAULT_PORT;
        String model = DEFAULT_MODEL;
        String served = null;
        String gpu = DEFAULT_GPU;
        int tp = 1;
        double timeScale = 1.0;
        int maxModelLen = 0;
        for (int i = 0; i < args.length; i += 2) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args[i + 1];
            switch (flag) {
                case "--port" -> port = integer(flag, value);
                case "--model" -> model = value;
                case "--served-model-name" -> served = value;
                case "--gpu" -> gpu = value;
                case "--gpus", "--tensor-parallel", "--tensor-parallel-size" -> tp = integer(flag, value);
                case "--time-scale" -> timeScale = decimal(flag, value);
                case "--max-model-len" -> maxModelLen = integer(flag, value);
                default -> throw new IllegalArgumentException("unknown flag " + flag + "; accepted: --port, --model, "
                        + "--served-model-name, --gpu, --gpus, --tensor-parallel, --time-scale, --max-model-len");
            }
        }
        return new EmulatorConfig(port, model, served == null ? model : served, gpu, tp, timeScale, maxModelLen);
    }

    private static int integer(String flag, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs an integer; got '" + value + "'", e);
        }
    }

    private static double decimal(String flag, String value) {
        try {
            return Double.parseDouble(value.toLowerCase(Locale.ROOT));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a number; got '" + value + "'", e);
        }
    }
}
