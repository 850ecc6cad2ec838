package dev.flotilla.market.billing;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Money;
import java.util.List;

/**
 * One balanced double-entry ledger transaction: its lines sum to zero, always. The idempotency
 * key makes replays harmless: the store refuses a second posting with the same key.
 *
 * <p>Accounts are strings: {@code tenant:ID}, {@code host:ID}, {@code platform} (fees) and
 * {@code funding} (where prepaid credit comes from). A tenant's balance is the sum of its lines.
 */
public record Posting(String idempotencyKey, Kind kind, List<Line> lines, String memo) {
    /** What a posting is for; invoices group by it. */
    public enum Kind {
        CREDIT,
        GPU,
        STORAGE,
        BANDWIDTH,
        RESERVATION;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public record Line(String account, Money amount) {
        public Line {
            requireNonNull(account, "account is null");
            requireNonNull(amount, "amount is null");
        }
    }

    public Posting {
        requireNonNull(idempotencyKey, "idempotencyKey is null");
        requireNonNull(kind, "kind is null");
        requireNonNull(memo, "memo is null");
        lines = List.copyOf(lines);
        long sum = 0;
        for (Line l : lines) {
            sum = Math.addExact(sum, l.amount().micros());
        }
        if (sum != 0) {
            throw new IllegalArgumentException("unbalanced posting " + idempotencyKey + ": lines sum to " + sum);
        }
    }

    public static String tenantAccount(long tenantId) {
        return "tenant:" + tenantId;
    }

    public static String hostAccount(long hostId) {
        return "host:" + hostId;
    }

    public static final String PLATFORM = "platform";
    public static final String FUNDING = "funding";

    /**
     * A charge to a tenant for a host's service: tenant debit = host credit + platform fee, the fee
     * being {@code feeBps} basis points of the charge rounded down (the host keeps the remainder).
     */
    public static Posting charge(String key, Kind kind, long tenantId, long hostId, Money amount, int feeBps, String memo) {
        if (amount.isNegative()) {
            throw new IllegalArgumentException("negative charge " + amount);
        }
        if (feeBps < 0 || feeBps > 10_000) {
            throw new IllegalArgumentException("fee " + feeBps + " bps outside 0..10000");
        }
        long fee = amount.micros() * feeBps / 10_000;
        return new Posting(key, kind, List.of(
                new Line(tenantAccount(tenantId), amount.negate()),
                new Line(hostAccount(hostId), Money.ofMicros(amount.micros() - fee)),
                new Line(PLATFORM, Money.ofMicros(fee))), memo);
    }

    /** Prepaid credit added to a tenant's balance. */
    public static Posting credit(String key, long tenantId, Money amount, String memo) {
        if (!amount.isPositive()) {
            throw new IllegalArgumentException("credit must be positive, got " + amount);
        }
        return new Posting(key, Kind.CREDIT, List.of(
                new Line(FUNDING, amount.negate()), new Line(tenantAccount(tenantId), amount)), memo);
    }
}
