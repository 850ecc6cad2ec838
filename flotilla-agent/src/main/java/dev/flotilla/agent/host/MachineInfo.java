package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/** What the control plane says about one of the host's machines (the fields the agent uses). */
public record MachineInfo(long id, String gpuModel, int numGpus, boolean listed, Optional<Instant> lastHeartbeat) {
    public MachineInfo {
        requireNonNull(gpuModel, "gpuModel is null");
        requireNonNull(lastHeartbeat, "lastHeartbeat is null");
    }
}
