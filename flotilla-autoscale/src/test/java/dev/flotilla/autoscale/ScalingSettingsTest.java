package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.Errors.assertField;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ScalingSettingsTest {
    private final ScalingSettings d = ScalingSettings.defaults();

    @Test
    void defaultsAreTheDocumentedOnes() {
        assertThat(d.minWorkers()).isZero();
        assertThat(d.maxWorkers()).isEqualTo(3);
        assertThat(d.minLoad()).isZero();
        assertThat(d.targetUtil()).isEqualTo(0.7);
        assertThat(d.coldMult()).isEqualTo(2.0);
        assertThat(d.coldWorkers()).isZero();
        assertThat(d.inactivityTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.maxQueueTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.targetQueueTime()).isEqualTo(Duration.ofSeconds(2));
        assertThat(d.stableWindow()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.panicWindow()).isEqualTo(Duration.ofSeconds(6));
        assertThat(d.panicThreshold()).isEqualTo(2.0);
        assertThat(d.maxScaleUpRate()).isEqualTo(1000);
        assertThat(d.maxScaleDownRate()).isEqualTo(2);
        assertThat(d.scaleToZeroGrace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.allowsScaleToZero()).isTrue();
    }

    @Test
    void copiesChangeOnlyTheirFields() {
        ScalingSettings s = d.withWorkers(1, 8).withMinLoad(2.5).withTargetUtil(0.5).withCold(1.5, 2)
                .withInactivityTimeout(Duration.ofMinutes(1)).withQueueTimes(Duration.ofSeconds(1), Duration.ofSeconds(10))
                .withWindows(Duration.ofSeconds(30), Duration.ofSeconds(3)).withPanicThreshold(3)
                .withScaleRates(10, 4).withScaleToZeroGrace(Duration.ZERO);
        assertThat(s).isEqualTo(new ScalingSettings(1, 8, 2.5, 0.5, 1.5, 2, Duration.ofMinutes(1),
                Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(3), 3, 10, 4,
                Duration.ZERO));
        assertThat(s.allowsScaleToZero()).isFalse();
        assertThat(d.withMinLoad(0.1).allowsScaleToZero()).isFalse();
    }

    @Test
    void boundsChangedTogetherNeverPassThroughAContradiction() {
        assertField(() -> d.withMinWorkers(5), "min_workers");
        assertThat(d.withWorkers(5, 10).minWorkers()).isEqualTo(5);
        assertThat(d.withWorkers(5, 10).clamp(0)).isEqualTo(5);
        assertThat(d.withWorkers(5, 10).clamp(11)).isEqualTo(10);
    }

    @Test
    void minAboveMaxNamesBothValues() {
        assertThatThrownBy(() -> d.withWorkers(4, 2))
                .hasMessage("min_workers (4) must not exceed max_workers (2)");
    }

    @Test
    void eachContradictionIsRejectedNamingTheField() {
        assertField(() -> d.withWorkers(-1, 3), "min_workers");
        assertField(() -> d.withWorkers(0, 0), "max_workers");
        assertField(() -> d.withMinLoad(-0.5), "min_load");
        assertField(() -> d.withMinLoad(Double.NaN), "min_load");
        assertField(() -> d.withMinLoad(Double.POSITIVE_INFINITY), "min_load");
        assertField(() -> d.withTargetUtil(0), "target_util");
        assertField(() -> d.withTargetUtil(1.01), "target_util");
        assertField(() -> d.withTargetUtil(Double.NaN), "target_util");
        assertField(() -> d.withColdMult(0.9), "cold_mult");
        assertField(() -> d.withColdWorkers(-1), "cold_workers");
        assertField(() -> d.withInactivityTimeout(Duration.ofSeconds(-1)), "inactivity_timeout");
        assertField(() -> d.withInactivityTimeout(null), "inactivity_timeout");
        assertField(() -> d.withMaxQueueTime(Duration.ZERO), "max_queue_time");
        assertField(() -> d.withTargetQueueTime(Duration.ZERO), "target_queue_time");
        assertField(() -> d.withTargetQueueTime(Duration.ofSeconds(31)), "target_queue_time");
        assertField(() -> d.withWindows(Duration.ZERO, Duration.ofSeconds(6)), "stable_window");
        assertField(() -> d.withWindows(Duration.ofSeconds(60), Duration.ZERO), "panic_window");
        assertField(() -> d.withWindows(Duration.ofSeconds(5), Duration.ofSeconds(6)), "panic_window");
        assertField(() -> d.withPanicThreshold(1.0), "panic_threshold");
        assertField(() -> d.withScaleRates(1, 2), "max_scale_up_rate");
        assertField(() -> d.withScaleRates(2, 0.5), "max_scale_down_rate");
        assertField(() -> d.withScaleToZeroGrace(Duration.ofMillis(-1)), "scale_to_zero_grace");
    }

    @Test
    void messagesQuoteTheValueAndWhatIsAccepted() {
        assertThatThrownBy(() -> d.withTargetUtil(1.5)).hasMessage("target_util must be in (0, 1], got 1.5");
        assertThatThrownBy(() -> d.withPanicThreshold(0.5))
                .hasMessage("panic_threshold must be finite and > 1, got 0.5");
        assertThatThrownBy(() -> d.withTargetQueueTime(Duration.ofMinutes(1)))
                .hasMessage("target_queue_time (PT1M) must not exceed max_queue_time (PT30S)");
    }
}
