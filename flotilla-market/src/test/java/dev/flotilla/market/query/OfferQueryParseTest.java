package dev.flotilla.market.query;

import static dev.flotilla.market.query.Operator.EQ;
import static dev.flotilla.market.query.Operator.GE;
import static dev.flotilla.market.query.Operator.GT;
import static dev.flotilla.market.query.Operator.IN;
import static dev.flotilla.market.query.Operator.LE;
import static dev.flotilla.market.query.Operator.LT;
import static dev.flotilla.market.query.Operator.NE;
import static dev.flotilla.market.query.Operator.NOT_IN;
import static dev.flotilla.market.query.QueryField.COMPUTE_CAP;
import static dev.flotilla.market.query.QueryField.DPH;
import static dev.flotilla.market.query.QueryField.GEOLOCATION;
import static dev.flotilla.market.query.QueryField.GPU_NAME;
import static dev.flotilla.market.query.QueryField.GPU_RAM;
import static dev.flotilla.market.query.QueryField.NUM_GPUS;
import static dev.flotilla.market.query.QueryField.RELIABILITY;
import static dev.flotilla.market.query.QueryField.RENTABLE;
import static dev.flotilla.market.query.QueryField.RENTED;
import static dev.flotilla.market.query.QueryField.VERIFIED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class OfferQueryParseTest {
    private static List<Condition> parseNoDefaults(String text) {
        return OfferQuery.parse(text, false).conditions();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "num_gpus<2 | LT", "num_gpus <= 2 | LE", "num_gpus=2 | EQ", "num_gpus==2 | EQ", "num_gpus!=2 | NE",
        "num_gpus>=2 | GE", "num_gpus>2 | GT", "num_gpus eq 2 | EQ", "num_gpus neq 2 | NE", "num_gpus gt 2 | GT",
        "num_gpus gte 2 | GE", "num_gpus lt 2 | LT", "num_gpus lte 2 | LE", "num_gpus EQ 2 | EQ",
    })
    void readsEverySpellingOfTheSingleValueOperators(String text, Operator expected) {
        assertThat(parseNoDefaults(text)).containsExactly(Condition.of(NUM_GPUS, expected, "2"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "num_gpus in [1,2] | IN", "num_gpus notin [1,2] | NOT_IN", "num_gpus nin [1,2] | NOT_IN",
        "num_gpus not in [1,2] | NOT_IN", "num_gpus NOT  IN [1,2] | NOT_IN", "num_gpus in[1, 2] | IN",
        "num_gpus in [ 1 , 2 ] | IN",
    })
    void readsEverySpellingOfTheListOperators(String text, Operator expected) {
        assertThat(parseNoDefaults(text)).containsExactly(Condition.of(NUM_GPUS, expected, "1", "2"));
    }

    @Test
    void spacesAroundTheOperatorAreOptional() {
        assertThat(parseNoDefaults("num_gpus>=2")).isEqualTo(parseNoDefaults("num_gpus >= 2"));
        assertThat(parseNoDefaults("reliability > 0.98")).containsExactly(Condition.of(RELIABILITY, GT, "0.98"));
        assertThat(parseNoDefaults("  num_gpus>= 2\treliability >0.9  ")).containsExactly(
                Condition.of(NUM_GPUS, GE, "2"), Condition.of(RELIABILITY, GT, "0.9"));
    }

    @Test
    void negativeAndFractionalNumbersAreValuesNotPartOfTheOperator() {
        assertThat(parseNoDefaults("dph>=-1 dph<.5")).containsExactly(Condition.of(DPH, GE, "-1"), Condition.of(DPH, LT, "0.5"));
    }

    @Test
    void underscoreStandsForASpaceInStrings() {
        assertThat(parseNoDefaults("gpu_name=RTX_5090")).containsExactly(Condition.of(GPU_NAME, EQ, "RTX 5090"));
        assertThat(parseNoDefaults("gpu_name=RTX_5090").getFirst().values()).containsExactly("RTX 5090");
    }

    @Test
    void quotedStringsKeepTheirSpacesWithEitherQuote() {
        Condition expected = Condition.of(GPU_NAME, EQ, "RTX 4090");
        assertThat(parseNoDefaults("gpu_name=\"RTX 4090\"")).containsExactly(expected);
        assertThat(parseNoDefaults("gpu_name = 'RTX 4090'")).containsExactly(expected);
        assertThat(parseNoDefaults("gpu_name in [\"RTX 4090\", 'H100 SXM', A100_SXM4]"))
                .containsExactly(Condition.of(GPU_NAME, IN, "RTX 4090", "H100 SXM", "A100 SXM4"));
    }

    @Test
    void listsMayHoldQuotesAndSpacesAndNotInNegatesThem() {
        assertThat(parseNoDefaults("geolocation not in ['TW', \"SE\"]"))
                .containsExactly(Condition.of(GEOLOCATION, NOT_IN, "TW", "SE"));
    }

    @Test
    void booleansIgnoreCase() {
        assertThat(parseNoDefaults("rented=False verified=TRUE")).containsExactly(
                Condition.of(RENTED, EQ, "false"), Condition.of(VERIFIED, EQ, "true"));
        assertThat(parseNoDefaults("verified in [true,false]")).containsExactly(Condition.of(VERIFIED, IN, "true", "false"));
    }

    @Test
    void computeCapabilityAcceptsBothTheIntegerAndTheDottedForm() {
        assertThat(parseNoDefaults("compute_cap>=800")).isEqualTo(parseNoDefaults("compute_cap>=8.0"));
        assertThat(parseNoDefaults("compute_cap=8.9")).containsExactly(Condition.of(COMPUTE_CAP, EQ, "890"));
    }

    @Test
    void defaultsApplyToFieldsTheQueryDoesNotMention() {
        assertThat(OfferQuery.parse("num_gpus=1", true).conditions()).containsExactly(
                Condition.of(NUM_GPUS, EQ, "1"),
                Condition.of(VERIFIED, EQ, "true"),
                Condition.of(RENTABLE, EQ, "true"),
                Condition.of(RENTED, EQ, "false"));
        assertThat(OfferQuery.parse("", true).conditions()).isEqualTo(OfferQuery.DEFAULTS);
    }

    @Test
    void anyConditionOnADefaultFieldReplacesItsDefault() {
        assertThat(OfferQuery.parse("verified in [true,false] rented=true", true).conditions()).containsExactly(
                Condition.of(VERIFIED, IN, "true", "false"),
                Condition.of(RENTED, EQ, "true"),
                Condition.of(RENTABLE, EQ, "true"));
    }

    @Test
    void anyDropsTheDefaultAndEarlierConditionsOnTheField() {
        assertThat(OfferQuery.parse("rented=any verified=any", true).conditions())
                .containsExactly(Condition.of(RENTABLE, EQ, "true"));
        assertThat(OfferQuery.parse("num_gpus>=2 num_gpus=ANY gpu_ram>=24", true).conditions())
                .extracting(Condition::field).containsExactly(GPU_RAM, VERIFIED, RENTABLE, RENTED);
        // Later conditions on the field still count, as in vast's CLI.
        assertThat(OfferQuery.parse("num_gpus=any num_gpus<=4", false).conditions())
                .containsExactly(Condition.of(NUM_GPUS, LE, "4"));
    }

    @Test
    void quotedAnyIsAStringNotTheWildcard() {
        assertThat(parseNoDefaults("gpu_name='any'")).containsExactly(Condition.of(GPU_NAME, EQ, "any"));
    }

    @Test
    void theNoDefaultSwitchLeavesOnlyWhatTheTextSays() {
        assertThat(OfferQuery.parse("num_gpus=1", false).conditions()).containsExactly(Condition.of(NUM_GPUS, EQ, "1"));
        assertThat(OfferQuery.parse("  ", false).conditions()).isEmpty();
    }

    @Test
    void aliasesResolveToTheirFields() {
        assertThat(parseNoDefaults("reliability2>0.9 cuda_max_good>=12 dph_base<1 gpu_totalram>=48"))
                .extracting(Condition::field)
                .containsExactly(RELIABILITY, QueryField.CUDA_VERS, DPH, QueryField.GPU_TOTAL_RAM);
        assertThat(parseNoDefaults("dlperf_per_dphtotal>1 flops_per_dphtotal>1 Num_GPUs=1"))
                .extracting(Condition::field)
                .containsExactly(QueryField.DLPERF_USD, QueryField.FLOPS_USD, NUM_GPUS);
    }

    @Test
    void theProductIssueExamplesParse() {
        assertThat(OfferQuery.parse("reliability > 0.98 num_gpus=1 gpu_name=RTX_3090 rented=False", true).conditions())
                .containsExactly(
                        Condition.of(RELIABILITY, GT, "0.98"),
                        Condition.of(NUM_GPUS, EQ, "1"),
                        Condition.of(GPU_NAME, EQ, "RTX 3090"),
                        Condition.of(RENTED, EQ, "false"),
                        Condition.of(VERIFIED, EQ, "true"),
                        Condition.of(RENTABLE, EQ, "true"));
        assertThat(OfferQuery.parse("reliability>0.99 num_gpus=4 geolocation in [TW,SE]", true).conditions())
                .startsWith(
                        Condition.of(RELIABILITY, GT, "0.99"),
                        Condition.of(NUM_GPUS, EQ, "4"),
                        Condition.of(GEOLOCATION, IN, "TW", "SE"));
        assertThat(OfferQuery.parse("gpu_ram>=24 compute_cap>=800 dph<2", true).conditions())
                .startsWith(Condition.of(GPU_RAM, GE, "24"), Condition.of(COMPUTE_CAP, GE, "800"), Condition.of(DPH, LT, "2"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "reliability > 0.98 num_gpus=1 gpu_name=RTX_3090 rented=False",
        "reliability>0.99 num_gpus=4 geolocation in [TW,SE]",
        "gpu_name in ['RTX 4090', \"it's\", 'a,b', any] cpu_arch=x86_64 verified=any",
        "driver_version>=535.86.05 duration>0.5 num_gpus not in [3,5] compute_cap=8.0",
        "",
    })
    void printsACanonicalQueryThatParsesBackEqual(String text) {
        for (boolean defaults : new boolean[] {true, false}) {
            OfferQuery q = OfferQuery.parse(text, defaults);
            assertThat(OfferQuery.parse(q.toString(), true)).isEqualTo(q);
            assertThat(OfferQuery.parse(q.toString(), false)).isEqualTo(q);
        }
    }

    @Test
    void printsOperatorsAndValuesInCanonicalForm() {
        assertThat(OfferQuery.parse("num_gpus gte 2.0 gpu_name='RTX 4090' geolocation not in [TW, SE] rented=False", true))
                .hasToString("num_gpus>=2 gpu_name=RTX_4090 geolocation notin [TW,SE] rented=false verified=true rentable=true");
        assertThat(OfferQuery.parse("", false)).hasToString("verified=any rentable=any rented=any");
    }
}
