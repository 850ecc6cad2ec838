package dev.flotilla.routing;

import static dev.flotilla.routing.Workers.request;
import static dev.flotilla.routing.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RoundRobinRouterTest {
    private final Router router = new RoundRobinRouter();

    @Test
    void cyclesInIdOrderRegardlessOfListOrderAndLoad() {
        List<WorkerState> workers = List.of(worker("c", 0, 4), worker("a", 9, 4), worker("b", 1, 4));
        assertThat(choices(request(), workers, 7)).containsExactly("a", "b", "c", "a", "b", "c", "a");
    }

    @Test
    void spreadsEvenly() {
        List<WorkerState> workers = Workers.idle(5, 4);
        Map<String, Long> counts = choices(request(), workers, 1000).stream()
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(counts).hasSize(5).allSatisfy((id, n) -> assertThat(n).isEqualTo(200L));
    }

    @Test
    void skipsExcludedAndNotReadyWorkersWithoutLosingItsPlace() {
        List<WorkerState> workers = List.of(worker("a", 0, 4), worker("b", 0, 4), worker("c", 0, 4), worker("d", 0, 4));
        assertThat(choices(request(), workers, 1)).containsExactly("a");
        List<WorkerState> bDraining = List.of(
                workers.get(0), workers.get(1).withStatus(WorkerStatus.DRAINING), workers.get(2), workers.get(3));
        assertThat(choices(request().excluding("c"), bDraining, 1)).containsExactly("d");
        assertThat(choices(request(), workers, 2)).containsExactly("a", "b");
    }

    @Test
    void keepsOneCursorPerEndpoint() {
        WorkerState m1 = WorkerState.ready("m1", "mistral", "eu-west", 4);
        WorkerState m2 = WorkerState.ready("m2", "mistral", "eu-west", 4);
        List<WorkerState> workers = List.of(worker("a", 0, 4), worker("b", 0, 4), m1, m2);
        RoutingRequest mistral = RoutingRequest.of("mistral");
        assertThat(choices(request(), workers, 1)).containsExactly("a");
        assertThat(choices(mistral, workers, 1)).containsExactly("m1");
        assertThat(choices(request(), workers, 1)).containsExactly("b");
        assertThat(choices(mistral, workers, 1)).containsExactly("m2");
    }

    @Test
    void returnsEmptyWhenNothingIsRoutable() {
        assertThat(router.choose(request(), List.of(worker("a", 0, 4).withStatus(WorkerStatus.STOPPED))))
                .isEmpty();
    }

    private List<String> choices(RoutingRequest request, List<WorkerState> workers, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(router.choose(request, workers).orElseThrow().workerId());
        }
        return out;
    }
}
