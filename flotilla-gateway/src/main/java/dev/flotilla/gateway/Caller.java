package dev.flotilla.gateway;

import static java.util.Objects.requireNonNull;

/**
 * Who sent a request, as {@link Credentials} resolved its API key.
 *
 * @param tenantId the tenant whose endpoints, rate limits and usage the request belongs to
 * @param name a display name for logs (the key's label), never the key itself
 */
public record Caller(String tenantId, String name) {
    public Caller {
        requireNonNull(tenantId, "tenantId is null");
        requireNonNull(name, "name is null");
        if (tenantId.isBlank()) {
            throw new IllegalArgumentException("tenantId must be non-blank");
        }
    }
}
