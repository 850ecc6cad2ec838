package dev.flotilla.sim;

import dev.flotilla.core.Money;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One policy's run: what it cost and how well it served. Attainment counts every request of the
 * trace: a rejected one meets no SLO.
 */
public record SimResult(String policy, double costUsd, double gpuHours, double onDemandGpuHours, long requests, double ttftSloAttainment,
        double tpotSloAttainment, long rejected, double queueMsP50, double queueMsP99, long retried, long preemptions,
        long rebalanced, long events, double wallSeconds, List<Point> timeline, List<Latency> latency) {

    /** Latency is summarised per this many seconds of arrivals, for the report's latency panel. */
    public static final int LATENCY_BUCKET_SECONDS = 60;

    /**
     * Load and workers at one tick.
     *
     * @param forecastRps the scaler's mean forecast rate over its lead time, NaN if it does not forecast
     * @param forecastUpperRps the rate it provisioned for (the forecast's upper bound), NaN likewise
     */
    public record Point(double seconds, double arrivalsPerSecond, int workers, int desired, double forecastRps,
            double forecastUpperRps) {}

    /**
     * How the requests arriving in one {@link #LATENCY_BUCKET_SECONDS} bucket fared: the tail of
     * their queue wait and time to first token (rejected requests excluded), and how many were
     * rejected. Only buckets with arrivals are listed.
     */
    public record Latency(double seconds, int requests, double queueMsP99, double ttftMsP99, int rejected) {}

    /** Simulated events per wall-clock second. */
    public double eventsPerSecond() {
        return wallSeconds <= 0 ? 0 : events / wallSeconds;
    }

    static SimResult of(String policy, Money cost, double gpuHours, double onDemandGpuHours, List<SimRequest> requests, long[] admittedAt, long[] ttft,
            long[] tpot, boolean[] rejected, SimConfig cfg, long retried, long preemptions, long rebalanced, long events,
            double wallSeconds, List<Point> timeline) {
        int n = requests.size();
        List<Latency> latency = latency(requests, admittedAt, ttft, rejected);
        long ttftOk = 0;
        long tpotOk = 0;
        long rejectedCount = 0;
        long[] queue = new long[n];
        int q = 0;
        long ttftSlo = cfg.ttftSlo().toNanos() / 1000;
        long tpotSlo = cfg.tpotSlo().toNanos() / 1000;
        for (int i = 0; i < n; i++) {
            if (rejected[i] || admittedAt[i] < 0) {
                rejectedCount++;
                continue;
            }
            if (ttft[i] <= ttftSlo) {
                ttftOk++;
            }
            if (tpot[i] <= tpotSlo) {
                tpotOk++;
            }
            queue[q++] = admittedAt[i] - requests.get(i).arrivalMicros();
        }
        long[] waits = Arrays.copyOf(queue, q);
        Arrays.sort(waits);
        return new SimResult(policy, cost.micros() / 1e6, gpuHours, onDemandGpuHours, n, n == 0 ? 1 : (double) ttftOk / n,
                n == 0 ? 1 : (double) tpotOk / n, rejectedCount, percentile(waits, 0.50) / 1000.0,
                percentile(waits, 0.99) / 1000.0, retried, preemptions, rebalanced, events, wallSeconds, List.copyOf(timeline),
                latency);
    }

    private static List<Latency> latency(List<SimRequest> requests, long[] admittedAt, long[] ttft, boolean[] rejected) {
        List<Latency> out = new ArrayList<>();
        long bucket = LATENCY_BUCKET_SECONDS * 1_000_000L;
        int i = 0;
        int n = requests.size();
        while (i < n) {
            long b = requests.get(i).arrivalMicros() / bucket;
            int j = i;
            while (j < n && requests.get(j).arrivalMicros() / bucket == b) {
                j++;
            }
            long[] waits = new long[j - i];
            long[] firsts = new long[j - i];
            int served = 0;
            int dropped = 0;
            for (int k = i; k < j; k++) {
                if (rejected[k] || admittedAt[k] < 0) {
                    dropped++;
                } else {
                    waits[served] = admittedAt[k] - requests.get(k).arrivalMicros();
                    firsts[served++] = ttft[k];
                }
            }
            long[] w = Arrays.copyOf(waits, served);
            long[] f = Arrays.copyOf(firsts, served);
            Arrays.sort(w);
            Arrays.sort(f);
            out.add(new Latency(b * (double) LATENCY_BUCKET_SECONDS, j - i, percentile(w, 0.99) / 1000.0,
                    percentile(f, 0.99) / 1000.0, dropped));
            i = j;
        }
        return List.copyOf(out);
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p * sorted.length) - 1; // nearest-rank percentile
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }
}
