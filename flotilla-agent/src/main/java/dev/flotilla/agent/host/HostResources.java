package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's CPU cores, RAM and disk as the agent lists them: cores from the JVM, RAM from the
 * operating system where the JVM can read it cheaply, disk as the usable space of the file store
 * that holds the state directory (where rentals' data would go).
 */
public record HostResources(int cpuCores, double cpuRamGb, double diskGb) {
    /** RAM assumed where the operating system does not say. */
    public static final double DEFAULT_RAM_GB = 32;

    private static final double GB = 1e9;

    public HostResources {
        if (cpuCores < 1) {
            throw new IllegalArgumentException("cpuCores must be at least 1, got " + cpuCores);
        }
        if (!(cpuRamGb > 0) || !(diskGb > 0)) {
            throw new IllegalArgumentException("RAM and disk must be positive, got " + cpuRamGb + " GB and " + diskGb + " GB");
        }
    }

    /** Reads this machine's figures; {@code stateDir} must exist. */
    public static HostResources probe(Path stateDir) {
        requireNonNull(stateDir, "stateDir is null");
        int cores = Runtime.getRuntime().availableProcessors();
        double ram = DEFAULT_RAM_GB;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                && os.getTotalMemorySize() > 0) {
            ram = round(os.getTotalMemorySize() / GB);
        }
        double disk;
        try {
            disk = round(Files.getFileStore(stateDir).getUsableSpace() / GB);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the free space of " + stateDir + ": " + e.getMessage(), e);
        }
        return new HostResources(cores, ram, Math.max(disk, 1));
    }

    private static double round(double gb) {
        return Math.round(gb * 10) / 10.0;
    }
}
