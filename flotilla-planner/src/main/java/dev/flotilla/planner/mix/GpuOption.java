package dev.flotilla.planner.mix;

import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;

/**
 * One deployable GPU configuration: a model replica on {@code gpusPerInstance} GPUs of one type,
 * priced per instance-hour, of which the market can supply {@code available} instances now.
 *
 * @param id unique within a {@link MixProblem}, e.g. {@code "RTX_4090x2"}; the key of a mix
 * @param gpu the GPU type, e.g. {@code "RTX_4090"}
 * @param gpusPerInstance GPUs one instance occupies, {@code >= 1}
 * @param pricePerHour price of one instance for one hour, {@code > 0}
 * @param available instances the market can supply now, {@code >= 0}; 0 keeps an option that has
 *     left the market visible to the stability term (see {@link MixProblem#previous()})
 */
public record GpuOption(String id, String gpu, int gpusPerInstance, Money pricePerHour, int available) {
    public GpuOption {
        if (id == null || id.isBlank()) {
            throw FlotillaException.invalid("id", "option id must be a non-blank string, got " + (id == null ? "null" : "'" + id + "'"));
        }
        if (gpu == null || gpu.isBlank()) {
            throw FlotillaException.invalid("gpu", "gpu of option " + id + " must be a non-blank GPU type, got "
                    + (gpu == null ? "null" : "'" + gpu + "'"));
        }
        if (gpusPerInstance < 1) {
            throw FlotillaException.invalid("gpusPerInstance",
                    "gpusPerInstance of option " + id + " must be >= 1, got " + gpusPerInstance);
        }
        if (pricePerHour == null || !pricePerHour.isPositive()) {
            // A free instance would make every saving fraction meaningless (x / 0).
            throw FlotillaException.invalid("pricePerHour",
                    "pricePerHour of option " + id + " must be a positive amount, got " + pricePerHour);
        }
        if (available < 0) {
            throw FlotillaException.invalid("available", "available of option " + id + " must be >= 0, got " + available);
        }
    }
}
