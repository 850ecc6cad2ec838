package dev.flotilla.sim;

import java.util.List;

/**
 * The reference policies every report carries: static peak provisioning (what a fixed fleet
 * costs) and the oracle lower bound (the future load known, provisioning instant).
 */
public final class Baselines {
    private Baselines() {}

    /** Workers for the trace's busiest minute at the target utilisation, all the time. */
    public static Scaler staticPeak(double targetUtil) {
        return new Scaler() {
            private int workers = -1;

            @Override
            public String name() {
                return "static-peak";
            }

            @Override
            public int initialWorkers(List<SimRequest> trace, double perWorkerRps) {
                workers = Math.max(1, (int) Math.ceil(peakRate(trace, 60_000_000L) / (perWorkerRps * targetUtil)));
                return workers;
            }

            @Override
            public int desiredWorkers(Observation o, List<SimRequest> trace) {
                return workers;
            }
        };
    }

    /** Exactly the workers the next tick's arrivals need at the target utilisation, ready at once. */
    public static Scaler oracle(double targetUtil) {
        return new Scaler() {
            @Override
            public String name() {
                return "oracle";
            }

            @Override
            public int desiredWorkers(Observation o, List<SimRequest> trace) {
                long from = o.nowMicros();
                long to = from + o.tick().toNanos() / 1000;
                double rate = count(trace, from, to) / (o.tick().toNanos() / 1e9);
                return (int) Math.ceil(rate / (o.perWorkerRps() * targetUtil));
            }

            @Override
            public boolean instantProvisioning() {
                return true;
            }
        };
    }

    /** Highest arrival rate (per second) over any window of {@code windowMicros} starting at an arrival. */
    static double peakRate(List<SimRequest> trace, long windowMicros) {
        int best = 0;
        int j = 0;
        for (int i = 0; i < trace.size(); i++) {
            while (j < trace.size() && trace.get(j).arrivalMicros() < trace.get(i).arrivalMicros() + windowMicros) {
                j++;
            }
            best = Math.max(best, j - i);
        }
        return best / (windowMicros / 1e6);
    }

    static int count(List<SimRequest> trace, long from, long to) {
        int lo = lowerBound(trace, from);
        int hi = lowerBound(trace, to);
        return hi - lo;
    }

    private static int lowerBound(List<SimRequest> trace, long t) {
        int lo = 0;
        int hi = trace.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (trace.get(mid).arrivalMicros() < t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
