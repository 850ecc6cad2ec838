package dev.flotilla.market.rental;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.Money;
import dev.flotilla.market.billing.Meter;
import dev.flotilla.market.offer.RentalType;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A tenant's rental of a slice of one machine. {@code pricePerHour} is the GPU rate billed per
 * second (the listed on-demand price, or the bid); a reserved rental also carries what it
 * prepaid and until when. {@code firstGpu} is set only while it runs. The price, storage and
 * bandwidth rates are fixed when the rental is made, so a host's later price change does not
 * reach into running rentals.
 */
public record Rental(
        long id,
        long tenantId,
        long machineId,
        long hostId,
        long offerId,
        RentalType type,
        RentalState state,
        String stateReason,
        int numGpus,
        OptionalInt firstGpu,
        long priority,
        Money pricePerHour,
        Money prepaid,
        Optional<Instant> reservedUntil,
        int diskGb,
        Money storagePerGbMonth,
        Money bandwidthPerTb,
        Instant createdAt,
        Optional<Instant> endedAt,
        Meter meter,
        long bandwidthBytes,
        long bandwidthChargedMicros) {
    public Rental {
        requireNonNull(type, "type is null");
        requireNonNull(state, "state is null");
        requireNonNull(stateReason, "stateReason is null");
        requireNonNull(firstGpu, "firstGpu is null");
        requireNonNull(pricePerHour, "pricePerHour is null");
        requireNonNull(prepaid, "prepaid is null");
        requireNonNull(reservedUntil, "reservedUntil is null");
        requireNonNull(storagePerGbMonth, "storagePerGbMonth is null");
        requireNonNull(bandwidthPerTb, "bandwidthPerTb is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(endedAt, "endedAt is null");
        requireNonNull(meter, "meter is null");
        if (state == RentalState.RUNNING && firstGpu.isEmpty()) {
            throw new IllegalArgumentException("a running rental must hold GPUs");
        }
    }

    public Rental withState(RentalState newState, String reason, OptionalInt gpu) {
        return new Rental(id, tenantId, machineId, hostId, offerId, type, newState, reason, numGpus, gpu, priority,
                pricePerHour, prepaid, reservedUntil, diskGb, storagePerGbMonth, bandwidthPerTb, createdAt, endedAt, meter,
                bandwidthBytes, bandwidthChargedMicros);
    }

    public Rental withMeter(Meter m) {
        return new Rental(id, tenantId, machineId, hostId, offerId, type, state, stateReason, numGpus, firstGpu, priority,
                pricePerHour, prepaid, reservedUntil, diskGb, storagePerGbMonth, bandwidthPerTb, createdAt, endedAt, m,
                bandwidthBytes, bandwidthChargedMicros);
    }

    public Rental withEndedAt(Instant at) {
        return new Rental(id, tenantId, machineId, hostId, offerId, type, state, stateReason, numGpus, firstGpu, priority,
                pricePerHour, prepaid, reservedUntil, diskGb, storagePerGbMonth, bandwidthPerTb, createdAt, Optional.of(at),
                meter, bandwidthBytes, bandwidthChargedMicros);
    }

    public Rental withBandwidth(long totalBytes, long chargedMicros) {
        return new Rental(id, tenantId, machineId, hostId, offerId, type, state, stateReason, numGpus, firstGpu, priority,
                pricePerHour, prepaid, reservedUntil, diskGb, storagePerGbMonth, bandwidthPerTb, createdAt, endedAt, meter,
                totalBytes, chargedMicros);
    }

    public Optional<Hold> hold() {
        return state.holdsGpus() && firstGpu.isPresent()
                ? Optional.of(new Hold(id, firstGpu.getAsInt(), numGpus, priority))
                : Optional.empty();
    }
}
