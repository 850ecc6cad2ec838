package dev.flotilla.autoscale;

import static dev.flotilla.autoscale.Fmt.dur;
import static dev.flotilla.autoscale.Fmt.num;
import static dev.flotilla.autoscale.Fmt.pct;
import static dev.flotilla.autoscale.LoadSample.seconds;
import static java.util.Objects.requireNonNull;

import dev.flotilla.autoscale.Decision.Inputs;
import dev.flotilla.autoscale.Decision.Mode;
import dev.flotilla.core.FlotillaException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;

/**
 * Reactive scaling after Knative's pod autoscaler (KPA), with capacity in benchmarked
 * requests/s instead of a fixed concurrency. One instance per endpoint; call {@link #decide}
 * every few seconds with the endpoint's {@link LoadHistory}.
 *
 * <p><b>Need.</b> {@code need(rate) = ceil((max(rate, min_load) + queueRate) / (perWorkerRps *
 * target_util))}, where {@code queueRate = queued / target_queue_time} when the queued requests
 * would wait longer than {@code target_queue_time} at the current throughput ({@code queued /
 * (active * perWorkerRps)}), else 0: the backlog is drained within the target on top of the
 * arrivals.
 *
 * <p><b>Panic.</b> With {@code C = active * perWorkerRps * target_util} (the load the active
 * workers are meant to carry), the policy panics when the panic-window rate is positive and
 * {@code >= panic_threshold * C} (Knative's test: desired pods in the panic window over ready pods
 * reaches the threshold; with no active worker any arrival panics, which is scale-from-zero), or
 * when the queue would wait longer than {@code max_queue_time}. Panic lasts until a whole stable
 * window passes without a trigger. In panic the policy asks for
 * {@code need(max(panic rate, stable rate))} and never scales down: not below the active workers,
 * nor below the most it asked for during this panic.
 *
 * <p><b>Stable.</b> Otherwise scaling up follows {@code need(stable rate)} at once. Scaling down
 * goes to the highest need computed in the last stable window (Kubernetes HPA's scale-down
 * stabilisation window) with 10% slack ({@code target_util * 0.9}, HPA's tolerance), and only
 * when that is below the active count: a lower load must hold for a whole window, and clearly, so
 * that noise around a worker boundary does not flap.
 *
 * <p><b>Bounds.</b> One decision goes up to at most {@code ceil(max(1, active) *
 * max_scale_up_rate)} and down to no fewer than {@code max(1, floor(active / max_scale_down_rate))}
 * workers. Zero comes only from inactivity: when the settings allow zero ({@code min_workers = 0},
 * {@code min_load = 0}) and the endpoint has seen no request (arrival, in flight or queued) for
 * {@code inactivity_timeout + scale_to_zero_grace}. Finally the count is clamped to
 * [{@code min_workers}, {@code max_workers}], and cold workers follow
 * {@link ScalingSettings#coldMult}.
 *
 * <p>Source: Knative Serving, {@code pkg/autoscaler/scaling/autoscaler.go} (stable/panic windows,
 * panic threshold, max scale up/down rates); Kubernetes HPA {@code behavior.scaleDown.
 * stabilizationWindowSeconds}.
 *
 * <p>Deterministic: the same calls give the same decisions. The state (end of panic, the needs of
 * the last stable window) is small and rebuilt within a window: a new instance (a restarted
 * control plane) does not scale down before it has decided for one whole stable window, since its
 * stabilisation window is still empty. Not thread-safe.
 */
public final class ReactivePolicy implements ScalingPolicy {
    /** A need computed at an instant; kept in a monotonic deque (needs strictly decreasing). */
    private record Need(Instant at, int workers) {}

    /**
     * Scale-down hysteresis: going down needs the load to fit the smaller count at
     * {@code target_util * (1 - 0.1)}, so noise around a worker boundary neither adds nor removes
     * a worker (Kubernetes HPA's default tolerance is the same 10%).
     */
    static final double SCALE_DOWN_TOLERANCE = 0.1;

    private final ArrayDeque<Need> needs = new ArrayDeque<>();
    private Instant panicUntil;
    private int panicPeak;
    private Instant firstDecision;

    @Override
    public String name() {
        return "reactive";
    }

    @Override
    public Decision decide(
            Instant now, LoadHistory history, int currentActive, double perWorkerRps, ScalingSettings s) {
        return decide(now, history, currentActive, perWorkerRps, s, Duration.ZERO);
    }

