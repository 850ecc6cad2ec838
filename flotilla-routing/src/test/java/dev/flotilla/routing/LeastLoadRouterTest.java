package dev.flotilla.routing;

import static dev.flotilla.routing.Workers.request;
import static dev.flotilla.routing.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LeastLoadRouterTest {
    private final Router router = new LeastLoadRouter();

    @Test
    void choosesLowestLoadNormalisedByCapacity() {
        // a: 4/8 = 0.5, b: 3/4 = 0.75, c: 2/2 = 1.0; fewest requests is not least load.
        List<WorkerState> workers = List.of(worker("b", 3, 4), worker("c", 2, 2), worker("a", 4, 8));
        assertThat(router.choose(request(), workers)).map(RoutingDecision::workerId).contains("a");
    }

    @Test
    void countsRequestsQueuedInTheEngine() {
        List<WorkerState> workers = List.of(worker("a", 1, 4).withLoad(1, 3), worker("b", 2, 4));
        assertThat(router.choose(request(), workers)).map(RoutingDecision::workerId).contains("b");
    }

    @Test
    void breaksTiesByKvUtilisationThenId() {
        List<WorkerState> workers = List.of(
                worker("c", 1, 4).withKvCacheUtilization(0.2),
                worker("b", 1, 4).withKvCacheUtilization(0.9),
                worker("a", 1, 4).withKvCacheUtilization(0.2));
        assertThat(router.choose(request(), workers)).map(RoutingDecision::workerId).contains("a");
        assertThat(router.choose(request(), workers.reversed())).map(RoutingDecision::workerId).contains("a");
    }

    @Test
    void skipsExcludedNotReadyAndOtherEndpointsWorkers() {
        List<WorkerState> workers = List.of(
                worker("idle-draining", 0, 4).withStatus(WorkerStatus.DRAINING),
                worker("idle-starting", 0, 4).withStatus(WorkerStatus.STARTING),
                WorkerState.ready("idle-other-endpoint", "mistral-7b", "eu-west", 4),
                worker("tried", 0, 4),
                worker("busy", 3, 4));
        assertThat(router.choose(request().excluding("tried"), workers))
                .map(RoutingDecision::workerId)
                .contains("busy");
    }

    @Test
    void returnsEmptyWhenNothingIsRoutable() {
        List<WorkerState> workers = List.of(worker("a", 0, 4).withStatus(WorkerStatus.UNHEALTHY), worker("b", 0, 4));
        assertThat(router.choose(request().excluding("b"), workers)).isEmpty();
        assertThat(router.choose(request(), List.of())).isEmpty();
    }
}
