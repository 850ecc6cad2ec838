package dev.flotilla.embeddings;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * Settings of {@link EmbeddingsServer}, one per command-line flag; see the module README for the
 * table of flags and defaults.
 */
public record ServerConfig(String host, int port, String servedModelName, BatchPolicy batchPolicy,
        int maxInputs, int maxBodyBytes) {
    public static final String DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2";
    /** OpenAI's own limit on inputs per request. */
    public static final int DEFAULT_MAX_INPUTS = 2048;
    /** 2048 inputs of 512 tokens at a few bytes per token fit; anything far bigger is abuse. */
    public static final int DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

    public ServerConfig {
        requireNonNull(host, "host is null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port is " + port + "; it must be 0 (ephemeral) to 65535");
        }
        requireNonNull(servedModelName, "servedModelName is null");
        if (servedModelName.isBlank()) {
            throw new IllegalArgumentException("servedModelName is blank");
        }
        requireNonNull(batchPolicy, "batchPolicy is null");
        if (maxInputs < 1) {
            throw new IllegalArgumentException("maxInputs is " + maxInputs + "; it must be at least 1");
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes is " + maxBodyBytes + "; it must be at least 1");
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig("0.0.0.0", 8000, DEFAULT_MODEL_NAME, BatchPolicy.DEFAULT, DEFAULT_MAX_INPUTS,
                DEFAULT_MAX_BODY_BYTES);
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, servedModelName, batchPolicy, maxInputs, maxBodyBytes);
    }

    public ServerConfig withMaxBodyBytes(int newMaxBodyBytes) {
        return new ServerConfig(host, port, servedModelName, batchPolicy, maxInputs, newMaxBodyBytes);
    }

    /** Parses {@code --flag value} pairs; an unknown flag or bad value is an IllegalArgumentException. */
    public static ServerConfig parse(List<String> args) {
        ServerConfig defaults = defaults();
        String host = defaults.host();
        int port = defaults.port();
        String name = defaults.servedModelName();
        int batchSize = defaults.batchPolicy().maxBatchSize();
        Duration batchWait = defaults.batchPolicy().maxWait();
        int maxInputs = defaults.maxInputs();
        int maxBody = defaults.maxBodyBytes();
        for (int i = 0; i < args.size(); i += 2) {
            String flag = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args.get(i + 1);
            switch (flag) {
                case "--host" -> host = value;
                case "--port" -> port = integer(flag, value);
                case "--served-model-name" -> name = value;
                case "--batch-max-size" -> batchSize = integer(flag, value);
                case "--batch-max-wait-ms" -> batchWait = Duration.ofMillis(integer(flag, value));
                case "--max-inputs" -> maxInputs = integer(flag, value);
                case "--max-body-bytes" -> maxBody = integer(flag, value);
                default -> throw new IllegalArgumentException("unknown flag " + flag + "; known flags: --host, --port,"
                        + " --served-model-name, --batch-max-size, --batch-max-wait-ms, --max-inputs, --max-body-bytes");
            }
        }
        return new ServerConfig(host, port, name, new BatchPolicy(batchSize, batchWait), maxInputs, maxBody);
    }

    private static int integer(String flag, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " is \"" + value + "\"; it must be an integer", e);
        }
    }
}
