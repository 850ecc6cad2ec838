package dev.flotilla.gateway;

import java.util.Optional;

/**
 * Resolves the bearer key of {@code Authorization: Bearer <key>} to its caller. The control plane
 * implements it over its API-key table; empty means the key is unknown or revoked (401). Called on
 * an event-loop thread for every request, so it must not block: keep keys in memory.
 */
@FunctionalInterface
public interface Credentials {
    Optional<Caller> authenticate(String bearerKey);
}