    /**
     * The decision, with the queue drained over {@code max(target_queue_time, drainTime)} instead
     * of {@code target_queue_time}: a caller that knows the provisioning lead time (the predictive
     * policy) passes it, since workers asked for now serve nothing sooner, and sizing the fleet to
     * drain a backlog in 2 s that new workers reach only after 30-50 s rents 15-25 times too many.
     */
    Decision decide(Instant now, LoadHistory history, int currentActive, double perWorkerRps, ScalingSettings s,
            Duration drainTime) {
        requireNonNull(now, "now is null");
        requireNonNull(history, "history is null");
        requireNonNull(s, "settings is null");
        requireInputs(currentActive, perWorkerRps);

        double stableRate = history.rate(now, s.stableWindow());
        double panicRate = history.rate(now, s.panicWindow());
        int queued = history.latest().map(LoadSample::queued).orElse(0);
        Inputs in = new Inputs(currentActive, stableRate, panicRate, queued, perWorkerRps);
        if (firstDecision == null) {
            firstDecision = now;
        }
        if (history.isEmpty()) {
            int d = s.clamp(currentActive);
            return Decision.of(now, d, coldWorkers(d, d, s), Mode.HOLD,
                    "no load samples yet; " + change(currentActive, d) + clampNote(currentActive, d, s), in);
        }

        double util = s.targetUtil();
        double throughput = currentActive * perWorkerRps;
        double wait = queueWait(in);
        double queueRate = queueRate(in, s, drainTime);

        double targetCapacity = throughput * util;
        boolean burst = panicRate > 0 && panicRate >= s.panicThreshold() * targetCapacity;
        boolean overflow = wait > seconds(s.maxQueueTime());
        if (burst || overflow) {
            Instant until = now.plus(s.stableWindow());
            panicUntil = panicUntil == null || until.isAfter(panicUntil) ? until : panicUntil;
        }
        boolean inPanic = panicUntil != null && now.isBefore(panicUntil);
        if (!inPanic) {
            panicUntil = null;
            panicPeak = 0;
        }

        int stableNeed = stableNeed(in, s, 1, drainTime);
        // Recorded in panic too, so the stabilisation window is whole when panic ends.
        int slackNeed = stableNeed(in, s, 1 - SCALE_DOWN_TOLERANCE, drainTime);
        int heldNeed = recordNeed(now, slackNeed, s.stableWindow());
        int upBound = upBound(currentActive, s);

        StringBuilder why = new StringBuilder();
        int desired;
        int needed;
        Mode mode;
        if (inPanic) {
            double demand = Math.max(Math.max(panicRate, stableRate), s.minLoad());
            int panicNeed = Capacity.workersFor(demand + queueRate, perWorkerRps, util);
            int unbounded = Math.max(Math.max(panicNeed, panicPeak), currentActive);
            int wanted = Math.min(unbounded, upBound);
            desired = s.clamp(wanted);
            panicPeak = Math.max(panicPeak, desired);
            needed = Math.max(desired, s.clamp(panicNeed));
            mode = Mode.PANIC;
            if (burst) {
                why.append("panic: ").append(dur(s.panicWindow())).append(" rate ").append(num(panicRate)).append(" req/s");
                if (currentActive == 0) {
                    why.append(" with no active workers");
                } else {
                    why.append(" is ").append(num(panicRate / targetCapacity)).append("x current capacity ")
                            .append(num(targetCapacity)).append(" req/s (").append(currentActive).append(" x ")
                            .append(num(perWorkerRps)).append(" req/s at ").append(pct(util)).append(')');
                }
            } else if (overflow) {
                why.append("panic: ").append(queued).append(" queued requests ")
                        .append(currentActive == 0 ? "with no active workers" : "would wait " + num(wait) + " s")
                        .append(", over max_queue_time ").append(dur(s.maxQueueTime()));
            } else {
                why.append("panic held until ").append(panicUntil).append(" (a stable window after the last burst): ")
                        .append(dur(s.panicWindow())).append(" rate ").append(num(panicRate)).append(" req/s");
            }
            why.append(" needs ").append(panicNeed).append(panicNeed == 1 ? " worker" : " workers");
            queueNote(why, queued, wait, queueRate, s, drainTime);
            if (unbounded > panicNeed) {
                why.append("; no scale-down in panic");
            }
            why.append("; ").append(change(currentActive, desired));
            if (unbounded > upBound) {
                why.append(" (max_scale_up_rate ").append(num(s.maxScaleUpRate())).append(')');
            }
            why.append(clampNote(wanted, desired, s));
        } else {
            mode = Mode.STABLE;
            desired = stableNeed > currentActive ? stableNeed : Math.min(heldNeed, currentActive);
            why.append("stable: ").append(dur(s.stableWindow())).append(" rate ").append(num(stableRate))
                    .append(" req/s");
            if (s.minLoad() > stableRate) {
                why.append(" (min_load ").append(num(s.minLoad())).append(" req/s)");
            }
            why.append(" needs ").append(stableNeed).append(stableNeed == 1 ? " worker" : " workers").append(" at ")
                    .append(num(perWorkerRps)).append(" req/s each and ").append(pct(util)).append(" target utilisation");
            queueNote(why, queued, wait, queueRate, s, drainTime);
            if (stableNeed < currentActive && heldNeed >= currentActive) {
                why.append("; scale-down waits until the load has fit fewer workers at ")
                        .append(pct(util * (1 - SCALE_DOWN_TOLERANCE))).append(" for ").append(dur(s.stableWindow()));
            } else if (stableNeed < currentActive && heldNeed > stableNeed) {
                why.append("; the highest need at ").append(pct(util * (1 - SCALE_DOWN_TOLERANCE))).append(" in the last ")
                        .append(dur(s.stableWindow())).append(" was ").append(heldNeed);
            }
            String bound = "";
            if (desired < currentActive && now.isBefore(firstDecision.plus(s.stableWindow()))) {
                desired = currentActive;
                why.append("; no scale-down before the policy has watched a whole ").append(dur(s.stableWindow()));
            }
            if (desired > currentActive && desired > upBound) {
                desired = upBound;
                bound = " (max_scale_up_rate " + num(s.maxScaleUpRate()) + ")";
            } else if (desired < currentActive) {
                int floor = Math.max(1, (int) Math.floor(currentActive / s.maxScaleDownRate()));
                if (desired < floor) {
                    desired = floor;
                    bound = desired == 1 && currentActive / s.maxScaleDownRate() < 1
                            ? " (only inactivity scales to zero)"
                            : " (max_scale_down_rate " + num(s.maxScaleDownRate()) + ")";
                }
            }
            int bounded = desired;
            desired = s.clamp(bounded);
            if (desired != bounded) {
                bound = ""; // the clamp overrides the rate bound and says so itself
            }
            needed = Math.max(desired, s.clamp(stableNeed));
            why.append("; ").append(change(currentActive, desired)).append(bound);
            why.append(clampNote(bounded, desired, s));
        }

        if (!inPanic && s.allowsScaleToZero()) {
            Duration idle = history.idleFor(now);
            Duration zeroAfter = s.inactivityTimeout().plus(s.scaleToZeroGrace());
            if (idle.compareTo(zeroAfter) >= 0) {
                String since = history.lastActive().map(t -> "no request since " + t).orElse("no request seen");
                return Decision.of(now, 0, coldWorkers(0, 0, s), Mode.SCALE_TO_ZERO,
                        "idle for " + dur(idle) + " (" + since + "), past inactivity_timeout "
                                + dur(s.inactivityTimeout()) + " + scale_to_zero_grace " + dur(s.scaleToZeroGrace())
                                + "; " + change(currentActive, 0),
                        in);
            }
            if (idle.compareTo(s.inactivityTimeout()) >= 0 && desired > 0) {
                return Decision.of(now, desired, coldWorkers(needed, desired, s), Mode.HOLD,
                        "idle for " + dur(idle) + ", past inactivity_timeout " + dur(s.inactivityTimeout())
                                + "; scaling to zero once scale_to_zero_grace " + dur(s.scaleToZeroGrace())
                                + " has also passed; " + change(currentActive, desired),
                        in);
            }
        }
        return Decision.of(now, desired, coldWorkers(needed, desired, s), mode, why.toString(), in);
    }

