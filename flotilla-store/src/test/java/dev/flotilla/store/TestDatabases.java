package dev.flotilla.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * Opens an isolated, migrated database for one test: an in-memory H2 database, or a fresh schema
 * in PostgreSQL when the build runs with {@code -Dflotilla.test.db=postgres}. CI runs the whole
 * suite both ways; PostgreSQL being unreachable fails the test loudly instead of skipping it.
 */
public final class TestDatabases {
    private TestDatabases() {}

    public static String kind() {
        return System.getProperty("flotilla.test.db", "h2");
    }

    /** A fresh database; closing it drops the PostgreSQL schema. */
    public static Database open() {
        String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        if ("postgres".equals(kind())) {
            String url = System.getProperty("flotilla.test.pg.url", "jdbc:postgresql://127.0.0.1:5432/flotilla_test");
            ensureDatabase(url);
            try (Connection c = DriverManager.getConnection(url, "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + name);
            } catch (SQLException e) {
                throw new IllegalStateException("PostgreSQL test database unreachable at " + url + ": " + e.getMessage(), e);
            }
            // currentSchema in the URL, not Connection.setSchema: PostgreSQL undoes a SET made inside a
            // transaction that rolls back, and the pool runs with autocommit off.
            String schemaUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + name;
            return new Database(schemaUrl, "postgres", "", name, 60) {
                @Override
                public void close() {
                    super.close();
                    try (Connection c = DriverManager.getConnection(url, "postgres", "");
                            Statement s = c.createStatement()) {
                        s.execute("DROP SCHEMA " + name + " CASCADE");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }
            };
        }
        return new Database("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "sa", "", null, 60);
    }

    private static volatile boolean ensured;

    /** Creates the test database named in the URL when it is missing (a fresh machine has none). */
    private static synchronized void ensureDatabase(String url) {
        if (ensured) {
            return;
        }
        String base = url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
        String name = base.substring(base.lastIndexOf('/') + 1);
        String admin = base.substring(0, base.lastIndexOf('/') + 1) + "postgres";
        try (Connection c = DriverManager.getConnection(admin, "postgres", "");
                Statement s = c.createStatement()) {
            try (var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name.replace("'", "") + "'")) {
                if (!rs.next()) {
                    s.execute("CREATE DATABASE " + name);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL unreachable at " + admin + " (tests run on PostgreSQL too; start it,"
                    + " or point -Dflotilla.test.pg.url at one): " + e.getMessage(), e);
        }
        ensured = true;
    }
}
