package dev.flotilla.market.rental;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SliceAllocatorTest {
    @Test
    void offersPowerOfTwoSlicesNotBelowHostMinimumPlusWholeMachine() {
        assertThat(SliceAllocator.sliceSizes(8, 1)).containsExactly(1, 2, 4, 8);
        assertThat(SliceAllocator.sliceSizes(8, 2)).containsExactly(2, 4, 8);
        assertThat(SliceAllocator.sliceSizes(6, 1)).containsExactly(1, 2, 4, 6);
        assertThat(SliceAllocator.sliceSizes(1, 1)).containsExactly(1);
        assertThat(SliceAllocator.sliceSizes(2, 4)).isEmpty();
    }

    @Test
    void takesAFreeAlignedSliceBeforePreemptingAnyone() {
        List<Hold> holds = List.of(new Hold(1, 0, 2, 100));
        var a = SliceAllocator.allocate(4, holds, 2, Priority.GUARANTEED).orElseThrow();
        assertThat(a.firstGpu()).isEqualTo(2);
        assertThat(a.preempted()).isEmpty();
    }

    @Test
    void preemptsLowestBidWhenOnDemandArrives() {
        List<Hold> holds = List.of(new Hold(1, 0, 1, 500), new Hold(2, 1, 1, 300));
        var a = SliceAllocator.allocate(2, holds, 1, Priority.GUARANTEED).orElseThrow();
        assertThat(a.firstGpu()).isEqualTo(1);
        assertThat(a.preempted()).containsExactly(2L);
    }

    @Test
    void neverPreemptsOnDemandOrAnEqualBid() {
        assertThat(SliceAllocator.allocate(1, List.of(new Hold(1, 0, 1, Priority.GUARANTEED)), 1, Priority.GUARANTEED))
                .isEmpty();
        assertThat(SliceAllocator.allocate(1, List.of(new Hold(1, 0, 1, 400)), 1, 400)).isEmpty();
        assertThat(SliceAllocator.allocate(1, List.of(new Hold(1, 0, 1, 400)), 1, 401)).isPresent();
    }

    @Test
    void aLargeSlicePreemptsEveryLowerHolderInsideIt() {
        List<Hold> holds = List.of(new Hold(1, 0, 1, 10), new Hold(2, 1, 1, 20), new Hold(3, 2, 2, 30));
        var a = SliceAllocator.allocate(4, holds, 4, Priority.GUARANTEED).orElseThrow();
        assertThat(a.preempted()).containsExactlyInAnyOrder(1L, 2L, 3L);
    }

    @Test
    void countsFreeAndPreemptibleSlicesAsGuaranteedDemandSeesThem() {
        List<Hold> holds = List.of(new Hold(1, 0, 1, Priority.GUARANTEED), new Hold(2, 2, 1, 100));
        var c = SliceAllocator.count(4, holds, 1, Priority.GUARANTEED);
        assertThat(c.free()).isEqualTo(2);
        assertThat(c.preemptible()).isEqualTo(1);
        var two = SliceAllocator.count(4, holds, 2, Priority.GUARANTEED);
        assertThat(two.free()).isZero();
        assertThat(two.preemptible()).isEqualTo(1);
    }

    @Test
    void bidPriorityIsPerGpuSoSliceSizesCompareFairly() {
        assertThat(Priority.of(dev.flotilla.market.offer.RentalType.BID, dev.flotilla.core.Money.ofDollars(1.0), 2))
                .isEqualTo(500_000);
        assertThat(Priority.of(dev.flotilla.market.offer.RentalType.ON_DEMAND, dev.flotilla.core.Money.ofDollars(1.0), 2))
                .isEqualTo(Priority.GUARANTEED);
    }
}
