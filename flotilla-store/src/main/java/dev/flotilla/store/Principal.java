package dev.flotilla.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * Someone who calls the API: the admin, a tenant (rents GPUs) or a host (lists machines). Each
 * authenticates with its own keys; every resource belongs to exactly one principal.
 */
public record Principal(
        long id, Kind kind, String name, boolean external, boolean verified, Optional<Instant> lowBalanceSince) {
    /** The role a principal plays. */
    public enum Kind {
        ADMIN,
        TENANT,
        HOST;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Principal {
        requireNonNull(kind, "kind is null");
        requireNonNull(name, "name is null");
        requireNonNull(lowBalanceSince, "lowBalanceSince is null");
    }
}
