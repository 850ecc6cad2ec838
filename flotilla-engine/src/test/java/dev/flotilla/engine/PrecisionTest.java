package dev.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class PrecisionTest {
    private static GpuSpec gpu(String name) {
        return GpuCatalog.defaultCatalog().resolve(name, OptionalDouble.empty());
    }

    @Test
    void int4CarriesAQuarterBitOfGroupScales() {
        assertThat(WeightPrecision.INT4.bitsPerWeight()).isEqualTo(4.25);
        assertThat(WeightPrecision.BF16.bitsPerWeight()).isEqualTo(16);
        assertThat(WeightPrecision.FP8.bitsPerWeight()).isEqualTo(8);
    }

    @Test
    void fp8RunsAtTheFp8RateOnlyWhereTheGpuHasOne() {
        assertThat(WeightPrecision.FP8.tensorTflops(gpu("H100 SXM"))).isEqualTo(1979);
        assertThat(WeightPrecision.FP8.tensorTflops(gpu("A100 SXM4"))).isEqualTo(312);
        assertThat(WeightPrecision.INT4.tensorTflops(gpu("H100 SXM"))).isEqualTo(989);
    }

    @Test
    void parsesWeightPrecisionsAndRejectsOthersListingTheAccepted() {
        assertThat(WeightPrecision.parse("FP16")).isEqualTo(WeightPrecision.BF16);
        assertThat(WeightPrecision.parse(" int4 ")).isEqualTo(WeightPrecision.INT4);
        assertThatThrownBy(() -> WeightPrecision.parse("nf4"))
                .hasMessage("weight precision 'nf4' is not supported; accepted: bf16, fp16, fp8, int8, int4");
    }

    @Test
    void parsesKvPrecisionsByNameOrBits() {
        assertThat(KvPrecision.parse("fp8")).isEqualTo(KvPrecision.BITS_8);
        assertThat(KvPrecision.parse("auto")).isEqualTo(KvPrecision.BITS_16);
        assertThat(KvPrecision.parse("3.5")).isEqualTo(KvPrecision.BITS_3_5);
        assertThat(KvPrecision.parse("2.5bit")).isEqualTo(KvPrecision.BITS_2_5);
        assertThat(KvPrecision.parse("4-bits")).isEqualTo(KvPrecision.BITS_4);
        assertThat(KvPrecision.BITS_3_5.label()).isEqualTo("3.5-bit");
        assertThat(KvPrecision.BITS_16.label()).isEqualTo("16-bit");
    }

    @Test
    void rejectsKvPrecisionsOutsideOneToSixteenBits() {
        assertThatThrownBy(() -> KvPrecision.parse("0.5"))
                .hasMessageContaining("0.5 is out of range; accepted: 1 to 16");
        assertThatThrownBy(() -> KvPrecision.parse("32")).hasMessageContaining("32.0 is out of range");
        assertThatThrownBy(() -> KvPrecision.parse("half"))
                .hasMessageStartingWith("KV-cache precision 'half' is not understood");
        assertThatThrownBy(() -> KvPrecision.parse("NaN")).hasMessageContaining("not understood");
    }
}
