package dev.flotilla.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.WorkerToken;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TokenSignerTest {
    private static final byte[] SECRET = "token-signer-test-secret-0123456".getBytes(StandardCharsets.UTF_8);

    @Test
    void reusesATokenForTheReusePeriodThenMintsAFreshOneThatStillVerifies() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-27T12:00:00Z"));
        InstantSource clock = now::get;
        TokenSigner signer = new TokenSigner(w -> WorkerToken.workerKey(SECRET, w), clock, Duration.ofSeconds(60),
                Duration.ofSeconds(10));

        String first = signer.sign("3", "17").orElseThrow();
        now.set(now.get().plusSeconds(9));
        assertThat(signer.sign("3", "17")).contains(first);
        assertThat(signer.sign("3", "18").orElseThrow()).isNotEqualTo(first);
        now.set(now.get().plusSeconds(1));
        String second = signer.sign("3", "17").orElseThrow();
        assertThat(second).isNotEqualTo(first);
        // a reused token is still well inside its life when handed out for the last time
        assertThat(WorkerToken.verify(WorkerToken.workerKey(SECRET, "17"), first, "3", "17", now.get(),
                Duration.ofMinutes(5)).valid()).isTrue();
        assertThat(WorkerToken.verify(WorkerToken.workerKey(SECRET, "17"), second, "3", "17", now.get(),
                Duration.ofMinutes(5)).valid()).isTrue();
    }

    @Test
    void reuseMustBeShorterThanTheLifetime() {
        assertThatThrownBy(() -> new TokenSigner(w -> SECRET, InstantSource.system(), Duration.ofSeconds(60),
                Duration.ofSeconds(60))).hasMessageContaining("shorter than lifetime");
    }
}
