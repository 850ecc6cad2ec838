package dev.flotilla.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.FlotillaException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WorkerStateTest {
    @Test
    void loadIsOutstandingOverBenchmarkedCapacity() {
        WorkerState w = WorkerState.ready("w1", "e", "eu", 8).withLoad(3, 1);
        assertThat(w.outstanding()).isEqualTo(4);
        assertThat(w.load()).isEqualTo(0.5);
        assertThat(w.routable()).isTrue();
        assertThat(w.withStatus(WorkerStatus.DRAINING).routable()).isFalse();
        assertThat(w.heartbeat()).isEmpty();
        assertThat(w.withHeartbeat(Instant.EPOCH).heartbeat()).contains(Instant.EPOCH);
    }

    @Test
    void invalidFieldsAreRejectedWithTheFieldNamed() {
        assertField(() -> WorkerState.ready("w", "e", "eu", 0), "capacity");
        assertField(() -> WorkerState.ready("w", "e", "eu", Double.NaN), "capacity");
        assertField(() -> WorkerState.ready("", "e", "eu", 1), "worker-id");
        assertField(() -> WorkerState.ready("w", " ", "eu", 1), "endpoint-id");
        assertField(() -> WorkerState.ready("w", "e", null, 1), "region");
        assertField(() -> WorkerState.ready("w", "e", "eu", 1).withLoad(-1, 0), "in-flight");
        assertField(() -> WorkerState.ready("w", "e", "eu", 1).withLoad(0, -2), "queued");
        assertField(() -> WorkerState.ready("w", "e", "eu", 1).withKvCacheUtilization(1.5), "kv-cache-utilization");
    }

    @Test
    void requestCopiesItsPrefixAndExclusions() {
        long[] hashes = {1, 2, 3};
        RoutingRequest r = RoutingRequest.of("e").withPrefix(hashes).excluding("w1");
        hashes[0] = 99;
        assertThat(r.prefixBlockHashes()).containsExactly(1, 2, 3);
        assertThat(r.prefixKey(2)).contains(2L);
        assertThat(r.prefixKey(10)).contains(3L);
        assertThat(RoutingRequest.of("e").prefixKey(2)).isEmpty();
        assertThat(r.excluding("w2").excludedWorkers()).containsExactlyInAnyOrder("w1", "w2");
        assertThat(r).isEqualTo(RoutingRequest.of("e").withPrefix(1, 2, 3).excluding("w1"));
        assertField(() -> RoutingRequest.of("e").withCallerRegion(""), "caller-region");
    }

    @Test
    void promptsSharingLeadingBlocksShareTheirLeadingHashes() {
        String system = "s".repeat(4096);
        long[] a = PrefixHashes.ofText(system + "What is a GPU?", 2048, 8);
        long[] b = PrefixHashes.ofText(system + "Explain KV caches.", 2048, 8);
        assertThat(a).hasSize(3);
        assertThat(a[0]).isEqualTo(b[0]);
        assertThat(a[1]).isEqualTo(b[1]);
        assertThat(a[2]).isNotEqualTo(b[2]);
        assertThat(PrefixHashes.ofText("x".repeat(100_000), 2048, 4)).hasSize(4);
        assertThat(PrefixHashes.ofText("", 2048, 4)).isEmpty();
        assertField(() -> PrefixHashes.ofText("p", 0, 4), "block-chars");
    }

    static void assertField(Runnable r, String field) {
        assertThatThrownBy(r::run)
                .isInstanceOfSatisfying(FlotillaException.class, e -> assertThat(e.field()).contains(field))
                .hasMessageContaining(field);
    }
}
