package dev.flotilla.market.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.query.SortOrder.Key;
import org.junit.jupiter.api.Test;

class SortOrderTest {
    private static String rejection(String text) {
        FlotillaException e = catchThrowableOfType(FlotillaException.class, () -> SortOrder.parse(text));
        assertThat(e).as("parse of <%s> must fail", text).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_QUERY);
        return e.getMessage();
    }

    @Test
    void readsFieldsWithOptionalDirectionSuffixes() {
        assertThat(SortOrder.parse("dph+,reliability-").keys()).containsExactly(
                new Key(QueryField.DPH, false), new Key(QueryField.RELIABILITY, true), new Key(QueryField.ID, false));
        assertThat(SortOrder.parse(" num_gpus , dlperf_per_dphtotal- ").keys()).containsExactly(
                new Key(QueryField.NUM_GPUS, false), new Key(QueryField.DLPERF_USD, true), new Key(QueryField.ID, false));
    }

    @Test
    void blankMeansCheapestFirstThenId() {
        assertThat(SortOrder.parse("")).isEqualTo(SortOrder.DEFAULT);
        assertThat(SortOrder.DEFAULT).hasToString("dph+,id+");
    }

    @Test
    void idIsAlwaysTheLastTiebreakUnlessAlreadyAKey() {
        assertThat(SortOrder.parse("reliability-")).hasToString("reliability-,id+");
        assertThat(SortOrder.parse("id-,dph")).hasToString("id-,dph+");
    }

    @Test
    void printsTextThatParsesBackEqual() {
        SortOrder order = SortOrder.parse("gpu_name-,dph_base,cuda_max_good-");
        assertThat(SortOrder.parse(order.toString())).isEqualTo(order);
        assertThat(order).hasToString("gpu_name-,dph+,cuda_vers-,id+");
    }

    @Test
    void unknownFieldSuggestsTheClosestName() {
        assertThat(rejection("dph,reliabilty-")).contains("unknown sort field 'reliabilty'", "did you mean 'reliability'?");
    }

    @Test
    void leadingMinusIsRejectedWithTheSuffixForm() {
        assertThat(rejection("-dph")).contains("'-dph'", "'dph-'");
    }

    @Test
    void emptyItemIsRejected() {
        assertThat(rejection("dph,,id")).contains("empty item in sort order 'dph,,id'");
    }
}
