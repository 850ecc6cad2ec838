package dev.flotilla.server.serving;

import dev.flotilla.store.WorkerRepo;
import java.util.Comparator;
import java.util.List;

/**
 * Which workers to drain when an endpoint has more than it should: pure policy. Workers not yet
 * ready go first (they serve nothing yet); among ready ones the worst price-performance first
 * (highest price per unit of benchmarked capacity), so what stays is the cheapest capacity; ties
 * go to the newest.
 */
public final class ScaleDown {
    private ScaleDown() {}

    public static List<WorkerRepo.Worker> victims(List<WorkerRepo.Worker> active, int count) {
        if (count <= 0) {
            return List.of();
        }
        return active.stream()
                .filter(w -> w.state().active())
                .sorted(Comparator.comparing((WorkerRepo.Worker w) -> w.state() == WorkerRepo.State.READY)
                        .thenComparing(Comparator.comparingDouble(ScaleDown::pricePerCapacity).reversed())
                        .thenComparing(Comparator.comparingLong(WorkerRepo.Worker::id).reversed()))
                .limit(count)
                .toList();
    }

    private static double pricePerCapacity(WorkerRepo.Worker w) {
        return w.pricePerHourMicros() / Math.max(w.capacity(), 1e-9);
    }
}
