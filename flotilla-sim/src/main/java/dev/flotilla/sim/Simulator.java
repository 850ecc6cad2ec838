package dev.flotilla.sim;

import static java.util.Objects.requireNonNull;

import dev.flotilla.autoscale.Forecast;
import dev.flotilla.core.Money;
import dev.flotilla.engine.EngineModel;
import dev.flotilla.routing.Admission;
import dev.flotilla.routing.AdmissionQueue;
import dev.flotilla.routing.AdmissionSettings;
import dev.flotilla.routing.Router;
import dev.flotilla.routing.Routers;
import dev.flotilla.routing.RoutingDecision;
import dev.flotilla.routing.RoutingRequest;
import dev.flotilla.routing.WorkerState;
import dev.flotilla.routing.WorkerStatus;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Replays a workload in virtual time through the production serving policies: the gateway's
 * {@link AdmissionQueue} (slots = ready workers x per-worker concurrency, FIFO, deadline =
 * max queue time), the endpoint's {@link Router}, and a {@link Scaler} asked every tick for the
 * desired worker count. Workers take a rental latency plus a sampled cold start to become ready,
 * are billed from the moment they are rented until released, and interruptible ones are
 * preempted by a Poisson process (their requests are retried from the queue's head; replacements
 * go on demand for a while, as the reconciler does). As the reconciler does too, once the back-off
 * has passed an on-demand worker is replaced by interruptible capacity, making before breaking: the
 * replacement is rented and started first, and the on-demand worker drains when it is ready.
 *
 * <p>Service times come from the {@link EngineModel}: a request admitted to a worker running
 * {@code b} sequences starts with its prefill ({@link EngineModel#prefillMicros}) and then emits
 * one token per decode step of a batch of {@code b+1} ({@link EngineModel#decodeStepMicros}),
 * the batch size frozen at admission: a processor-sharing approximation of continuous batching that
 * keeps a replay of millions of requests fast. TTFT = queue wait + prefill + one step.
 */
public final class Simulator {
    private static final int ARRIVAL = 0;
    private static final int DONE = 1;
    private static final int READY = 2;
    private static final int TICK = 3;
    private static final int PREEMPT = 4;
    private static final Instant EPOCH = Instant.EPOCH;

    private final SimConfig cfg;
    private final EngineModel engine;

    public Simulator(SimConfig cfg, EngineModel engine) {
        this.cfg = requireNonNull(cfg, "cfg is null");
        this.engine = requireNonNull(engine, "engine is null");
    }

    /** Requests per second one worker sustains: measured service times where the trace has them, else the engine model. */
    public double perWorkerRps(List<SimRequest> requests) {
        double measured = requests.stream().filter(SimRequest::measuredService).mapToLong(SimRequest::serviceMicros)
                .average().orElse(-1);
        if (measured > 0) {
            return cfg.concurrency() / (measured / 1e6);
        }
        return perWorkerRps(meanIn(requests), meanOut(requests));
    }

    /** Requests per second one worker sustains at full concurrency for a mean request (what scalers size with). */
    public double perWorkerRps(double meanInputTokens, double meanOutputTokens) {
        int b = cfg.concurrency();
        double serviceMicros = engine.prefillMicros(cfg.deployment(), (int) Math.round(meanInputTokens))
                + meanOutputTokens * engine.decodeStepMicros(cfg.deployment(), b, meanInputTokens + meanOutputTokens / 2);
        return b / (serviceMicros / 1e6);
    }

    private record Event(long at, int kind, long seq, int a, int b) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** The event queue: time order, ties in the order scheduled. */
    private static final class Events {
        private final PriorityQueue<Event> queue = new PriorityQueue<>();
        private long seq;

        void add(long at, int kind, int a, int b) {
            queue.add(new Event(at, kind, seq++, a, b));
        }

        boolean isEmpty() {
            return queue.isEmpty();
        }

        Event poll() {
            return queue.poll();
        }
    }

    private static final class Worker {
        final int id;
        final long rentedAt;
        final boolean interruptible;
        final Money pricePerHour;
        long readyAt = -1;
        long releasedAt = -1;
        boolean draining;
        int running;
        /** The on-demand worker this one replaces once ready (make before break); -1 for none. */
        int replaces = -1;
        final List<Integer> inService = new ArrayList<>();

        Worker(int id, long rentedAt, boolean interruptible, Money pricePerHour) {
            this.id = id;
            this.rentedAt = rentedAt;
            this.interruptible = interruptible;
            this.pricePerHour = pricePerHour;
        }

        boolean ready() {
            return readyAt >= 0 && releasedAt < 0 && !draining;
        }

        boolean live() {
            return releasedAt < 0;
        }
    }

    /** Runs {@code requests} (sorted by arrival) under {@code scaler}. */
    public SimResult run(List<SimRequest> requests, Scaler scaler) {
        long wallStart = System.nanoTime();
        int n = requests.size();
        long[] admittedAt = new long[n];
        long[] ttft = new long[n];
        long[] tpot = new long[n];
        boolean[] rejected = new boolean[n];
        Arrays.fill(admittedAt, -1);
        SplittableRandom random = new SplittableRandom(cfg.seed());
        Events events = new Events();
        for (int i = 0; i < n; i++) {
            events.add(requests.get(i).arrivalMicros(), ARRIVAL, i, 0);
        }
        long end = n == 0 ? 0 : requests.get(n - 1).arrivalMicros();
        long stop = end + cfg.tick().toNanos() / 1000;
        for (long t = 0; t <= stop; t += cfg.tick().toNanos() / 1000) {
            events.add(t, TICK, 0, 0);
        }
        AdmissionQueue queue = new AdmissionQueue("sim", AdmissionSettings.of(cfg.maxQueueLength(), cfg.maxQueueTime()), 0);
        Router router = Routers.of(cfg.routing(), new SplittableRandom(cfg.seed()));
        Map<Integer, Worker> workers = new LinkedHashMap<>(); // every worker ever rented: the bill
        Map<Integer, Worker> live = new LinkedHashMap<>();    // not yet released: what ticks and routing scan
        Map<String, Integer> waiting = new HashMap<>();
        ArrayDeque<Integer> retries = new ArrayDeque<>();
        int[] nextWorker = {0};
        long onDemandUntil = Long.MIN_VALUE;
        int arrivalsThisTick = 0;
        long processed = 0;
        List<SimResult.Point> timeline = new ArrayList<>();
        double capacityRps = perWorkerRps(requests);
        long retried = 0;
        long preemptions = 0;
        long rebalanced = 0;
        long lastEvent = 0;

        // Provisioned ahead (static peak) on the same kind of capacity the policies rent, so prices
        // compare. Asked once: a static fleet's size is a pass over the whole trace.
        int initial = scaler.initialWorkers(requests, capacityRps);
        if (initial > 0) {
            for (int i = 0; i < initial; i++) {
                Worker w = new Worker(nextWorker[0]++, 0, cfg.interruptible(),
                        cfg.interruptible() ? cfg.interruptiblePricePerHour() : cfg.onDemandPricePerHour());
                w.readyAt = 0;
                workers.put(w.id, w);
                live.put(w.id, w);
                // Not preempted: the static baseline is the fleet at the interruptible price without
                // the preemptions' retries and replacements, a lower bound for provisioning for the peak.
            }
        }

        while (!events.isEmpty()) {
            Event e = events.poll();
            processed++;
            long now = e.at();
            lastEvent = now;
            Instant vnow = EPOCH.plusNanos(now * 1000);
            switch (e.kind()) {
                case ARRIVAL -> {
                    arrivalsThisTick++;
                    String id = Integer.toString(e.a());
                    Admission a = queue.offer(id, vnow);
                    switch (a) {
                        case Admission.Admitted ok -> start(e.a(), now, live, router, requests, admittedAt, ttft, tpot, events);
                        case Admission.Queued q -> waiting.put(id, e.a());
                        case Admission.Rejected r -> rejected[e.a()] = true;
                    }
                }
                case DONE -> {
                    Worker w = workers.get(e.b());
                    if (!w.inService.remove(Integer.valueOf(e.a()))) {
                        break; // preempted meanwhile: the request was retried elsewhere
                    }
                    w.running--;
                    queue.release(Integer.toString(e.a()), vnow);
                    if (w.draining && w.running == 0 && w.releasedAt < 0) {
                        w.releasedAt = now;
                        live.remove(w.id);
                        queue.setCapacity(slots(live));
                    }
                }
                case READY -> {
                    Worker w = workers.get(e.a());
                    if (w.live() && w.readyAt < 0) {
                        w.readyAt = now;
                        scaler.workerReady(w.rentedAt, now);
                        Worker old = w.replaces >= 0 ? workers.get(w.replaces) : null;
                        if (old != null && old.live() && !old.draining) {
                            old.draining = true;
                            if (old.running == 0) {
                                old.releasedAt = now;
                                live.remove(old.id);
                            }
                        }
                        queue.setCapacity(slots(live));
                    }
                }
                case PREEMPT -> {
                    Worker w = workers.get(e.a());
                    if (w.live()) {
                        preemptions++;
                        w.releasedAt = now;
                        live.remove(w.id);
                        onDemandUntil = now + cfg.preemptionBackoff().toNanos() / 1000;
                        // its requests go back to the front of the line: retried, never lost
                        for (int r : w.inService) {
                            queue.release(Integer.toString(r), vnow);
                            retries.add(r);
                            retried++;
                        }
                        w.inService.clear();
                        w.running = 0;
                        queue.setCapacity(slots(live));
                    }
                }
                case TICK -> {
                    int ready = 0;
                    int starting = 0;
                    int inFlight = 0;
                    int incoming = 0;
                    for (Worker w : live.values()) {
                        if (w.ready()) {
                            ready++;
                            inFlight += w.running;
                        } else if (w.live() && w.readyAt < 0) {
                            // a replacement still starting is capacity on its way, not part of the count
                            if (incoming(w, workers)) {
                                incoming++;
                            } else {
                                starting++;
                            }
                        }
                    }
                    Observation o = new Observation(now, arrivalsThisTick, cfg.tick(), inFlight, queue.waitingCount(), ready,
                            starting, capacityRps);
                    int desired = Math.max(0, scaler.desiredWorkers(o, requests));
                    Optional<Forecast> f = scaler.lastForecast();
                    timeline.add(new SimResult.Point(now / 1e6, arrivalsThisTick / (cfg.tick().toNanos() / 1e9), ready + starting,
                            desired, f.map(Forecast::mean).orElse(Double.NaN), f.map(Forecast::upper).orElse(Double.NaN)));
                    arrivalsThisTick = 0;
                    int active = ready + starting;
                    for (int i = active; i < desired; i++) {
                        boolean interruptible = cfg.interruptible() && now >= onDemandUntil;
                        Worker w = new Worker(nextWorker[0]++, now, interruptible,
                                interruptible ? cfg.interruptiblePricePerHour() : cfg.onDemandPricePerHour());
                        workers.put(w.id, w);
                        live.put(w.id, w);
                        long delay = scaler.instantProvisioning() ? 0 : cfg.rentalLatency().toNanos() / 1000 + coldStart(random);
                        events.add(now + delay, READY, w.id, 0);
                        schedulePreemption(w, now, stop, random, events);
                    }
                    // Scale down in the production reconciler's order (ScaleDown): workers not yet
                    // ready first, then the most expensive (on-demand fallbacks before interruptible
                    // ones, or a fleet that once fell back keeps paying double), the idlest among equals
                    // (it drains soonest), then the newest. Drain before release.
                    for (int i = active; i > desired; i--) {
                        Worker victim = null;
                        for (Worker w : live.values()) {
                            if (w.live() && !w.draining && w.readyAt < 0 && !incoming(w, workers)
                                    && (victim == null || !costlier(victim, w))) {
                                victim = w;
                            }
                        }
                        if (victim == null) {
                            for (Worker w : live.values()) {
                                if (w.ready() && (victim == null || costlier(w, victim)
                                        || (!costlier(victim, w) && w.running <= victim.running))) {
                                    victim = w;
                                }
                            }
                        }
                        if (victim == null) {
                            break;
                        }
                        victim.draining = true;
                        if (victim.running == 0) {
                            victim.releasedAt = now;
                            live.remove(victim.id);
                        }
                    }
                    if (desired == active && incoming == 0 && starting == 0 && cfg.interruptible() && now >= onDemandUntil) {
                        // make before break: the costliest ready on-demand worker gets an interruptible
                        // replacement, one at a time, and drains when the replacement is ready
                        Worker fallback = null;
                        for (Worker w : live.values()) {
                            if (w.ready() && !w.interruptible && (fallback == null || costlier(w, fallback))) {
                                fallback = w;
                            }
                        }
                        if (fallback != null && cfg.interruptiblePricePerHour().compareTo(fallback.pricePerHour) < 0) {
                            Worker w = new Worker(nextWorker[0]++, now, true, cfg.interruptiblePricePerHour());
                            w.replaces = fallback.id;
                            workers.put(w.id, w);
                            live.put(w.id, w);
                            long delay = scaler.instantProvisioning() ? 0 : cfg.rentalLatency().toNanos() / 1000 + coldStart(random);
                            events.add(now + delay, READY, w.id, 0);
                            schedulePreemption(w, now, stop, random, events);
                            rebalanced++;
                        }
                    }
                    queue.setCapacity(slots(live));
                    for (AdmissionQueue.Expired x : queue.expire(vnow)) {
                        Integer r = waiting.remove(x.waiter().requestId());
                        if (r != null) {
                            rejected[r] = true;
                        }
                    }
                }
                default -> throw new IllegalStateException("unknown event " + e.kind());
            }
            // hand free slots to retried requests first, then to the queue's head
            while (!retries.isEmpty() && hasFreeSlot(live)) {
                int r = retries.poll();
                if (queue.offer(Integer.toString(r), vnow) instanceof Admission.Admitted) {
                    start(r, now, live, router, requests, admittedAt, ttft, tpot, events);
                } else {
                    queue.cancel(Integer.toString(r));
                    retries.addFirst(r);
                    break;
                }
            }
            while (true) {
                Optional<AdmissionQueue.Waiter> next = queue.poll(vnow);
                if (next.isEmpty()) {
                    break;
                }
                Integer r = waiting.remove(next.get().requestId());
                if (r == null) {
                    queue.release(next.get().requestId(), vnow);
                    continue;
                }
                start(r, now, live, router, requests, admittedAt, ttft, tpot, events);
            }
        }
        // the bill runs until the last tick, or until the last request finished if later
        long horizon = Math.max(stop, lastEvent);
        Money cost = Money.ZERO;
        double gpuHours = 0;
        double onDemandGpuHours = 0;
        for (Worker w : workers.values()) {
            long until = w.releasedAt >= 0 ? w.releasedAt : horizon;
            double hours = Math.max(0, until - w.rentedAt) / 3.6e9;
            gpuHours += hours * cfg.gpusPerWorker();
            if (!w.interruptible) {
                onDemandGpuHours += hours * cfg.gpusPerWorker();
            }
            cost = cost.plus(Money.ofMicros(Math.round(w.pricePerHour.micros() * hours)));
        }
        return SimResult.of(scaler.name(), cost, gpuHours, onDemandGpuHours, requests, admittedAt, ttft, tpot, rejected, cfg, retried,
                preemptions, rebalanced, processed, (System.nanoTime() - wallStart) / 1e9, timeline);
    }

    private void start(int r, long now, Map<Integer, Worker> workers, Router router, List<SimRequest> requests,
            long[] admittedAt, long[] ttft, long[] tpot, Events events) {
        List<WorkerState> states = new ArrayList<>();
        for (Worker w : workers.values()) {
            if (w.ready()) {
                states.add(new WorkerState(Integer.toString(w.id), "sim", "sim", WorkerStatus.READY, w.running, 0,
                        cfg.concurrency(), 0, null));
            }
        }
        Optional<RoutingDecision> d = router.choose(RoutingRequest.of("sim"), states);
        if (d.isEmpty()) {
            throw new IllegalStateException("admitted with no ready worker at " + now);
        }
        Worker w = workers.get(Integer.valueOf(d.get().workerId()));
        SimRequest q = requests.get(r);
        if (admittedAt[r] < 0) {
            admittedAt[r] = now;
        }
        if (q.measuredService()) {
            // A measured service time (an image generation): no token stream, so "first token" is
            // the start of service and the per-token time does not apply.
            ttft[r] = now - q.arrivalMicros();
            tpot[r] = 0;
            w.running++;
            w.inService.add(r);
            events.add(now + q.serviceMicros(), DONE, r, w.id);
            return;
        }
        int batch = Math.min(cfg.concurrency(), w.running + 1);
        long prefill = engine.prefillMicros(cfg.deployment(), Math.max(1, q.inputTokens()));
        long step = engine.decodeStepMicros(cfg.deployment(), batch, q.inputTokens() + q.outputTokens() / 2.0);
        ttft[r] = now - q.arrivalMicros() + prefill + step;
        tpot[r] = step;
        w.running++;
        w.inService.add(r);
        events.add(now + prefill + step * Math.max(1, q.outputTokens()), DONE, r, w.id);
    }

    /** Whether {@code w} is a replacement still starting while the worker it replaces serves. */
    private static boolean incoming(Worker w, Map<Integer, Worker> workers) {
        if (w.replaces < 0 || w.readyAt >= 0 || !w.live()) {
            return false;
        }
        Worker old = workers.get(w.replaces);
        return old != null && old.live() && !old.draining;
    }

    /** Draws an interruptible worker's preemption from the Poisson process, if it falls within the run. */
    private void schedulePreemption(Worker w, long now, long stop, SplittableRandom random, Events events) {
        if (w.interruptible && cfg.preemptionsPerHour() > 0) {
            double hours = -Math.log(1 - random.nextDouble()) / cfg.preemptionsPerHour();
            long at = now + (long) (hours * 3.6e9);
            if (at <= stop) { // a preemption after the run would only stretch the bill
                events.add(at, PREEMPT, w.id, 0);
            }
        }
    }

    private static boolean costlier(Worker a, Worker b) {
        return a.pricePerHour.micros() > b.pricePerHour.micros();
    }

    private boolean hasFreeSlot(Map<Integer, Worker> workers) {
        for (Worker w : workers.values()) {
            if (w.ready() && w.running < cfg.concurrency()) {
                return true;
            }
        }
        return false;
    }

    private int slots(Map<Integer, Worker> workers) {
        int s = 0;
        for (Worker w : workers.values()) {
            if (w.ready()) {
                s += cfg.concurrency();
            }
        }
        return s;
    }

    /** A cold start drawn from a lognormal with the configured median and p99. */
    private long coldStart(SplittableRandom random) {
        double mu = Math.log(cfg.coldStartMedian().toNanos() / 1000.0);
        double sigma = (Math.log(cfg.coldStartP99().toNanos() / 1000.0) - mu) / 2.326;
        double z = gaussian(random);
        return (long) Math.exp(mu + sigma * z);
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    static double meanIn(List<SimRequest> requests) {
        return requests.stream().mapToInt(SimRequest::inputTokens).average().orElse(1);
    }

    static double meanOut(List<SimRequest> requests) {
        return requests.stream().mapToInt(SimRequest::outputTokens).average().orElse(1);
    }
}
