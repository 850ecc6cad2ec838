package dev.flotilla.gateway;

import static java.util.Objects.requireNonNull;

import dev.flotilla.routing.RateLimit;
import java.time.Duration;
import java.util.Map;

/**
 * The gateway's settings.
 *
 * @param port port to listen on; 0 picks a free one
 * @param maxBodyBytes largest accepted request body; larger is 413
 * @param maxAttempts workers tried for a request that fails before any byte reached the client
 * @param connectTimeout connecting to a worker
 * @param upstreamIdleTimeout longest silence from a worker (before its answer or between chunks)
 * @param defaultMaxTokens tokens reserved for the completion when the request names no
 *     {@code max_tokens}; reconciled with the actual usage afterwards
 * @param defaultRateLimit rate limit of tenants without their own
 * @param tenantRateLimits rate limits by tenant id
 * @param region the gateway's own region (workers' region values, e.g. a country code), used by the
 *     {@code region} router when the caller names none in {@code X-Flotilla-Region}; empty for none
 * @param host address to listen on, e.g. {@code 127.0.0.1} (this machine only) or {@code 0.0.0.0}
 */
public record GatewayConfig(
        int port,
        long maxBodyBytes,
        int maxAttempts,
        Duration connectTimeout,
        Duration upstreamIdleTimeout,
        long defaultMaxTokens,
        RateLimit defaultRateLimit,
        Map<String, RateLimit> tenantRateLimits,
        String region,
        String host) {
    public GatewayConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
        }
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive, got " + maxBodyBytes);
        }
        if (maxAttempts <= 0) {
            throw new IllegalArgumentException("maxAttempts must be positive, got " + maxAttempts);
        }
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(upstreamIdleTimeout, "upstreamIdleTimeout");
        if (defaultMaxTokens <= 0) {
            throw new IllegalArgumentException("defaultMaxTokens must be positive, got " + defaultMaxTokens);
        }
        requireNonNull(defaultRateLimit, "defaultRateLimit is null");
        tenantRateLimits = Map.copyOf(tenantRateLimits);
        requireNonNull(region, "region is null (use \"\" for none)");
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must be an address to listen on, got '" + host + "'");
        }
    }

    /** Port 0 on every interface, 1 MiB bodies, 3 attempts, 2 s connect, 60 s idle, 256 reserved tokens, 600 rpm / 1M tpm. */
    public static GatewayConfig defaults() {
        return new GatewayConfig(0, 1L << 20, 3, Duration.ofSeconds(2), Duration.ofSeconds(60), 256,
                RateLimit.perMinute(600, 1_000_000), Map.of(), "", "0.0.0.0");
    }

    public GatewayConfig withHost(String newHost) {
        return new GatewayConfig(port, maxBodyBytes, maxAttempts, connectTimeout, upstreamIdleTimeout,
                defaultMaxTokens, defaultRateLimit, tenantRateLimits, region, newHost);
    }

    public GatewayConfig withPort(int newPort) {
        return new GatewayConfig(newPort, maxBodyBytes, maxAttempts, connectTimeout, upstreamIdleTimeout,
                defaultMaxTokens, defaultRateLimit, tenantRateLimits, region, host);
    }

    public GatewayConfig withMaxBodyBytes(long bytes) {
        return new GatewayConfig(port, bytes, maxAttempts, connectTimeout, upstreamIdleTimeout,
                defaultMaxTokens, defaultRateLimit, tenantRateLimits, region, host);
    }

    public GatewayConfig withMaxAttempts(int attempts) {
        return new GatewayConfig(port, maxBodyBytes, attempts, connectTimeout, upstreamIdleTimeout,
                defaultMaxTokens, defaultRateLimit, tenantRateLimits, region, host);
    }

    public GatewayConfig withRateLimits(RateLimit defaultLimit, Map<String, RateLimit> perTenant) {
        return new GatewayConfig(port, maxBodyBytes, maxAttempts, connectTimeout, upstreamIdleTimeout,
                defaultMaxTokens, defaultLimit, perTenant, region, host);
    }

    public GatewayConfig withRegion(String newRegion) {
        return new GatewayConfig(port, maxBodyBytes, maxAttempts, connectTimeout, upstreamIdleTimeout,
                defaultMaxTokens, defaultRateLimit, tenantRateLimits, newRegion, host);
    }

    private static void requirePositive(Duration d, String name) {
        requireNonNull(d, name + " is null");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }
}
