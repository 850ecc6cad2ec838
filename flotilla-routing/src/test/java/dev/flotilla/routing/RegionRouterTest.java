package dev.flotilla.routing;

import static dev.flotilla.routing.Workers.request;
import static dev.flotilla.routing.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegionRouterTest {
    private final List<WorkerState> workers = List.of(
            worker("eu-1", "eu-west", 8), worker("eu-2", "eu-west", 5), worker("us-1", "us-east", 1), worker("us-2", "us-east", 3));

    @Test
    void prefersCallersRegionEvenWhenBusierThanElsewhere() {
        Router router = new RegionRouter(RouterSettings.defaults());
        assertThat(router.choose(request().withCallerRegion("eu-west"), workers))
                .map(RoutingDecision::workerId)
                .contains("eu-2");
    }

    @Test
    void usesGatewayRegionWhenTheCallerNamesNone() {
        Router router = new RegionRouter(RouterSettings.defaults().withGatewayRegion("eu-west"));
        assertThat(router.choose(request(), workers)).map(RoutingDecision::workerId).contains("eu-2");
        assertThat(router.choose(request().withCallerRegion("us-east"), workers))
                .map(RoutingDecision::workerId)
                .contains("us-1");
    }

    @Test
    void fallsBackToLeastLoadAnywhereWhenTheRegionHasNoRoutableWorker() {
        Router router = new RegionRouter(RouterSettings.defaults());
        assertThat(router.choose(request().withCallerRegion("eu-west").excluding("eu-1", "eu-2"), workers))
                .hasValueSatisfying(d -> {
                    assertThat(d.workerId()).isEqualTo("us-1");
                    assertThat(d.reason()).contains("none ready in eu-west");
                });
        assertThat(router.choose(request().withCallerRegion("ap-south"), workers))
                .map(RoutingDecision::workerId)
                .contains("us-1");
        assertThat(router.choose(request(), workers)).map(RoutingDecision::workerId).contains("us-1");
    }

    @Test
    void ignoresNotReadyWorkersInTheRegion() {
        Router router = new RegionRouter(RouterSettings.defaults());
        List<WorkerState> drainingEu = List.of(
                workers.get(0).withStatus(WorkerStatus.DRAINING), workers.get(1), workers.get(2), workers.get(3));
        assertThat(router.choose(request().withCallerRegion("eu-west").excluding("eu-2"), drainingEu))
                .map(RoutingDecision::workerId)
                .contains("us-1");
        assertThat(router.choose(request().excluding("eu-2", "us-1", "us-2"), drainingEu)).isEmpty();
    }
}
