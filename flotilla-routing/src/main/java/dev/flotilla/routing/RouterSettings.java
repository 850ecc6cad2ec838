package dev.flotilla.routing;

import dev.flotilla.core.FlotillaException;
import java.util.Optional;

/**
 * Tunables of the routing strategies. Defaults: {@code prefix-affinity-epsilon} 0.25,
 * {@code prefix-affinity-blocks} 2, no {@code gateway-region}.
 *
 * @param prefixAffinityEpsilon how far above the mean a worker's load may go before prefix
 *     affinity looks further down the hash order; positive and finite
 * @param prefixAffinityBlocks how many leading prompt blocks form the affinity key; positive
 * @param gatewayRegion the gateway's own region, used by {@code region} routing when the request
 *     names none; {@code null} for none, read through {@link #region()}
 */
public record RouterSettings(double prefixAffinityEpsilon, int prefixAffinityBlocks, String gatewayRegion) {
    public static final double DEFAULT_EPSILON = 0.25;
    public static final int DEFAULT_AFFINITY_BLOCKS = 2;

    public RouterSettings {
        if (!(prefixAffinityEpsilon > 0) || !Double.isFinite(prefixAffinityEpsilon)) {
            throw FlotillaException.invalid(
                    "prefix-affinity-epsilon",
                    "prefix-affinity-epsilon must be positive and finite, got " + prefixAffinityEpsilon);
        }
        if (prefixAffinityBlocks <= 0) {
            throw FlotillaException.invalid(
                    "prefix-affinity-blocks", "prefix-affinity-blocks must be positive, got " + prefixAffinityBlocks);
        }
        if (gatewayRegion != null && gatewayRegion.isBlank()) {
            throw FlotillaException.invalid(
                    "gateway-region", "gateway-region must be non-blank when given, got '" + gatewayRegion + "'");
        }
    }

    public static RouterSettings defaults() {
        return new RouterSettings(DEFAULT_EPSILON, DEFAULT_AFFINITY_BLOCKS, null);
    }

    public RouterSettings withPrefixAffinityEpsilon(double epsilon) {
        return new RouterSettings(epsilon, prefixAffinityBlocks, gatewayRegion);
    }

    public RouterSettings withPrefixAffinityBlocks(int blocks) {
        return new RouterSettings(prefixAffinityEpsilon, blocks, gatewayRegion);
    }

    public RouterSettings withGatewayRegion(String region) {
        return new RouterSettings(prefixAffinityEpsilon, prefixAffinityBlocks, region);
    }

    public Optional<String> region() {
        return Optional.ofNullable(gatewayRegion);
    }
}
