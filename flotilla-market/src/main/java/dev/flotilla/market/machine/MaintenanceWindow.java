package dev.flotilla.market.machine;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** A period in which the host takes a machine out of service; it is not offered during it. */
public record MaintenanceWindow(long id, long machineId, Instant startsAt, Instant endsAt) {
    public MaintenanceWindow {
        requireNonNull(startsAt, "startsAt is null");
        requireNonNull(endsAt, "endsAt is null");
        if (!endsAt.isAfter(startsAt)) {
            throw new IllegalArgumentException("maintenance window ends before it starts");
        }
    }

    public boolean covers(Instant t) {
        return !t.isBefore(startsAt) && t.isBefore(endsAt);
    }
}
