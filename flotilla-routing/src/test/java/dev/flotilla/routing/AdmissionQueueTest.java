package dev.flotilla.routing;

import static dev.flotilla.routing.WorkerStateTest.assertField;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionQueueTest {
    private final FakeClock clock = new FakeClock();
    private final AdmissionSettings settings = AdmissionSettings.of(3, Duration.ofSeconds(30));

    @Test
    void admitsAtOnceWhileSlotsAreFree() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 2);
        assertThat(q.offer("r1", clock.instant())).isEqualTo(new Admission.Admitted("r1"));
        assertThat(q.offer("r2", clock.instant())).isEqualTo(new Admission.Admitted("r2"));
        assertThat(q.offer("r3", clock.instant())).isInstanceOf(Admission.Queued.class);
        assertThat(q.inServiceCount()).isEqualTo(2);
    }

    @Test
    void queuesWhileColdAndHandsOutInFifoOrderAsCapacityArrives() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 0);
        assertThat(q.offer("r1", clock.instant()))
                .isEqualTo(new Admission.Queued("r1", clock.instant().plusSeconds(30), 1));
        clock.tickMillis(100);
        assertThat(q.offer("r2", clock.instant())).isInstanceOfSatisfying(Admission.Queued.class,
                a -> assertThat(a.position()).isEqualTo(2));
        clock.tickMillis(100);
        q.offer("r3", clock.instant());
        assertThat(q.poll(clock.instant())).isEmpty();

        q.setCapacity(1);
        assertThat(q.poll(clock.instant()).orElseThrow().requestId()).isEqualTo("r1");
        assertThat(q.poll(clock.instant())).isEmpty();
        clock.tickMillis(800);
        assertThat(q.release("r1", clock.instant())).isTrue();
        AdmissionQueue.Waiter next = q.poll(clock.instant()).orElseThrow();
        assertThat(next.requestId()).isEqualTo("r2");
        assertThat(next.waited(clock.instant())).isEqualTo(Duration.ofMillis(900));
    }

    @Test
    void newcomerQueuesBehindWaitersEvenWhenASlotJustFreed() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 1);
        q.offer("r1", clock.instant());
        q.offer("r2", clock.instant());
        q.release("r1", clock.instant());
        assertThat(q.offer("r3", clock.instant())).isInstanceOf(Admission.Queued.class);
        assertThat(q.poll(clock.instant()).orElseThrow().requestId()).isEqualTo("r2");
    }

    @Test
    void expiresWaitersExactlyAtTheirDeadlineAs503WithRetryAfter() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 0);
        q.offer("r1", clock.instant());
        clock.tickMillis(10_000);
        q.offer("r2", clock.instant());
        clock.tick(Duration.ofSeconds(20).minusNanos(1));
        assertThat(q.expire(clock.instant())).isEmpty();
        clock.tick(Duration.ofNanos(1));
        List<AdmissionQueue.Expired> expired = q.expire(clock.instant());
        assertThat(expired).singleElement().satisfies(e -> {
            assertThat(e.waiter().requestId()).isEqualTo("r1");
            assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(e.code().httpStatus()).isEqualTo(503);
            // No completions yet (cold start): Retry-After is the max queue time.
            assertThat(e.retryAfterSeconds()).isEqualTo(30);
        });
        assertThat(q.waitingCount()).isEqualTo(1);
        assertThat(q.expire(clock.instant())).isEmpty();
    }

    @Test
    void pollSkipsExpiredWaitersAndLeavesThemForExpire() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 0);
        q.offer("old", clock.instant());
        clock.tickMillis(20_000);
        q.offer("fresh", clock.instant());
        clock.tickMillis(10_000);
        q.setCapacity(1);
        assertThat(q.poll(clock.instant()).orElseThrow().requestId()).isEqualTo("fresh");
        assertThat(q.expire(clock.instant())).extracting(e -> e.waiter().requestId()).containsExactly("old");
    }

    @Test
    void rejectsWith429WhenFullWithRetryAfterFromTheServiceRate() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 2);
        q.offer("a", clock.instant());
        q.offer("b", clock.instant());
        // 30 completions in the last minute: mu = 0.5/s.
        for (int i = 0; i < 30; i++) {
            clock.tickMillis(1_000);
            q.release(i % 2 == 0 ? "a" : "b", clock.instant());
            q.offer(i % 2 == 0 ? "a" : "b", clock.instant());
        }
        q.offer("w1", clock.instant());
        q.offer("w2", clock.instant());
        q.offer("w3", clock.instant());
        Admission a = q.offer("w4", clock.instant());
        assertThat(a).isInstanceOfSatisfying(Admission.Rejected.class, r -> {
            assertThat(r.code()).isEqualTo(ErrorCode.RATE_LIMITED);
            assertThat(r.code().httpStatus()).isEqualTo(429);
            // (q + 1) / mu = (3 + 1) / 0.5 = 8 s.
            assertThat(r.retryAfterSeconds()).isEqualTo(8);
            assertThat(r.message()).contains("queue is full").contains("8 s");
        });
        assertThat(q.serviceRatePerSecond(clock.instant())).isEqualTo(0.5);
        // A minute later without completions the rate decays to zero: fall back to max queue time.
        clock.tickMillis(60_000);
        assertThat(q.serviceRatePerSecond(clock.instant())).isZero();
    }

    @Test
    void expiredWaitersFreeTheirPlaceInAFullQueue() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 0);
        q.offer("r1", clock.instant());
        q.offer("r2", clock.instant());
        q.offer("r3", clock.instant());
        assertThat(q.offer("r4", clock.instant())).isInstanceOf(Admission.Rejected.class);
        clock.tickMillis(30_000);
        assertThat(q.offer("r4", clock.instant())).isInstanceOf(Admission.Queued.class);
    }

    @Test
    void cancelRemovesAWaiterWhoseClientLeft() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 0);
        q.offer("r1", clock.instant());
        q.offer("r2", clock.instant());
        assertThat(q.cancel("r1")).isTrue();
        assertThat(q.cancel("r1")).isFalse();
        assertThat(q.cancel("never")).isFalse();
        q.setCapacity(5);
        assertThat(q.poll(clock.instant()).orElseThrow().requestId()).isEqualTo("r2");
        assertThat(q.poll(clock.instant())).isEmpty();
    }

    @Test
    void releaseIsIdempotentAndIgnoresUnknownRequests() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 1);
        q.offer("r1", clock.instant());
        assertThat(q.release("r1", clock.instant())).isTrue();
        assertThat(q.release("r1", clock.instant())).isFalse();
        assertThat(q.release("ghost", clock.instant())).isFalse();
        assertThat(q.serviceRatePerSecond(clock.instant())).isEqualTo(1 / 60.0);
    }

    @Test
    void duplicateRequestIdIsAConflict() {
        AdmissionQueue q = new AdmissionQueue("e", settings, 1);
        q.offer("r1", clock.instant());
        assertThatThrownBy(() -> q.offer("r1", clock.instant()))
                .isInstanceOfSatisfying(FlotillaException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining("r1");
    }

    @Test
    void invalidSettingsNameTheField() {
        assertField(() -> AdmissionSettings.of(0, Duration.ofSeconds(1)), "max-queue-length");
        assertField(() -> AdmissionSettings.of(1, Duration.ZERO), "max-queue-time");
        assertField(() -> AdmissionSettings.of(1, null), "max-queue-time");
        assertField(() -> new AdmissionSettings(1, Duration.ofSeconds(1), Duration.ofSeconds(-1)), "service-rate-window");
        assertField(() -> new AdmissionQueue("e", settings, -1), "capacity");
    }
}
