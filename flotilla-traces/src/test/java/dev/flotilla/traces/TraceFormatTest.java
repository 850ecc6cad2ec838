package dev.flotilla.traces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import org.junit.jupiter.api.Test;

class TraceFormatTest {
    @Test
    void parsesEachWireNameInAnyCase() {
        assertThat(TraceFormat.parse("azure")).isEqualTo(TraceFormat.AZURE);
        assertThat(TraceFormat.parse(" Mooncake ")).isEqualTo(TraceFormat.MOONCAKE);
        assertThat(TraceFormat.parse("SERVEGEN")).isEqualTo(TraceFormat.SERVEGEN);
        assertThat(TraceFormat.parse("gentd")).isEqualTo(TraceFormat.GENTD);
        for (TraceFormat f : TraceFormat.values()) {
            assertThat(TraceFormat.parse(f.wireName())).isEqualTo(f);
        }
    }

    @Test
    void refusesUnknownFormatNamingTheAcceptedOnes() {
        assertThatThrownBy(() -> TraceFormat.parse("sharegpt"))
                .isInstanceOfSatisfying(FlotillaException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.field()).contains("format");
                })
                .hasMessage("unknown trace format 'sharegpt'; accepted: azure, mooncake, servegen, gentd");
        assertThatThrownBy(() -> TraceFormat.parse(null)).isInstanceOf(FlotillaException.class).hasMessageContaining("accepted: azure");
    }

    @Test
    void onlyRecordingsWithWallClockTimesHaveAStart() {
        assertThat(TraceFormat.AZURE.hasAbsoluteTimes()).isTrue();
        assertThat(TraceFormat.GENTD.hasAbsoluteTimes()).isTrue();
        assertThat(TraceFormat.MOONCAKE.hasAbsoluteTimes()).isFalse();
        assertThat(TraceFormat.SERVEGEN.hasAbsoluteTimes()).isFalse();
    }
}
