package dev.flotilla.store;

import dev.flotilla.core.Money;
import dev.flotilla.market.billing.Posting;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * The double-entry ledger. {@link #post} writes a balanced posting once: a posting whose
 * idempotency key is already there is skipped, so a replayed metering tick or a retried request
 * never charges twice.
 */
public final class LedgerRepo {
    /** Who a posting concerns, for per-tenant and per-host reports. */
    public record Parties(Long tenantId, Long hostId, Long rentalId) {}

    /** Returns false when a posting with this key already exists (nothing written). */
    public boolean post(Connection c, Posting p, Parties parties, Instant at) throws SQLException {
        if (Sql.one(c, "SELECT id FROM ledger_transactions WHERE idempotency_key = ?", rs -> rs.getLong(1),
                p.idempotencyKey()).isPresent()) {
            return false;
        }
        long tx = Sql.insert(c, "INSERT INTO ledger_transactions (idempotency_key, kind, tenant_id, host_id, rental_id, at, memo)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?)",
                p.idempotencyKey(), p.kind().wireName(), parties.tenantId(), parties.hostId(), parties.rentalId(),
                at.toEpochMilli(), p.memo());
        for (Posting.Line l : p.lines()) {
            Sql.update(c, "INSERT INTO ledger_entries (tx_id, account, amount) VALUES (?, ?, ?)", tx, l.account(),
                    l.amount().micros());
        }
        return true;
    }

    public Money balance(Connection c, String account) throws SQLException {
        return Money.ofMicros(Sql.scalarLong(c, "SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE account = ?", account));
    }

    /** Sum of all lines of all postings; zero unless the ledger is broken. */
    public long totalOfAllEntries(Connection c) throws SQLException {
        return Sql.scalarLong(c, "SELECT COALESCE(SUM(amount), 0) FROM ledger_entries");
    }

    /** One account's lines in [from, to), with the posting they belong to. */
    public record Line(long txId, String kind, Long rentalId, Instant at, String memo, Money amount) {}

    public List<Line> lines(Connection c, String account, Instant from, Instant to) throws SQLException {
        return Sql.list(c, "SELECT t.id, t.kind, t.rental_id, t.at, t.memo, e.amount FROM ledger_entries e"
                        + " JOIN ledger_transactions t ON t.id = e.tx_id WHERE e.account = ? AND t.at >= ? AND t.at < ?"
                        + " ORDER BY t.id",
                rs -> new Line(rs.getLong(1), rs.getString(2), Sql.nullableLong(rs, "rental_id"),
                        Instant.ofEpochMilli(rs.getLong(4)), rs.getString(5), Money.ofMicros(rs.getLong(6))),
                account, from.toEpochMilli(), to.toEpochMilli());
    }

    public long countPostings(Connection c, String keyPrefix) throws SQLException {
        return Sql.scalarLong(c, "SELECT COUNT(*) FROM ledger_transactions WHERE idempotency_key LIKE ?", keyPrefix + "%");
    }
}
