package dev.flotilla.autoscale;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Workers that obey decisions with a provisioning lead time: a started worker serves only
 * {@code leadTime} after it was asked for; scale-down cancels starting workers first, then stops
 * ready ones at once.
 */
final class FakeFleet {
    private final Duration leadTime;
    private final List<Instant> starting = new ArrayList<>();
    private int ready;

    FakeFleet(Duration leadTime, int ready) {
        this.leadTime = leadTime;
        this.ready = ready;
    }

    int ready(Instant now) {
        starting.removeIf(t -> {
            if (!t.isAfter(now)) {
                ready++;
                return true;
            }
            return false;
        });
        return ready;
    }

    void apply(Instant now, int desired) {
        ready(now);
        int total = ready + starting.size();
        for (int i = total; i < desired; i++) {
            starting.add(now.plus(leadTime));
        }
        for (int i = total; i > desired; i--) {
            if (!starting.isEmpty()) {
                starting.removeLast();
            } else {
                ready--;
            }
        }
    }
}
