package dev.flotilla.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Principals and their API keys. Keys are stored as SHA-256 of the secret, never in clear. */
public final class PrincipalRepo {
    private static final String COLS = "id, kind, name, external, verified, low_balance_since";

    public long create(Connection c, Principal.Kind kind, String name, boolean external, Instant now) throws SQLException {
        return Sql.insert(c, "INSERT INTO principals (kind, name, external, verified, created_at) VALUES (?, ?, ?, ?, ?)",
                kind.wireName(), name, external, true, now.toEpochMilli());
    }

    public Optional<Principal> find(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM principals WHERE id = ?", PrincipalRepo::map, id);
    }

    public Optional<Principal> findByName(Connection c, Principal.Kind kind, String name) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM principals WHERE kind = ? AND name = ?", PrincipalRepo::map,
                kind.wireName(), name);
    }

    public List<Principal> list(Connection c, Principal.Kind kind) throws SQLException {
        return Sql.list(c, "SELECT " + COLS + " FROM principals WHERE kind = ? ORDER BY id", PrincipalRepo::map,
                kind.wireName());
    }

    public Optional<Principal> lockForUpdate(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLS + " FROM principals WHERE id = ? FOR UPDATE", PrincipalRepo::map, id);
    }

    public void setLowBalanceSince(Connection c, long id, Optional<Instant> since) throws SQLException {
        Sql.update(c, "UPDATE principals SET low_balance_since = ? WHERE id = ?",
                since.map(Instant::toEpochMilli).orElse(null), id);
    }

    public void addKey(Connection c, long principalId, String keyId, String secretSha256, Instant now) throws SQLException {
        Sql.update(c, "INSERT INTO api_keys (key_id, principal_id, secret_sha256, created_at) VALUES (?, ?, ?, ?)",
                keyId, principalId, secretSha256, now.toEpochMilli());
    }

    /** The stored key: whose it is and the hash to compare against. */
    public record StoredKey(String keyId, long principalId, String secretSha256) {}

    public Optional<StoredKey> findKey(Connection c, String keyId) throws SQLException {
        return Sql.one(c, "SELECT key_id, principal_id, secret_sha256 FROM api_keys WHERE key_id = ? AND revoked_at IS NULL",
                rs -> new StoredKey(rs.getString(1), rs.getLong(2), rs.getString(3)), keyId);
    }

    /** A tenant's key with the tenant's name, for the gateway's in-memory key table. */
    public record TenantKey(StoredKey key, String tenantName) {}

    /** Every unrevoked key of every tenant. */
    public List<TenantKey> tenantKeys(Connection c) throws SQLException {
        return Sql.list(c, "SELECT k.key_id, k.principal_id, k.secret_sha256, p.name FROM api_keys k"
                        + " JOIN principals p ON p.id = k.principal_id WHERE p.kind = 'tenant' AND k.revoked_at IS NULL",
                rs -> new TenantKey(new StoredKey(rs.getString(1), rs.getLong(2), rs.getString(3)), rs.getString(4)));
    }

    static Principal map(ResultSet rs) throws SQLException {
        Long low = Sql.nullableLong(rs, "low_balance_since");
        return new Principal(rs.getLong("id"),
                Principal.Kind.valueOf(rs.getString("kind").toUpperCase(java.util.Locale.ROOT)),
                rs.getString("name"), rs.getBoolean("external"), rs.getBoolean("verified"),
                Optional.ofNullable(low).map(Instant::ofEpochMilli));
    }
}
