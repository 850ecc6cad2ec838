package dev.flotilla.market.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import org.junit.jupiter.api.Test;

class OfferQueryErrorTest {
    private static FlotillaException rejection(String text) {
        FlotillaException e = catchThrowableOfType(FlotillaException.class, () -> OfferQuery.parse(text, true));
        assertThat(e).as("parse of <%s> must fail", text).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_QUERY);
        return e;
    }

    @Test
    void unknownFieldSuggestsTheClosestName() {
        assertThat(rejection("gpu_nme=RTX_4090").getMessage())
                .contains("unknown field 'gpu_nme'")
                .contains("did you mean 'gpu_name'?");
        assertThat(rejection("reliabilty>0.9").getMessage()).contains("unknown field 'reliabilty'", "did you mean 'reliability'?");
        assertThat(rejection("num_gpus=1 gpu-name=x").getMessage()).contains("'gpu-name'", "did you mean 'gpu_name'?");
        assertThat(rejection("cuda_max_god>=12").getMessage()).contains("did you mean 'cuda_max_good'?");
    }

    @Test
    void unknownFieldFarFromEveryNameListsTheFields() {
        String message = rejection("colour=blue").getMessage();
        assertThat(message).contains("unknown field 'colour'", "known fields: num_gpus, gpu_name").doesNotContain("did you mean");
    }

    @Test
    void unquotedSpaceInAValueIsExplained() {
        assertThat(rejection("gpu_name=RTX 4090").getMessage())
                .contains("unknown field '4090'", "quote that value or write _ for its spaces");
    }

    @Test
    void unknownOperatorIsNamedWithTheAcceptedOnes() {
        FlotillaException e = rejection("num_gpus=>2");
        assertThat(e.getMessage()).contains("unknown operator '=>'", "accepted: <, lt, <=, lte, =, ==, eq, !=, neq", "not in");
        assertThat(e.field()).contains("num_gpus");
        assertThat(rejection("num_gpus ~ 2").getMessage()).contains("unknown operator '~'");
        assertThat(rejection("num_gpus like 2").getMessage()).contains("unknown operator 'like'");
        assertThat(rejection("num_gpus not 2").getMessage()).contains("unknown operator 'not'");
        assertThat(rejection("num_gpus 2").getMessage()).contains("expected an operator after 'num_gpus', found '2'");
    }

    @Test
    void orderingOperatorOnAStringOrBooleanFieldNamesFieldOperatorAndAllowedOnes() {
        assertThat(rejection("gpu_name>=RTX_4090").getMessage())
                .contains("operator '>=' does not apply to gpu_name", "a string", "accepted: =, !=, in, notin");
        assertThat(rejection("verified gt true").getMessage())
                .contains("operator 'gt' does not apply to verified", "true or false", "accepted: =, !=, in, notin");
    }

    @Test
    void valueOfTheWrongTypeNamesFieldValueAndExpectedType() {
        assertThat(rejection("num_gpus=abc").getMessage()).contains("num_gpus expects a number, got 'abc'");
        assertThat(rejection("verified=maybe").getMessage()).contains("verified expects true or false, got 'maybe'");
        assertThat(rejection("driver_version>=535.x").getMessage())
                .contains("driver_version expects a dotted version such as 535.86.05, got '535.x'");
        assertThat(rejection("num_gpus in [1,two]").getMessage()).contains("got 'two'");
        assertThat(rejection("dph<NaN").getMessage()).contains("dph expects a number, got 'NaN'");
        assertThat(rejection("dph<1e400").getMessage()).contains("dph expects a number, got '1e400'");
    }

    @Test
    void listWithASingleValueOperatorIsRejected() {
        assertThat(rejection("gpu_ram>=[1,2]").getMessage()).contains("gpu_ram >= takes a single value (a number), got the list [1,2]");
        assertThat(rejection("num_gpus in 2").getMessage()).contains("num_gpus in takes a list such as [a,b], got 2");
        assertThat(rejection("geolocation=TW,SE").getMessage()).contains("'TW,SE'", "geolocation in [TW,SE]");
    }

    @Test
    void danglingFieldOrOperatorIsRejected() {
        assertThat(rejection("num_gpus=1 reliability").getMessage()).contains("field 'reliability' has no operator and value");
        assertThat(rejection("num_gpus >=").getMessage()).contains("'num_gpus >=' has no value");
        assertThat(rejection(">= 2").getMessage()).contains("expected a field name at '>='");
    }

    @Test
    void unterminatedQuoteOrListIsRejected() {
        assertThat(rejection("gpu_name=\"RTX 4090").getMessage()).contains("unterminated quote", "\"RTX 4090");
        assertThat(rejection("geolocation in [TW,SE").getMessage()).contains("unterminated list", "[TW,SE", "no closing ']'");
        assertThat(rejection("geolocation in ['TW,SE]").getMessage()).contains("unterminated quote");
    }

    @Test
    void emptyListOrListItemIsRejected() {
        assertThat(rejection("geolocation in []").getMessage()).contains("empty list for geolocation");
        assertThat(rejection("geolocation in [ ]").getMessage()).contains("empty list for geolocation");
        assertThat(rejection("geolocation in [TW,,SE]").getMessage()).contains("empty item in the list [TW,,");
        assertThat(rejection("geolocation in [TW SE]").getMessage()).contains("expected ',' or ']'", "'S'");
    }

    @Test
    void emptyStringValueIsRejected() {
        assertThat(rejection("gpu_name=''").getMessage()).contains("gpu_name needs a non-empty value");
    }

    @Test
    void anyOnlyWorksWithEquals() {
        assertThat(rejection("rented!=any").getMessage()).contains("'any'", "rented=any");
    }

    @Test
    void junkAfterAQuotedValueIsRejected() {
        assertThat(rejection("gpu_name='RTX 4090'num_gpus=1").getMessage()).contains("expected a space after the value of gpu_name");
        assertThat(rejection("gpu_name=RTX\"4090\"").getMessage()).contains("unexpected '\"'");
    }
}
