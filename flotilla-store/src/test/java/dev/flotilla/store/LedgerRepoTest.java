package dev.flotilla.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.core.Money;
import dev.flotilla.market.billing.Posting;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LedgerRepoTest {
    private final Database db = TestDatabases.open();
    private final LedgerRepo ledger = new LedgerRepo();
    private final Instant now = Instant.parse("2026-11-02T00:00:00Z");

    @AfterEach
    void close() {
        db.close();
    }

    private Money balance(String account) {
        return db.inTransaction(c -> ledger.balance(c, account));
    }

    @Test
    void aPostingWithAKeyAlreadyUsedIsSkippedSoReplaysNeverChargeTwice() {
        Posting credit = Posting.credit("credit:1:a", 1, Money.ofDollars(10), "top-up");
        Posting charge = Posting.charge("gpu:7:100", Posting.Kind.GPU, 1, 2, Money.ofDollars(1), 1000, "gpu");
        LedgerRepo.Parties parties = new LedgerRepo.Parties(1L, 2L, 7L);
        boolean first = db.inTransaction(c -> ledger.post(c, credit, parties, now) && ledger.post(c, charge, parties, now));
        boolean replay = db.inTransaction(c -> ledger.post(c, charge, parties, now));
        assertThat(first).isTrue();
        assertThat(replay).isFalse();
        assertThat(balance("tenant:1")).isEqualTo(Money.ofDollars(9));
        assertThat(balance("host:2")).isEqualTo(Money.ofDollars(0.9));
        assertThat(balance(Posting.PLATFORM)).isEqualTo(Money.ofDollars(0.1));
        long total = db.inTransaction(ledger::totalOfAllEntries);
        assertThat(total).isZero();
    }

    @Test
    void aFailedTransactionLeavesNothingBehind() {
        try {
            db.inTransaction(c -> {
                ledger.post(c, Posting.credit("credit:1:b", 1, Money.ofDollars(5), "x"), new LedgerRepo.Parties(1L, null, null),
                        now);
                throw new IllegalStateException("boom");
            });
        } catch (IllegalStateException expected) {
            // the posting above must be rolled back
        }
        assertThat(balance("tenant:1")).isEqualTo(Money.ZERO);
        assertThat(db.ping()).isTrue();
    }
}
