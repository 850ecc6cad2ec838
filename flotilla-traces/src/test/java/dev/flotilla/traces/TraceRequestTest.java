package dev.flotilla.traces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class TraceRequestTest {
    @Test
    void refusesNegativeArrivalAndTokenCounts() {
        assertThatThrownBy(() -> TraceRequest.of(-1, 10, 10))
                .isInstanceOfSatisfying(FlotillaException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> TraceRequest.of(0, -5, 10)).isInstanceOf(FlotillaException.class).hasMessageContaining("input -5");
        assertThatThrownBy(() -> TraceRequest.of(0, 5, -10)).isInstanceOf(FlotillaException.class).hasMessageContaining("output -10");
        assertThatThrownBy(() -> TraceRequest.of(0, 1, 1).withServiceSeconds(-2)).isInstanceOf(FlotillaException.class);
        assertThatThrownBy(() -> TraceRequest.of(0, 1, 1).withServiceSeconds(Double.NaN)).isInstanceOf(FlotillaException.class);
        assertThatThrownBy(() -> TraceRequest.of(0, 1, 1).withTag(" ")).isInstanceOf(FlotillaException.class);
    }

    @Test
    void prefixHashesAreCopiedInAndOut() {
        long[] hashes = {1, 2, 3};
        TraceRequest r = TraceRequest.of(0, 1536, 1).withPrefix(hashes);
        hashes[0] = 99;
        assertThat(r.prefixBlockHashes()).containsExactly(1, 2, 3);
        r.prefixBlockHashes()[1] = 99;
        assertThat(r.prefixBlockHashes()).containsExactly(1, 2, 3);
        assertThat(r.prefixBlockCount()).isEqualTo(3);
    }

    @Test
    void equalRequestsAreEqualIncludingTheirHashes() {
        TraceRequest a = new TraceRequest(5, 1, 2, new long[] {7, 8}, Optional.of("client-1"), OptionalDouble.of(3));
        TraceRequest b = new TraceRequest(5, 1, 2, new long[] {7, 8}, Optional.of("client-1"), OptionalDouble.of(3));
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(b.withPrefix(7, 9));
    }

    @Test
    void arrivalIsTheOffsetAsADuration() {
        assertThat(TraceRequest.of(1_500_000, 0, 0).arrival()).isEqualTo(Duration.ofMillis(1_500));
    }
}
