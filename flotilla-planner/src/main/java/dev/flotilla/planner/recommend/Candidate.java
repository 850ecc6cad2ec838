package dev.flotilla.planner.recommend;

import dev.flotilla.core.Money;
import java.util.Optional;

/**
 * One hardware configuration the planner considered: {@code gpus} GPUs of one model per rental,
 * split into tensor-parallel groups of {@code tensorParallel} (so {@code gpus / tensorParallel}
 * serving instances per rental), and {@code rentals} such rentals to carry the workload.
 * Latency and throughput are predicted by the engine model at the load each instance carries.
 * {@code reason} is empty for a candidate that meets the SLO within the market and budget, and
 * says why not otherwise.
 */
public record Candidate(
        String gpu,
        String gpuModelId,
        int gpus,
        int tensorParallel,
        boolean fits,
        long kvTokens,
        double ttftMs,
        double tpotMs,
        double throughputTokensPerS,
        double maxRpsPerRental,
        int rentals,
        int offersAvailable,
        Optional<Money> pricePerHour,
        Optional<Money> costPerHour,
        Optional<Money> costPerMillionTokens,
        Optional<String> reason) {

    public boolean accepted() {
        return reason.isEmpty();
    }
}
