package dev.flotilla.routing;

import java.util.ArrayList;
import java.util.List;

/** Crafted worker snapshots for router tests. */
final class Workers {
    static final String ENDPOINT = "llama-8b";

    private Workers() {}

    static WorkerState worker(String id, int inFlight, double capacity) {
        return WorkerState.ready(id, ENDPOINT, "eu-west", capacity).withLoad(inFlight, 0);
    }

    static WorkerState worker(String id, String region, int inFlight) {
        return WorkerState.ready(id, ENDPOINT, region, 10).withLoad(inFlight, 0);
    }

    /** {@code n} idle ready workers w0..w(n-1) with the given capacity. */
    static List<WorkerState> idle(int n, double capacity) {
        List<WorkerState> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(worker("w" + i, 0, capacity));
        }
        return out;
    }

    /** The snapshot after the chosen worker took one more request. */
    static List<WorkerState> plusOne(List<WorkerState> workers, String chosen) {
        return workers.stream()
                .map(w -> w.workerId().equals(chosen) ? w.withLoad(w.inFlight() + 1, w.queued()) : w)
                .toList();
    }

    static RoutingRequest request() {
        return RoutingRequest.of(ENDPOINT);
    }
}
