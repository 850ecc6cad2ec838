package dev.flotilla.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WorkerTokenTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private static final Duration LIFE = Duration.ofMinutes(5);
    private final byte[] key = WorkerToken.workerKey(SECRET, "17");

    @Test
    void aFreshTokenForThisWorkerIsValid() {
        String t = WorkerToken.mint(key, "3", "17", NOW.plusSeconds(60));
        assertThat(t).startsWith("v1.3.17.");
        assertThat(WorkerToken.verify(key, t, "3", "17", NOW, LIFE).valid()).isTrue();
    }

    @Test
    void anExpiredTokenIsRefused() {
        String t = WorkerToken.mint(key, "3", "17", NOW.plusSeconds(60));
        WorkerToken.Verdict v = WorkerToken.verify(key, t, "3", "17", NOW.plusSeconds(61), LIFE);
        assertThat(v.valid()).isFalse();
        assertThat(v.reason()).contains("expired");
    }

    @Test
    void aTokenForAnotherWorkerOrEndpointIsRefused() {
        String t = WorkerToken.mint(key, "3", "17", NOW.plusSeconds(60));
        assertThat(WorkerToken.verify(key, t, "4", "17", NOW, LIFE).reason()).contains("not endpoint 4");
        // the other worker has another key, so the signature fails before the ids are compared
        byte[] other = WorkerToken.workerKey(SECRET, "18");
        assertThat(WorkerToken.verify(other, t, "3", "18", NOW, LIFE).reason()).isEqualTo("bad signature");
    }

    @Test
    void aTamperedTokenIsRefused() {
        String t = WorkerToken.mint(key, "3", "17", NOW.plusSeconds(60));
        String later = t.replace("." + NOW.plusSeconds(60).getEpochSecond() + ".", "." + NOW.plusSeconds(120).getEpochSecond() + ".");
        assertThat(WorkerToken.verify(key, later, "3", "17", NOW, LIFE).reason()).isEqualTo("bad signature");
        assertThat(WorkerToken.verify(key, t + "x", "3", "17", NOW, LIFE).valid()).isFalse();
    }

    @Test
    void aTokenThatLivesTooLongIsRefused() {
        String t = WorkerToken.mint(key, "3", "17", NOW.plus(Duration.ofDays(1)));
        assertThat(WorkerToken.verify(key, t, "3", "17", NOW, LIFE).reason()).contains("longer than");
    }

    @Test
    void malformedTokensAreRefusedWithAReason() {
        for (String bad : new String[] {null, "", "v1.3.17", "v2.3.17.1.AAAA", "v1.3.17.1.!!!", "v1.3.17.x.AAAA"}) {
            WorkerToken.Verdict v = WorkerToken.verify(key, bad, "3", "17", NOW, LIFE);
            assertThat(v.valid()).as(bad).isFalse();
            assertThat(v.reason()).as(bad).isNotBlank();
        }
    }

    @Test
    void idsWithDotsAndShortSecretsAreRejected() {
        assertThatThrownBy(() -> WorkerToken.mint(key, "a.b", "17", NOW)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WorkerToken.workerKey(new byte[8], "17")).hasMessageContaining("16 bytes");
    }
}
