package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One worker the control plane wants on this machine, as {@code GET /api/v1/machines/{id}/workers}
 * lists it: which endpoint it serves, what to run (a {@code BackendTemplates} name, the model, the
 * GPU model id and the device indexes of the rental's slice), whether it should run or drain, and
 * its HMAC key for the gateway's per-request credential.
 *
 * <p>The key is a secret: it is copied in and out, and {@link #toString()} leaves it out so that
 * logging an assignment never leaks it.
 */
public record WorkerAssignment(String id, String endpointId, String endpoint, String backend, String model, String gpu,
        List<Integer> gpus, Desired desired, String state, byte[] key, Optional<KnownCapacity> knownCapacity) {
    /**
     * The capacity a worker on the same rental measured before it was parked cold: a worker
     * resumed from it reports this instead of benchmarking again (the hardware and the model are
     * the same; the benchmark is the slowest part of a start after the model's load).
     */
    public record KnownCapacity(double capacity, double requestsPerSecond, double tokensPerSecond) {
        public KnownCapacity {
            if (!(capacity >= 1) || !(requestsPerSecond >= 0) || !(tokensPerSecond >= 0)) {
                throw new IllegalArgumentException("a known capacity needs capacity >= 1 and rates >= 0, got " + capacity
                        + ", " + requestsPerSecond + ", " + tokensPerSecond);
            }
        }
    }

    /** A worker to benchmark on start (no known capacity). */
    public WorkerAssignment(String id, String endpointId, String endpoint, String backend, String model, String gpu,
            List<Integer> gpus, Desired desired, String state, byte[] key) {
        this(id, endpointId, endpoint, backend, model, gpu, gpus, desired, state, key, Optional.empty());
    }

    /** What the control plane wants of the worker. */
    public enum Desired {
        /** Keep it alive (its state is creating, loading, benchmarking or ready). */
        RUN,
        /** Drain it: finish the requests in flight, then stop (its state is draining). */
        STOP;

        /** {@code run} or {@code stop}; anything else is refused with the accepted values. */
        public static Desired parse(String wire) {
            return switch (wire) {
                case "run" -> RUN;
                case "stop" -> STOP;
                default -> throw new IllegalArgumentException("desired must be run or stop, got '" + wire + "'");
            };
        }

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public WorkerAssignment {
        requireNonNull(id, "id is null");
        requireNonNull(endpointId, "endpointId is null");
        requireNonNull(endpoint, "endpoint is null");
        requireNonNull(backend, "backend is null");
        requireNonNull(model, "model is null");
        requireNonNull(gpu, "gpu is null");
        gpus = List.copyOf(requireNonNull(gpus, "gpus is null"));
        requireNonNull(desired, "desired is null");
        requireNonNull(state, "state is null");
        key = requireNonNull(key, "key is null").clone();
        requireNonNull(knownCapacity, "knownCapacity is null");
        // Ids travel inside the worker token, whose fields are separated by dots.
        if (id.isEmpty() || id.indexOf('.') >= 0 || endpointId.isEmpty() || endpointId.indexOf('.') >= 0) {
            throw new IllegalArgumentException("worker and endpoint ids must be non-empty without '.', got worker '" + id
                    + "' of endpoint '" + endpointId + "'");
        }
        if (key.length == 0) {
            throw new IllegalArgumentException("worker " + id + " has an empty key");
        }
    }

    /** A copy of the worker's HMAC key. */
    @Override
    public byte[] key() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WorkerAssignment w && id.equals(w.id) && endpointId.equals(w.endpointId)
                && endpoint.equals(w.endpoint) && backend.equals(w.backend) && model.equals(w.model) && gpu.equals(w.gpu)
                && gpus.equals(w.gpus) && desired == w.desired && state.equals(w.state) && Arrays.equals(key, w.key)
                && knownCapacity.equals(w.knownCapacity);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, endpointId, endpoint, backend, model, gpu, gpus, desired, state, Arrays.hashCode(key),
                knownCapacity);
    }

    @Override
    public String toString() {
        return "worker " + id + " of endpoint " + endpoint + " (" + endpointId + "): " + backend + " " + model + " on " + gpu
                + " " + gpus + ", desired " + desired.wireName() + ", state " + state;
    }
}
