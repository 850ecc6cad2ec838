package dev.flotilla.planner.mix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MixProblemTest {
    private static final List<Bucket> BUCKETS = List.of(new Bucket("short-chat", 40), new Bucket("long-context", 3));
    private static final GpuOption RTX = new GpuOption("RTX_4090x1", "RTX_4090", 1, Money.parse("price", "0.40"), 20);
    private static final GpuOption H100 = new GpuOption("H100x1", "H100", 1, Money.parse("price", "2.50"), 10);
    private static final double[][] CAPACITY = {{10, 25}, {0, 1.5}};

    private static FlotillaException invalid(Runnable r) {
        FlotillaException e = catchThrowableOfType(FlotillaException.class, r::run);
        assertThat(e).as("expected a FlotillaException").isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        return e;
    }

    @Test
    void negativeDemandIsRejectedNamingTheField() {
        FlotillaException e = invalid(() -> new Bucket("short-chat", -1));
        assertThat(e.field()).contains("requestsPerSecond");
        assertThat(e.getMessage()).contains("short-chat").contains("-1.0").contains(">= 0");
    }

    @Test
    void nonFiniteDemandIsRejected() {
        assertThat(invalid(() -> new Bucket("short-chat", Double.NaN)).field()).contains("requestsPerSecond");
        assertThat(invalid(() -> new Bucket("short-chat", Double.POSITIVE_INFINITY)).field()).contains("requestsPerSecond");
    }

    @Test
    void capacityWithOneRowTooFewIsRejected() {
        FlotillaException e = invalid(() -> MixProblem.of(BUCKETS, List.of(RTX, H100), new double[][] {{10, 25}}));
        assertThat(e.field()).contains("capacity");
        assertThat(e.getMessage()).contains("one row per bucket (2)").contains("got 1 rows");
    }

    @Test
    void capacityRowOfTheWrongLengthNamesTheRow() {
        FlotillaException e = invalid(() -> MixProblem.of(BUCKETS, List.of(RTX, H100), new double[][] {{10, 25}, {1.5}}));
        assertThat(e.field()).contains("capacity[1]");
        assertThat(e.getMessage()).contains("long-context").contains("one entry per option (2)").contains("got 1 entries");
    }

    @Test
    void negativeOrNonFiniteCapacityNamesTheCell() {
        FlotillaException e = invalid(() -> MixProblem.of(BUCKETS, List.of(RTX, H100), new double[][] {{10, 25}, {0, -1.5}}));
        assertThat(e.field()).contains("capacity[1][1]");
        assertThat(e.getMessage()).contains("long-context").contains("H100x1").contains("-1.5");
        assertThat(invalid(() -> MixProblem.of(BUCKETS, List.of(RTX, H100), new double[][] {{Double.NaN, 25}, {0, 1.5}})).field())
                .contains("capacity[0][0]");
    }

    @Test
    void duplicateOptionIdsAreRejected() {
        GpuOption sameId = new GpuOption("H100x1", "H100", 1, Money.parse("price", "2.10"), 4);
        FlotillaException e = invalid(() -> MixProblem.of(BUCKETS, List.of(H100, sameId), CAPACITY));
        assertThat(e.field()).contains("options");
        assertThat(e.getMessage()).contains("'H100x1' appears twice");
    }

    @Test
    void duplicateBucketNamesAreRejected() {
        List<Bucket> twice = List.of(new Bucket("short-chat", 40), new Bucket("short-chat", 3));
        assertThat(invalid(() -> MixProblem.of(twice, List.of(RTX, H100), CAPACITY)).field()).contains("buckets");
    }

    @Test
    void emptyBucketsOrOptionsAreRejected() {
        assertThat(invalid(() -> MixProblem.of(List.of(), List.of(RTX, H100), new double[0][])).field()).contains("buckets");
        assertThat(invalid(() -> MixProblem.of(BUCKETS, List.of(), new double[][] {{}, {}})).field()).contains("options");
    }

    @Test
    void previousMixMustNameKnownOptionsWithNonNegativeCounts() {
        MixProblem p = MixProblem.of(BUCKETS, List.of(RTX, H100), CAPACITY);
        FlotillaException unknown = invalid(() -> p.withPrevious(Map.of("H100x2", 3)));
        assertThat(unknown.field()).contains("previous");
        assertThat(unknown.getMessage()).contains("H100x2").contains("available=0");
        assertThat(invalid(() -> p.withPrevious(Map.of("H100x1", -1))).field()).contains("previous");
    }

    @Test
    void optionFieldsAreValidatedByName() {
        assertThat(invalid(() -> new GpuOption("H100x1", "H100", 1, Money.ZERO, 1)).field()).contains("pricePerHour");
        assertThat(invalid(() -> new GpuOption("H100x1", "H100", 1, Money.parse("price", "2.50"), -1)).field()).contains("available");
        assertThat(invalid(() -> new GpuOption("H100x1", "H100", 0, Money.parse("price", "2.50"), 1)).field()).contains("gpusPerInstance");
        assertThat(invalid(() -> new GpuOption(" ", "H100", 1, Money.parse("price", "2.50"), 1)).field()).contains("id");
    }

    @Test
    void capacityCannotBeChangedAfterValidation() {
        double[][] capacity = {{10, 25}, {0, 1.5}};
        MixProblem p = MixProblem.of(BUCKETS, List.of(RTX, H100), capacity);

        capacity[1][1] = -5;
        p.capacity()[0][0] = 99;

        assertThat(p.capacity(1, 1)).isEqualTo(1.5);
        assertThat(p.capacity(0, 0)).isEqualTo(10);
        assertThat(p).isEqualTo(MixProblem.of(BUCKETS, List.of(RTX, H100), new double[][] {{10, 25}, {0, 1.5}}));
    }

    @Test
    void previousIsKeptInOptionOrder() {
        MixProblem p = MixProblem.of(BUCKETS, List.of(RTX, H100), CAPACITY).withPrevious(Map.of("H100x1", 2, "RTX_4090x1", 4));
        assertThat(p.previous()).containsExactly(Map.entry("RTX_4090x1", 4), Map.entry("H100x1", 2));
    }
}
