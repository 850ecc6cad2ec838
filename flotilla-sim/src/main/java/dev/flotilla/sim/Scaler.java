package dev.flotilla.sim;

import java.util.List;

/** A scaling policy as the simulator drives it: asked every tick for the desired worker count. */
public interface Scaler {
    String name();

    int desiredWorkers(Observation o, List<SimRequest> trace);

    /** Workers ready before the first request (static provisioning); 0 for policies that scale. */
    default int initialWorkers(List<SimRequest> trace, double perWorkerRps) {
        return 0;
    }

    /** A worker asked for at {@code requestedMicros} became ready at {@code readyMicros} (lead-time learning). */
    default void workerReady(long requestedMicros, long readyMicros) {}

    /** Whether workers become ready the moment they are asked for (the oracle's lower bound). */
    default boolean instantProvisioning() {
        return false;
    }
}