    /**
     * Workers the stable-window rate needs right now, before any scale-down stabilisation:
     * {@code need(max(stable rate, min_load) + queueRate)} at {@code target_util * utilScale}
     * (the class formula). The predictive policy's floor.
     */
    static int stableNeed(Inputs in, ScalingSettings s, double utilScale, Duration drainTime) {
        return Capacity.workersFor(Math.max(in.stableRate(), s.minLoad()) + queueRate(in, s, drainTime),
                in.perWorkerRps(), s.targetUtil() * utilScale);
    }

    /** Seconds the queued requests would wait at the active workers' throughput; infinite with none. */
    private static double queueWait(Inputs in) {
        double throughput = in.currentCapacity();
        return in.queued() == 0 ? 0 : throughput > 0 ? in.queued() / throughput : Double.POSITIVE_INFINITY;
    }

    /**
     * The rate that drains a backlog waiting longer than {@code target_queue_time} within
     * {@code max(target_queue_time, drainTime)}, on top of the arrivals; 0 for a shorter wait.
     */
    private static double queueRate(Inputs in, ScalingSettings s, Duration drainTime) {
        return queueWait(in) > seconds(s.targetQueueTime())
                ? in.queued() / Math.max(seconds(s.targetQueueTime()), seconds(drainTime)) : 0;
    }

