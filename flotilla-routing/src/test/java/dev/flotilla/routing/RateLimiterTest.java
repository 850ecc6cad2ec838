package dev.flotilla.routing;

import static dev.flotilla.routing.WorkerStateTest.assertField;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private final FakeClock clock = new FakeClock();

    @Test
    void allowsABurstThenRefillsAtExactlyTheConfiguredRate() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(60, 1_000_000));
        for (int i = 0; i < 60; i++) {
            assertThat(limiter.tryAcquire("acme", 1, 0, clock.instant()).allowed()).isTrue();
        }
        RateDecision denied = limiter.tryAcquire("acme", 1, 0, clock.instant());
        assertThat(denied).isEqualTo(new RateDecision.Denied("requests-per-minute", Duration.ofSeconds(1)));
        clock.tick(Duration.ofMillis(999));
        assertThat(limiter.tryAcquire("acme", 1, 0, clock.instant()))
                .isEqualTo(new RateDecision.Denied("requests-per-minute", Duration.ofMillis(1)));
        clock.tickMillis(1);
        assertThat(limiter.tryAcquire("acme", 1, 0, clock.instant()).allowed()).isTrue();
        // Ten minutes idle refill only up to the burst.
        clock.tick(Duration.ofMinutes(10));
        assertThat(limiter.availableRequests("acme", clock.instant())).isEqualTo(60);
    }

    @Test
    void waitIsExactForRatesThatDoNotDivideAMinute() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(7, 1_000));
        for (int i = 0; i < 7; i++) {
            limiter.tryAcquire("t", 1, 0, clock.instant());
        }
        // One request per 60/7 s = 8.571428...s; microsecond resolution rounded up.
        RateDecision.Denied d = (RateDecision.Denied) limiter.tryAcquire("t", 1, 0, clock.instant());
        assertThat(d.waitTime()).isEqualTo(Duration.ofNanos(8_571_429_000L));
        assertThat(d.retryAfterSeconds()).isEqualTo(9);
        clock.tick(d.waitTime().minusNanos(1_000));
        assertThat(limiter.tryAcquire("t", 1, 0, clock.instant()).allowed()).isFalse();
        clock.tick(Duration.ofNanos(1_000));
        assertThat(limiter.tryAcquire("t", 1, 0, clock.instant()).allowed()).isTrue();
    }

    @Test
    void tokenBucketDeniesWithTheTokenLimitAndTakesNothing() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(100, 6_000));
        assertThat(limiter.tryAcquire("t", 1, 5_000, clock.instant()))
                .isEqualTo(new RateDecision.Allowed(99, 1_000));
        // Needs 2,000 with 1,000 left: 1,000 tokens at 100/s = 10 s.
        RateDecision d = limiter.tryAcquire("t", 1, 2_000, clock.instant());
        assertThat(d).isEqualTo(new RateDecision.Denied("tokens-per-minute", Duration.ofSeconds(10)));
        assertThat(((RateDecision.Denied) d).retryAfterSeconds()).isEqualTo(10);
        assertThat(limiter.availableRequests("t", clock.instant())).isEqualTo(99);
        assertThat(limiter.availableTokens("t", clock.instant())).isEqualTo(1_000);
    }

    @Test
    void retryAfterIsAtLeastOneSecond() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(6_000, 1_000));
        limiter.tryAcquire("t", 6_000, 0, clock.instant());
        RateDecision.Denied d = (RateDecision.Denied) limiter.tryAcquire("t", 1, 0, clock.instant());
        assertThat(d.waitTime()).isEqualTo(Duration.ofMillis(10));
        assertThat(d.retryAfterSeconds()).isEqualTo(1);
    }

    @Test
    void reconciliationRefundsUnusedAndChargesOveruse() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(100, 10_000));
        // Reserve prompt 1,000 + max_tokens 3,000; the completion used only 500.
        limiter.tryAcquire("t", 1, 4_000, clock.instant());
        limiter.reconcile("t", 4_000, 1_500, clock.instant());
        assertThat(limiter.availableTokens("t", clock.instant())).isEqualTo(8_500);
        // Another used 2,000 beyond its reservation (e.g. a longer prompt than estimated).
        limiter.tryAcquire("t", 1, 8_000, clock.instant());
        limiter.reconcile("t", 8_000, 10_000, clock.instant());
        assertThat(limiter.availableTokens("t", clock.instant())).isEqualTo(-1_500);
        // The debt is waited off at the refill rate: 1,500 + 1 tokens at 10,000/min.
        RateDecision.Denied d = (RateDecision.Denied) limiter.tryAcquire("t", 1, 1, clock.instant());
        assertThat(d.waitTime()).isEqualTo(Duration.ofNanos(9_006_000_000L));
    }

    @Test
    void refundNeverRaisesTheBucketAboveItsBurst() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(100, 10_000));
        limiter.tryAcquire("t", 1, 100, clock.instant());
        limiter.refund("t", 5_000, clock.instant());
        assertThat(limiter.availableTokens("t", clock.instant())).isEqualTo(10_000);
        limiter.charge("t", Long.MAX_VALUE, clock.instant());
        assertThat(limiter.availableTokens("t", clock.instant())).isEqualTo(-10_000);
    }

    @Test
    void tenantsAreIsolatedAndHaveTheirOwnLimits() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(2, 1_000), Map.of("big", RateLimit.perMinute(5, 1_000)));
        assertThat(limiter.tryAcquire("small", 2, 0, clock.instant()).allowed()).isTrue();
        assertThat(limiter.tryAcquire("small", 1, 0, clock.instant()).allowed()).isFalse();
        assertThat(limiter.tryAcquire("other", 1, 0, clock.instant()).allowed()).isTrue();
        assertThat(limiter.tryAcquire("big", 5, 0, clock.instant()).allowed()).isTrue();
        assertThat(limiter.limitOf("big")).isEqualTo(RateLimit.perMinute(5, 1_000));
        assertThat(limiter.limitOf("anyone")).isEqualTo(RateLimit.perMinute(2, 1_000));
    }

    @Test
    void loweringALimitClampsTheLevelAndGrantsNoFreeBurst() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(60, 1_000));
        limiter.tryAcquire("t", 10, 0, clock.instant());
        limiter.setLimit("t", RateLimit.perMinute(20, 1_000));
        assertThat(limiter.availableRequests("t", clock.instant())).isEqualTo(20);
        limiter.setLimit("t", RateLimit.perMinute(600, 1_000));
        assertThat(limiter.availableRequests("t", clock.instant())).isEqualTo(20);
        clock.tickMillis(100);
        assertThat(limiter.availableRequests("t", clock.instant())).isEqualTo(21);
    }

    @Test
    void clockGoingBackwardsRefillsNothing() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(60, 1_000));
        limiter.tryAcquire("t", 60, 0, clock.instant());
        assertThat(limiter.availableRequests("t", clock.instant().minusSeconds(30))).isZero();
    }

    @Test
    void requestLargerThanTheBurstIsInvalidNotDenied() {
        RateLimiter limiter = new RateLimiter(RateLimit.perMinute(60, 4_000));
        assertField(() -> limiter.tryAcquire("t", 1, 5_000, clock.instant()), "tokens");
        assertField(() -> limiter.tryAcquire("t", -1, 0, clock.instant()), "requests");
        assertField(() -> limiter.tryAcquire(" ", 1, 0, clock.instant()), "tenant");
        assertField(() -> limiter.reconcile("t", -1, 0, clock.instant()), "reserved-tokens");
    }

    @Test
    void invalidLimitsNameTheField() {
        assertField(() -> RateLimit.perMinute(0, 1), "requests-per-minute");
        assertField(() -> RateLimit.perMinute(1, -5), "tokens-per-minute");
        assertField(() -> new RateLimit(1, 1, 0, 1), "request-burst");
        assertField(() -> new RateLimit(1, 1, 1, RateLimit.MAX + 1), "token-burst");
    }
}
