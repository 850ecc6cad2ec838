package dev.flotilla.market.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.Money;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MeterTest {
    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @Test
    void chargesOneHourOfGpuAtTheHourlyRate() {
        Meter m = Meter.start(1_234_567, 0, T0, T0);
        var s = m.settle(T0.plusSeconds(3600), true, true);
        assertThat(s.gpuCharge()).isEqualTo(Money.ofMicros(1_234_567));
    }

    @Test
    void settlingEverySecondChargesExactlyWhatSettlingOnceDoes() {
        long rate = 333_333; // $0.333333/h: not a whole number of micros per second
        Meter once = Meter.start(rate, 7_000_000, T0, T0);
        Meter often = once;
        long total = 0;
        long storage = 0;
        for (int i = 1; i <= 10_000; i++) {
            var s = often.settle(T0.plusSeconds(i), true, true);
            total += s.gpuCharge().micros();
            storage += s.storageCharge().micros();
            often = s.meter();
        }
        var single = once.settle(T0.plusSeconds(10_000), true, true);
        assertThat(total).isEqualTo(single.gpuCharge().micros()).isEqualTo(rate * 10_000 / 3600);
        assertThat(storage).isEqualTo(single.storageCharge().micros());
    }

    @Test
    void aStoppedRentalPaysStorageButNoGpu() {
        var s = Meter.start(1_000_000, 2_592_000, T0, T0).settle(T0.plusSeconds(100), false, true);
        assertThat(s.gpuCharge()).isEqualTo(Money.ZERO);
        assertThat(s.storageCharge()).isEqualTo(Money.ofMicros(100));
    }

    @Test
    void reservedTimeBeforeBillableInstantIsNotChargedAgain() {
        Instant paidUntil = T0.plusSeconds(1800);
        var s = Meter.start(3_600_000, 0, paidUntil, T0).settle(T0.plusSeconds(3600), true, true);
        assertThat(s.gpuCharge()).isEqualTo(Money.ofMicros(1_800_000));
    }

    @Test
    void settlingTwiceAtTheSameInstantChargesNothingTheSecondTime() {
        var first = Meter.start(3_600_000, 0, T0, T0).settle(T0.plusSeconds(10), true, true);
        var again = first.meter().settle(T0.plusMillis(10_900), true, true);
        assertThat(again.isEmpty()).isTrue();
        assertThat(again.gpuCharge()).isEqualTo(Money.ZERO);
    }

    @Test
    void chargeSplitsIntoHostCreditAndPlatformFeeAndBalances() {
        Posting p = Posting.charge("k", Posting.Kind.GPU, 7, 9, Money.ofMicros(1_000_001), 1_000, "gpu");
        assertThat(p.lines()).extracting(l -> l.amount().micros()).containsExactly(-1_000_001L, 900_001L, 100_000L);
    }

    @Test
    void rejectsAnUnbalancedPosting() {
        assertThatThrownBy(() -> new Posting("k", Posting.Kind.GPU,
                        java.util.List.of(new Posting.Line("a", Money.ofMicros(1))), "x"))
                .hasMessageContaining("unbalanced");
    }

    @Test
    void bandwidthIsBilledPerByteWithoutOverflow() {
        assertThat(Bandwidth.dueMicros(1_000_000_000_000L, 5_000_000)).isEqualTo(5_000_000);
        assertThat(Bandwidth.dueMicros(4_000_000_000_000_000L, 20_000_000)).isEqualTo(80_000_000_000L);
    }
}
