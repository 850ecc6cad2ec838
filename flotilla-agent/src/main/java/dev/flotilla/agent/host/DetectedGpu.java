package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

/** One GPU as {@code nvidia-smi} reports it: its NVIDIA name, memory in MiB and driver version. */
public record DetectedGpu(String name, long memoryMib, String driverVersion) {
    public DetectedGpu {
        requireNonNull(name, "name is null");
        requireNonNull(driverVersion, "driverVersion is null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("GPU name is blank");
        }
        if (memoryMib < 0) {
            throw new IllegalArgumentException("GPU memory must not be negative, got " + memoryMib + " MiB");
        }
    }
}
