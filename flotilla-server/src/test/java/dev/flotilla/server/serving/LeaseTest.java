package dev.flotilla.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.server.FakeClock;
import dev.flotilla.store.Database;
import dev.flotilla.store.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two control-plane replicas on one database: one reconciles at a time (on H2 and on PostgreSQL). */
class LeaseTest {
    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-27T00:00:00Z"));
    private final Database db = TestDatabases.open();

    @AfterEach
    void close() {
        db.close();
    }

    private Lease replica(String id) {
        return new Lease(db, clock, "reconciler", id, Duration.ofSeconds(10));
    }

    @Test
    void oneReplicaHoldsTheLeaseUntilItStopsRenewingOrReleasesIt() {
        Lease a = replica("a");
        Lease b = replica("b");

        assertThat(a.acquire()).isTrue();
        assertThat(b.acquire()).isFalse();
        clock.advance(Duration.ofSeconds(5));
        assertThat(a.acquire()).as("the holder renews").isTrue();
        clock.advance(Duration.ofSeconds(9));
        assertThat(b.acquire()).as("renewed 9 s ago for 10 s: still a's").isFalse();
        clock.advance(Duration.ofSeconds(2));
        assertThat(b.acquire()).as("a stopped renewing: b takes over").isTrue();
        assertThat(a.acquire()).isFalse();
        assertThat(a.held()).isFalse();

        b.release();
        assertThat(a.acquire()).as("released: taken at once").isTrue();
    }

    @Test
    void replicasRacingForAFreeLeaseNeverBothWin() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 5; round++) {
                clock.advance(Duration.ofSeconds(11)); // whoever held it has expired
                List<Callable<Boolean>> tries = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    Lease l = replica("r" + round + "-" + i);
                    tries.add(l::acquire);
                }
                int winners = 0;
                for (Future<Boolean> f : pool.invokeAll(tries)) {
                    winners += f.get() ? 1 : 0;
                }
                assertThat(winners).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
