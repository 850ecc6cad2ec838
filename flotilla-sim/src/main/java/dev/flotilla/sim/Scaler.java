package dev.flotilla.sim;

import dev.flotilla.autoscale.Forecast;
import java.util.List;
import java.util.Optional;

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

    /**
     * The forecast behind the last {@link #desiredWorkers} answer, for the report's forecast line;
     * empty for a scaler that does not forecast.
     */
    default Optional<Forecast> lastForecast() {
        return Optional.empty();
    }

    /** Whether workers become ready the moment they are asked for (the oracle's lower bound). */
    default boolean instantProvisioning() {
        return false;
    }
}
