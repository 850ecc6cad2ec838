package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.Errors.assertField;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class CapacityTest {
    @Test
    void heterogeneousWorkersAddTheirRates() {
        Capacity h100 = Capacity.ofWorker(10, 32);
        Capacity l4 = Capacity.ofWorker(2, 8);
        Capacity fleet = Capacity.sum(List.of(h100, l4, l4));
        assertThat(fleet).isEqualTo(new Capacity(14, 48, 3));
        assertThat(fleet.perWorkerRps().orElseThrow()).isCloseTo(14 / 3.0, within(1e-12));
        assertThat(Capacity.NONE.perWorkerRps()).isEmpty();
        assertThat(Capacity.sum(List.of())).isEqualTo(Capacity.NONE);
    }

    @Test
    void workersForIsTheCeilingOfRateOverTargetCapacity() {
        assertThat(Capacity.workersFor(10, 1, 0.7)).isEqualTo(15); // 14.29
        assertThat(Capacity.workersFor(0.01, 4, 0.7)).isEqualTo(1);
        assertThat(Capacity.workersFor(0, 4, 0.7)).isZero();
        assertThat(Capacity.workersFor(Double.NaN, 4, 0.7)).isZero();
        assertThat(Capacity.workersFor(1e300, 1e-3, 0.1)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void exactMultiplesDoNotRoundUpOnFloatingPointNoise() {
        // 7.7 / 0.7 is 11.000000000000002 in doubles; eleven workers at 70% carry exactly 7.7 req/s.
        assertThat(7.7 / 0.7).isGreaterThan(11);
        assertThat(Capacity.workersFor(7.7, 1, 0.7)).isEqualTo(11);
        assertThat(2.1 / 0.7).isGreaterThan(3);
        assertThat(Capacity.workersFor(2.1, 1, 0.7)).isEqualTo(3);
        assertThat(Capacity.workersFor(7.701, 1, 0.7)).isEqualTo(12);
    }

    @Test
    void invalidCapacitiesAreRejectedWithTheFieldNamed() {
        assertField(() -> Capacity.ofWorker(0, 8), "requests_per_s");
        assertField(() -> new Capacity(Double.NaN, 1, 1), "requests_per_s");
        assertField(() -> new Capacity(1, -1, 1), "capacity");
        assertField(() -> new Capacity(1, 1, 0), "workers");
        assertField(() -> Capacity.workersFor(1, 0, 0.7), "per_worker_rps");
        assertField(() -> Capacity.workersFor(1, 1, 0), "target_util");
    }
}
