package dev.flotilla.market.gpu;

import static java.util.Objects.requireNonNull;

import java.util.OptionalDouble;

/**
 * Datasheet figures of one GPU model. {@code id} is the catalog key ({@code A100_SXM4_80GB});
 * {@code marketName} is what marketplace users type ({@code A100 SXM4}); two models may share a
 * market name and differ by memory. Rates are dense (no sparsity).
 */
public record GpuSpec(
        String id,
        String marketName,
        double memoryGb,
        double memBandwidthGbs,
        double fp16TflopsDense,
        OptionalDouble fp8TflopsDense,
        double nvlinkGbs,
        int computeCap,
        int pciGen,
        String certainty,
        String source) {
    public GpuSpec {
        requireNonNull(id, "id is null");
        requireNonNull(marketName, "marketName is null");
        requireNonNull(fp8TflopsDense, "fp8TflopsDense is null");
        requireNonNull(certainty, "certainty is null");
        requireNonNull(source, "source is null");
        if (memoryGb <= 0 || memBandwidthGbs <= 0 || fp16TflopsDense <= 0) {
            throw new IllegalArgumentException("GPU " + id + " has a non-positive datasheet figure");
        }
    }

    /** PCIe bandwidth per direction in GB/s for an x16 link of this card's generation. */
    public double pcieBandwidthGbs() {
        return switch (pciGen) {
            case 3 -> 15.75;
            case 4 -> 31.5;
            case 5 -> 63.0;
            default -> 8.0;
        };
    }
}
