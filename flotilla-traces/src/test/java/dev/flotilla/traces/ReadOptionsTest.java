package dev.flotilla.traces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReadOptionsTest {
    @Test
    void defaults() {
        ReadOptions o = ReadOptions.defaults();
        assertThat(o.seed()).isEqualTo(42);
        assertThat(o.sortUnsorted()).isFalse();
        assertThat(o.from()).isEqualTo(Duration.ZERO);
        assertThat(o.until()).isEmpty();
        assertThat(o.maxClients()).isEqualTo(Integer.MAX_VALUE);
        assertThat(o.rateScale()).isEqualTo(1.0);
        assertThat(o.tokenLengths()).isEmpty();
        assertThat(o.maxRequests()).isEqualTo(20_000_000);
    }

    @Test
    void everyOptionCanBeSet() {
        ReadOptions o = ReadOptions.defaults()
                .withSeed(7)
                .withSortUnsorted(true)
                .withRange(Duration.ofHours(1), Duration.ofHours(2))
                .withMaxClients(5)
                .withRateScale(0.5)
                .withTokenLengths(TokenLengths.constant(100, 10))
                .withMaxRequests(1_000);
        assertThat(o).isEqualTo(new ReadOptions(7, true, Duration.ofHours(1), Optional.of(Duration.ofHours(2)), 5, 0.5,
                Optional.of(TokenLengths.constant(100, 10)), 1_000));
    }

    @Test
    void refusesContradictoryOrOutOfRangeValues() {
        ReadOptions d = ReadOptions.defaults();
        assertThatThrownBy(() -> d.withRange(Duration.ofHours(2), Duration.ofHours(1)))
                .isInstanceOf(FlotillaException.class).hasMessageContaining("until must be after from");
        assertThatThrownBy(() -> d.withFrom(Duration.ofSeconds(-1))).isInstanceOf(FlotillaException.class).hasMessageContaining("from must be >= 0");
        assertThatThrownBy(() -> d.withRateScale(0)).isInstanceOf(FlotillaException.class).hasMessageContaining("rate-scale");
        assertThatThrownBy(() -> d.withRateScale(Double.NaN)).isInstanceOf(FlotillaException.class).hasMessageContaining("rate-scale");
        assertThatThrownBy(() -> d.withMaxClients(0)).isInstanceOf(FlotillaException.class).hasMessageContaining("max-clients");
        assertThatThrownBy(() -> d.withMaxRequests(0)).isInstanceOf(FlotillaException.class).hasMessageContaining("max-requests");
        assertThatThrownBy(() -> TokenLengths.constant(0, 10)).isInstanceOf(FlotillaException.class).hasMessageContaining("mean input");
    }
}
