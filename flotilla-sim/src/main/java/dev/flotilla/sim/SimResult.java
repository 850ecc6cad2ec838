package dev.flotilla.sim;

import dev.flotilla.core.Money;
import java.util.Arrays;
import java.util.List;

/**
 * One policy's run: what it cost and how well it served. Attainment counts every request of the
 * trace: a rejected one meets no SLO.
 */
public record SimResult(String policy, double costUsd, double gpuHours, long requests, double ttftSloAttainment,
        double tpotSloAttainment, long rejected, double queueMsP50, double queueMsP99, long retried, long preemptions,
        long events, double wallSeconds, List<Point> timeline) {

    /** Load and workers at one tick. */
    public record Point(double seconds, double arrivalsPerSecond, int workers, int desired) {}

    /** Simulated events per wall-clock second. */
    public double eventsPerSecond() {
        return wallSeconds <= 0 ? 0 : events / wallSeconds;
    }

    static SimResult of(String policy, Money cost, double gpuHours, List<SimRequest> requests, long[] admittedAt, long[] ttft,
            long[] tpot, boolean[] rejected, SimConfig cfg, long retried, long preemptions, long events, double wallSeconds,
            List<Point> timeline) {
        int n = requests.size();
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
        return new SimResult(policy, cost.micros() / 1e6, gpuHours, n, n == 0 ? 1 : (double) ttftOk / n,
                n == 0 ? 1 : (double) tpotOk / n, rejectedCount, percentile(waits, 0.50) / 1000.0,
                percentile(waits, 0.99) / 1000.0, retried, preemptions, events, wallSeconds, List.copyOf(timeline));
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p * sorted.length) - 1; // nearest-rank percentile
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }
}
