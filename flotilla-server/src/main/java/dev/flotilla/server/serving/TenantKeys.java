package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import dev.flotilla.gateway.Caller;
import dev.flotilla.gateway.Credentials;
import dev.flotilla.server.auth.ApiKeys;
import dev.flotilla.store.Database;
import dev.flotilla.store.PrincipalRepo;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The gateway's {@link Credentials}: tenants' API keys held in memory (key id → hash and tenant),
 * because the gateway checks a key on the event loop for every request and must not wait on the
 * database. {@link #refresh} reloads the table: the control plane calls it when it mints a key
 * and on a timer, so keys made by another replica work within one interval. Only tenant keys
 * open {@code /v1}; admin and host keys are refused like unknown ones.
 */
public final class TenantKeys implements Credentials {
    private record Entry(String secretSha256, String tenantId, String tenantName) {}

    private final Database db;
    private final PrincipalRepo principals = new PrincipalRepo();
    private volatile Map<String, Entry> byKeyId = Map.of();

    public TenantKeys(Database db) {
        this.db = requireNonNull(db, "db is null");
    }

    public void refresh() {
        byKeyId = db.inTransaction(c -> principals.tenantKeys(c)).stream().collect(Collectors.toUnmodifiableMap(
                k -> k.key().keyId(),
                k -> new Entry(k.key().secretSha256(), Long.toString(k.key().principalId()), k.tenantName())));
    }

    @Override
    public Optional<Caller> authenticate(String bearerKey) {
        Optional<ApiKeys.Presented> presented = ApiKeys.parse(bearerKey);
        if (presented.isEmpty()) {
            return Optional.empty();
        }
        Entry e = byKeyId.get(presented.get().keyId());
        if (e == null || !ApiKeys.matches(presented.get().secret(), e.secretSha256())) {
            return Optional.empty();
        }
        return Optional.of(new Caller(e.tenantId(), e.tenantName()));
    }
}
