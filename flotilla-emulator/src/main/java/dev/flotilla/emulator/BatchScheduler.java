package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import dev.flotilla.engine.Deployment;
import dev.flotilla.engine.EngineModel;
import dev.flotilla.engine.MemoryPlan;
import dev.flotilla.engine.SchedulerLimits;
import dev.flotilla.engine.StepTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A continuous-batching scheduler in the manner of vLLM's, with no clock of its own: each call to
 * {@link #step()} is one engine step, and its duration comes from
 * {@link EngineModel#step(Deployment, int, int, double)}. The scheduler's time is the sum of the
 * steps it has run, so a test drives it by ticking and a server by sleeping each step's duration.
 *
 * <p>Each step:
 * <ol>
 *   <li>admits waiting requests first come, first served, while the running set is under
 *       {@code maxSequences} and the KV cache has room for the head of the queue (the head blocks
 *       those behind it, so a long request is never starved by short ones);
 *   <li>gives every sequence past its prefill one decode token out of the token budget;
 *   <li>spends what is left of the budget on prompt chunks, oldest admission first (chunked
 *       prefill); a prompt whose last chunk runs in this step samples its first token in it, as
 *       vLLM does;
 *   <li>takes {@code engine.step(deployment, prefillTokens, decodeSequences, meanContext)} seconds,
 *       where {@code meanContext} is the mean prompt-plus-generated length of the decoding
 *       sequences. Chunks of several prompts are passed as one prefill, which the engine model
 *       times as one prompt: a slight overestimate of attention cost, kept so that there is one
 *       timing formula.
 * </ol>
 *
 * <p>KV accounting: a request is admitted only when its peak footprint (prompt plus the tokens it
 * will generate, {@link SequenceRequest#peakKvTokens()}) fits in what the running set has
 * reserved. vLLM allocates blocks as tokens arrive and preempts when it runs out; since the
 * emulator knows each output length in advance, reserving the peak gives the same steady-state
 * concurrency without modelling preemption and recomputation. Utilization ({@link #kvUsedTokens()})
 * counts the tokens actually held, as vLLM reports it.
 *
 * <p>Not thread-safe: one thread owns it (see {@link SchedulerLoop}).
 */
public final class BatchScheduler {
    private final EngineModel engine;
    private final Deployment deployment;
    private final long kvCapacity;
    private final SchedulerLimits limits;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final Map<Long, Sequence> running = new LinkedHashMap<>();
    private long kvReserved;
    private double now;

    public BatchScheduler(EngineModel engine, Deployment deployment, long kvCapacity, SchedulerLimits limits) {
        this.engine = requireNonNull(engine, "engine is null");
        this.deployment = requireNonNull(deployment, "deployment is null");
        this.limits = requireNonNull(limits, "limits is null");
        if (kvCapacity < 1) {
            throw new IllegalArgumentException("KV capacity must be >= 1 token; got " + kvCapacity);
        }
        this.kvCapacity = kvCapacity;
    }

    /** A scheduler with the deployment's KV cache ({@link MemoryPlan}) and vLLM's server limits. */
    public static BatchScheduler of(EngineModel engine, Deployment deployment) {
        MemoryPlan plan = MemoryPlan.of(deployment);
        if (!plan.fits()) {
            throw new IllegalArgumentException(plan.reason());
        }
        return new BatchScheduler(engine, deployment, plan.kvTokens(), SchedulerLimits.server(deployment.gpu()));
    }

    /** Queues a request; it arrives at the current scheduler time. */
    public void submit(SequenceRequest request) {
        requireNonNull(request, "request is null");
        if (request.peakKvTokens() > kvCapacity) {
            throw new IllegalArgumentException("request " + request.id() + " needs " + request.peakKvTokens()
                    + " KV-cache tokens; the cache holds " + kvCapacity);
        }
        if (running.containsKey(request.id()) || waiting.stream().anyMatch(s -> s.request.id() == request.id())) {
            throw new IllegalArgumentException("request " + request.id() + " is already scheduled");
        }
        waiting.addLast(new Sequence(request, now));
    }

    /** Drops a request wherever it is, freeing its KV cache; false when it is not scheduled. */
    public boolean cancel(long requestId) {
        Sequence s = running.remove(requestId);
        if (s != null) {
            kvReserved -= s.request.peakKvTokens();
            return true;
        }
        return waiting.removeIf(w -> w.request.id() == requestId);
    }

    /** Runs one step; empty when there is nothing to run (time does not advance). */
    public Optional<StepResult> step() {
        admit();
        if (running.isEmpty()) {
            return Optional.empty();
        }
        int budget = limits.tokenBudget();
        int decodeSequences = 0;
        double contextSum = 0;
        List<Sequence> producing = new ArrayList<>();
        for (Sequence s : running.values()) {
            if (s.prefilled == s.request.promptTokens()) {
                decodeSequences++;
                contextSum += s.request.promptTokens() + s.generated;
                producing.add(s);
            }
        }
        budget -= decodeSequences;
        int prefillTokens = 0;
        for (Sequence s : running.values()) {
            if (budget == 0) {
                break;
            }
            int left = s.request.promptTokens() - s.prefilled;
            if (left > 0) {
                int chunk = Math.min(left, budget);
                s.prefilled += chunk;
                budget -= chunk;
                prefillTokens += chunk;
                if (s.prefilled == s.request.promptTokens()) {
                    producing.add(s);
                }
            }
        }
        double meanContext = decodeSequences == 0 ? 0 : contextSum / decodeSequences;
        StepTime time = engine.step(deployment, prefillTokens, decodeSequences, meanContext);
        now += time.seconds();

        List<TokenEvent> events = new ArrayList<>();
        Iterator<Sequence> it = running.values().iterator();
        while (it.hasNext()) {
            Sequence s = it.next();
            if (!producing.contains(s)) {
                continue;
            }
            int index = s.generated++;
            boolean last = s.generated == s.request.outputTokens();
            events.add(new TokenEvent(s.request.id(), index, s.request.text().get(index), now,
                    last ? Optional.of(s.request.finishReason()) : Optional.empty()));
            if (last) {
                it.remove();
                kvReserved -= s.request.peakKvTokens();
            }
        }
        return Optional.of(new StepResult(now, time.seconds(), prefillTokens, decodeSequences, events));
    }

    private void admit() {
        while (!waiting.isEmpty() && running.size() < limits.maxSequences()
                && kvReserved + waiting.peekFirst().request.peakKvTokens() <= kvCapacity) {
            Sequence s = waiting.pollFirst();
            running.put(s.request.id(), s);
            kvReserved += s.request.peakKvTokens();
        }
    }

    /** Modelled seconds since the scheduler started: the sum of its steps. */
    public double nowSeconds() {
        return now;
    }

    /** Sequences admitted and not finished (prefilling or decoding). */
    public int runningCount() {
        return running.size();
    }

    /** Requests queued for admission. */
    public int waitingCount() {
        return waiting.size();
    }

    /** KV-cache tokens held now: prompt tokens prefilled plus tokens generated, over running sequences. */
    public long kvUsedTokens() {
        long used = 0;
        for (Sequence s : running.values()) {
            used += s.prefilled + s.generated;
        }
        return used;
    }

    /** KV-cache tokens reserved by admitted sequences (their peak footprints). */
    public long kvReservedTokens() {
        return kvReserved;
    }

    /** Tokens the KV cache holds in all. */
    public long kvCapacityTokens() {
        return kvCapacity;
    }

    /** The scheduler's caps. */
    public SchedulerLimits limits() {
        return limits;
    }

    /** The deployment being emulated. */
    public Deployment deployment() {
        return deployment;
    }

    /** A request's progress; owned by the scheduler. */
    private static final class Sequence {
        final SequenceRequest request;
        final double arrivalSeconds;
        int prefilled;
        int generated;

        Sequence(SequenceRequest request, double arrivalSeconds) {
            this.request = request;
            this.arrivalSeconds = arrivalSeconds;
        }

        @Override
        public String toString() {
            return "request " + request.id() + " arrived at " + arrivalSeconds + " s";
        }
    }
}
