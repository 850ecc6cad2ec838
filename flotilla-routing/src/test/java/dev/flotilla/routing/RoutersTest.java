package dev.flotilla.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RoutersTest {
    @Test
    void buildsEveryNamedStrategy() {
        for (String name : Routers.NAMES) {
            assertThat(Routers.of(name, new SplittableRandom(1)).name()).isEqualTo(name);
        }
        assertThat(Routers.DEFAULT).isEqualTo("least-load");
    }

    @Test
    void unknownNameIsInvalidArgumentListingAcceptedNames() {
        assertThatThrownBy(() -> Routers.of("random", new SplittableRandom(1)))
                .isInstanceOfSatisfying(FlotillaException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.field()).contains("routing");
                })
                .hasMessageContaining("'random'")
                .hasMessageContaining("least-load, power-of-two, round-robin, prefix-affinity, region");
    }

    @Test
    void nullNameIsInvalidArgumentNotNullPointer() {
        assertThatThrownBy(() -> Routers.of(null, new SplittableRandom(1)))
                .isInstanceOf(FlotillaException.class)
                .hasMessageContaining("unknown routing strategy");
    }

    @Test
    void invalidSettingsNameTheField() {
        assertThatThrownBy(() -> RouterSettings.defaults().withPrefixAffinityEpsilon(0))
                .isInstanceOfSatisfying(FlotillaException.class,
                        e -> assertThat(e.field()).contains("prefix-affinity-epsilon"))
                .hasMessageContaining("got 0.0");
        assertThatThrownBy(() -> RouterSettings.defaults().withPrefixAffinityEpsilon(Double.NaN))
                .hasMessageContaining("prefix-affinity-epsilon must be positive and finite");
        assertThatThrownBy(() -> RouterSettings.defaults().withPrefixAffinityEpsilon(Double.POSITIVE_INFINITY))
                .hasMessageContaining("prefix-affinity-epsilon");
        assertThatThrownBy(() -> RouterSettings.defaults().withPrefixAffinityBlocks(0))
                .isInstanceOfSatisfying(FlotillaException.class,
                        e -> assertThat(e.field()).contains("prefix-affinity-blocks"));
        assertThatThrownBy(() -> RouterSettings.defaults().withGatewayRegion(" "))
                .isInstanceOfSatisfying(FlotillaException.class,
                        e -> assertThat(e.field()).contains("gateway-region"));
    }
}
