package dev.flotilla.autoscale;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.time.Instant;

/**
 * What one endpoint saw over one interval, as the gateway (or the simulator) reports it: the
 * interval is {@code (at - interval, at]}.
 *
 * @param at end of the interval
 * @param arrivals requests that arrived in the interval, admitted or not; {@code >= 0}
 * @param interval length of the interval; positive
 * @param inFlight requests being served at {@code at}; {@code >= 0}
 * @param queued requests waiting for a worker at {@code at}; {@code >= 0}
 * @param tokens tokens (prompt + generated) processed in the interval, 0 where the source does
 *     not count them; {@code >= 0}. The policies reason in requests; tokens are kept for reports.
 */
public record LoadSample(Instant at, long arrivals, Duration interval, int inFlight, int queued, long tokens) {
    public LoadSample {
        requireNonNull(at, "at is null");
        if (interval == null || interval.isNegative() || interval.isZero()) {
            throw FlotillaException.invalid("interval", "a load sample's interval must be positive, got " + interval);
        }
        if (arrivals < 0) {
            throw FlotillaException.invalid("arrivals", "arrivals must be >= 0, got " + arrivals);
        }
        if (inFlight < 0) {
            throw FlotillaException.invalid("in_flight", "in_flight must be >= 0, got " + inFlight);
        }
        if (queued < 0) {
            throw FlotillaException.invalid("queued", "queued must be >= 0, got " + queued);
        }
        if (tokens < 0) {
            throw FlotillaException.invalid("tokens", "tokens must be >= 0, got " + tokens);
        }
    }

    /** A sample without a token count. */
    public static LoadSample of(Instant at, long arrivals, Duration interval, int inFlight, int queued) {
        return new LoadSample(at, arrivals, interval, inFlight, queued, 0);
    }

    /** Only arrivals: nothing in flight or queued at the end. */
    public static LoadSample arrivals(Instant at, long arrivals, Duration interval) {
        return new LoadSample(at, arrivals, interval, 0, 0, 0);
    }

    public LoadSample withTokens(long n) {
        return new LoadSample(at, arrivals, interval, inFlight, queued, n);
    }

    /** Start of the interval. */
    public Instant start() {
        return at.minus(interval);
    }

    /** Arrival rate over the interval, requests/s. */
    public double rate() {
        return arrivals / seconds(interval);
    }

    /** Whether anything happened: a request arrived, or one was in flight or queued at the end. */
    public boolean active() {
        return arrivals > 0 || inFlight > 0 || queued > 0;
    }

    static double seconds(Duration d) {
        return d.getSeconds() + d.getNano() / 1e9;
    }
}
