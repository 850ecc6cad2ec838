package dev.flotilla.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.sql.Connection;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;

/**
 * The connection pool and migrations for either database: the embedded H2 default
 * ({@code jdbc:h2:file:...}) or PostgreSQL ({@code jdbc:postgresql://...}). One set of Flyway
 * migrations serves both, so they are written in portable SQL.
 *
 * <p>{@link #inTransaction} runs work in one serializable-enough transaction: callers lock the
 * rows they decide on ({@code SELECT ... FOR UPDATE}) and the helper retries on deadlock,
 * serialization failure or lock timeout, which both databases can report under contention.
 */
public class Database implements AutoCloseable {
    private final HikariDataSource pool;
    private final String url;

    /** Work done inside a transaction. */
    @FunctionalInterface
    public interface TxWork<T> {
        T run(Connection c) throws SQLException;
    }

    public Database(String url, String user, String password, String schema, int maxPoolSize) {
        this.url = requireNonNull(url, "url is null");
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url);
        cfg.setUsername(user);
        cfg.setPassword(password);
        cfg.setMaximumPoolSize(maxPoolSize);
        cfg.setAutoCommit(false);
        cfg.setPoolName("flotilla-db");
        if (schema != null && !url.startsWith("jdbc:postgresql:")) {
            cfg.setSchema(schema); // PostgreSQL takes the schema from currentSchema in its URL
        }
        this.pool = new HikariDataSource(cfg);
        var flyway = Flyway.configure().dataSource(pool).locations("classpath:db/migration");
        if (schema != null) {
            flyway = flyway.schemas(schema).defaultSchema(schema);
        }
        flyway.load().migrate();
    }

    public <T> T inTransaction(TxWork<T> work) {
        SQLException last = null;
        for (int attempt = 0; attempt < 8; attempt++) {
            try (Connection c = pool.getConnection()) {
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException e) {
                    c.rollback();
                    if (!isRetryable(e)) {
                        throw e;
                    }
                    last = e;
                } catch (RuntimeException e) {
                    c.rollback();
                    throw e;
                }
            } catch (SQLException e) {
                throw new FlotillaException(ErrorCode.INTERNAL, null, "database error: " + e.getMessage(), e);
            }
            try {
                Thread.sleep(5L << attempt);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new FlotillaException(ErrorCode.UNAVAILABLE, null,
                "database too contended, try again: " + (last == null ? "" : last.getMessage()), last);
    }

    static boolean isRetryable(SQLException e) {
        String state = e.getSQLState();
        // 40001 serialization failure, 40P01 PostgreSQL deadlock, HYT00 H2 lock timeout,
        // 90131 H2 concurrent update.
        return "40001".equals(state) || "40P01".equals(state) || "HYT00".equals(state)
                || "90131".equals(state) || (e.getErrorCode() == 50200);
    }

    public boolean ping() {
        try (Connection c = pool.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