    /**
     * Cold workers to keep: {@code ceil(cold_mult * max(needed, 1)) - desiredActive}, bounded by
     * {@code cold_workers} and by {@code max_workers - desiredActive} (a cold worker is only worth
     * its storage if it may become active). The {@code max(needed, 1)} sizes the reserve of an
     * idle endpoint as if one worker were needed, so the first request after scale-to-zero resumes
     * a cold worker instead of waiting for a fresh start.
     */
    static int coldWorkers(int needed, int desiredActive, ScalingSettings s) {
        if (s.coldWorkers() == 0) {
            return 0;
        }
        double reserve = s.coldMult() * Math.max(needed, 1);
        int kept = (int) Math.min(Integer.MAX_VALUE, Math.ceil(reserve - 1e-9 * reserve));
        int cold = kept - desiredActive;
        return Math.max(0, Math.min(cold, Math.min(s.coldWorkers(), s.maxWorkers() - desiredActive)));
    }

    static void requireInputs(int currentActive, double perWorkerRps) {
        if (currentActive < 0) {
            throw FlotillaException.invalid("current_active", "current_active must be >= 0, got " + currentActive);
        }
        if (!(perWorkerRps > 0) || !Double.isFinite(perWorkerRps)) {
            throw FlotillaException.invalid("per_worker_rps", "per_worker_rps must be positive and finite, got "
                    + perWorkerRps + "; with no worker running pass the last measured value or an estimate");
        }
    }

    static int upBound(int currentActive, ScalingSettings s) {
        double up = Math.ceil(Math.max(1, currentActive) * s.maxScaleUpRate());
        return up >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) up;
    }

    static String change(int from, int to) {
        return from == to ? "holding " + to : "scaling " + from + " -> " + to;
    }

    static String clampNote(int wanted, int clamped, ScalingSettings s) {
        if (clamped > wanted) {
            return " (raised to min_workers " + s.minWorkers() + ")";
        }
        if (clamped < wanted) {
            return " (capped at max_workers " + s.maxWorkers() + ")";
        }
        return "";
    }

    private static void queueNote(StringBuilder why, int queued, double wait, double queueRate, ScalingSettings s,
            Duration drainTime) {
        if (queueRate > 0) {
            why.append(", with ").append(queued).append(" queued (")
                    .append(Double.isInfinite(wait) ? "no worker to serve them" : "about " + num(wait) + " s of work")
                    .append(" > target_queue_time ").append(dur(s.targetQueueTime())).append(") adding ")
                    .append(num(queueRate)).append(" req/s");
            if (drainTime.compareTo(s.targetQueueTime()) > 0) {
                why.append(" to drain them over the ").append(dur(drainTime)).append(" lead time");
            }
        }
    }

    /** Adds {@code need} at {@code now} and returns the highest need within the last window. */
    private int recordNeed(Instant now, int need, Duration window) {
        while (!needs.isEmpty() && needs.peekLast().workers() <= need) {
            needs.pollLast();
        }
        needs.addLast(new Need(now, need));
        Instant cutoff = now.minus(window);
        while (needs.size() > 1 && !needs.peekFirst().at().isAfter(cutoff)) {
            needs.pollFirst();
        }
        return needs.peekFirst().workers();
    }
}
