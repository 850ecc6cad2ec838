package dev.flotilla.market.billing;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Money;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Per-second metering of one rental, as cumulative totals. Each settlement adds the whole seconds
 * since {@code meteredUntil} and charges the difference between what is due for the new totals and
 * what was already charged:
 *
 * <pre>
 *   gpu due      = floor(gpuRatePerHour      * gpuSeconds     / 3600)
 *   storage due  = floor(storageRatePerMonth * storageSeconds / 2,592,000)   (a month is 30 days)
 *   charge       = due - charged
 * </pre>
 *
 * Rounding never accumulates (the totals are exact integers), and settling at any sequence of
 * instants charges the same in the end as settling once. GPU time before {@code gpuBillableFrom}
 * is not billed (a reserved rental prepaid it).
 */
public record Meter(
        long gpuRatePerHourMicros,
        long storageRatePerMonthMicros,
        Instant gpuBillableFrom,
        Instant meteredUntil,
        long gpuSeconds,
        long gpuChargedMicros,
        long storageSeconds,
        long storageChargedMicros) {
    public static final long SECONDS_PER_MONTH = 30L * 86_400L;

    public Meter {
        requireNonNull(gpuBillableFrom, "gpuBillableFrom is null");
        requireNonNull(meteredUntil, "meteredUntil is null");
        if (gpuRatePerHourMicros < 0 || storageRatePerMonthMicros < 0 || gpuSeconds < 0 || storageSeconds < 0) {
            throw new IllegalArgumentException("negative meter value");
        }
        meteredUntil = meteredUntil.truncatedTo(ChronoUnit.SECONDS);
    }

    public static Meter start(long gpuRatePerHourMicros, long storageRatePerMonthMicros, Instant gpuBillableFrom, Instant at) {
        return new Meter(gpuRatePerHourMicros, storageRatePerMonthMicros, gpuBillableFrom, at, 0, 0, 0, 0);
    }

    /** The outcome of a settlement: the advanced meter and what to charge now. */
    public record Settlement(Meter meter, Money gpuCharge, Money storageCharge, Instant from, Instant to) {
        public boolean isEmpty() {
            return !from.isBefore(to);
        }
    }

    /**
     * Settles up to {@code now} (truncated to the second). {@code gpuRunning} and
     * {@code storageKept} say what accrued over the whole interval: callers settle before every
     * state change, so a state holds for the whole interval.
     */
    public Settlement settle(Instant now, boolean gpuRunning, boolean storageKept) {
        Instant to = now.truncatedTo(ChronoUnit.SECONDS);
        if (!to.isAfter(meteredUntil)) {
            return new Settlement(this, Money.ZERO, Money.ZERO, meteredUntil, meteredUntil);
        }
        long gpuDelta = 0;
        if (gpuRunning) {
            Instant billFrom = gpuBillableFrom.isAfter(meteredUntil) ? gpuBillableFrom : meteredUntil;
            gpuDelta = Math.max(0, to.getEpochSecond() - billFrom.getEpochSecond());
        }
        long storageDelta = storageKept ? to.getEpochSecond() - meteredUntil.getEpochSecond() : 0;
        long newGpuSeconds = gpuSeconds + gpuDelta;
        long newStorageSeconds = storageSeconds + storageDelta;
        long gpuDue = Math.multiplyExact(gpuRatePerHourMicros, newGpuSeconds) / 3600;
        long storageDue = Math.multiplyExact(storageRatePerMonthMicros, newStorageSeconds) / SECONDS_PER_MONTH;
        Meter next = new Meter(gpuRatePerHourMicros, storageRatePerMonthMicros, gpuBillableFrom, to,
                newGpuSeconds, gpuDue, newStorageSeconds, storageDue);
        return new Settlement(next, Money.ofMicros(gpuDue - gpuChargedMicros),
                Money.ofMicros(storageDue - storageChargedMicros), meteredUntil, to);
    }
}
