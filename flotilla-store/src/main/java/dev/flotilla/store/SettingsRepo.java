package dev.flotilla.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.Supplier;

/** Control-plane settings shared through the database by all replicas. */
public final class SettingsRepo {
    public Optional<String> get(Connection c, String name) throws SQLException {
        return Sql.one(c, "SELECT setting FROM settings WHERE name = ?", rs -> rs.getString(1), name);
    }

    /**
     * The setting's value, creating it from {@code initial} when absent. Two replicas starting at once
     * may both try to insert: the loser fails on the primary key, and its caller reads the winner's
     * value in a new transaction.
     */
    public String getOrCreate(Connection c, String name, Supplier<String> initial) throws SQLException {
        Optional<String> existing = get(c, name);
        if (existing.isPresent()) {
            return existing.get();
        }
        String value = initial.get();
        Sql.update(c, "INSERT INTO settings (name, setting) VALUES (?, ?)", name, value);
        return value;
    }
}
