package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.server.market.MarketService;
import dev.flotilla.store.Database;
import dev.flotilla.store.EndpointRepo;
import dev.flotilla.store.MachineRepo;
import dev.flotilla.store.UsageRepo;
import dev.flotilla.store.WorkerRepo;
import dev.flotilla.store.WorkerRepo.State;
import dev.flotilla.store.WorkerRepo.Worker;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workers of serverless endpoints, as tenants and agents see them: {@code endpoint scale}, the
 * worker list, a worker's transitions and logs, usage; and the agent's side of the contract
 * (which workers its machine runs, and its reports of their state, load and logs). Every write is
 * one transaction under the worker's row lock; a worker that ends releases its rental at once
 * (and the {@link Reconciler} sweeps any release a crash interrupted).
 */
public final class ServingService {
    private static final Logger LOG = LoggerFactory.getLogger(ServingService.class);
    /** Log lines kept per worker: enough for a crash's stack trace and what led to it. */
    static final int LOG_KEEP = 2000;
    static final int MAX_LOG_LINES_PER_REPORT = 500;
    private static final Set<State> AGENT_STATES = Set.of(State.LOADING, State.BENCHMARKING, State.READY, State.STOPPED,
            State.FAILED);

    private final Database db;
    private final InstantSource clock;
    private final MarketService market;
    private final WorkerKeys keys;
    private final EndpointRepo endpoints = new EndpointRepo();
    private final WorkerRepo workers = new WorkerRepo();
    private final UsageRepo usage = new UsageRepo();
    private final MachineRepo machines = new MachineRepo();
    private volatile LongConsumer onChange = endpointId -> {};

    public ServingService(Database db, InstantSource clock, MarketService market, WorkerKeys keys) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.market = requireNonNull(market, "market is null");
        this.keys = requireNonNull(keys, "keys is null");
    }

    /** Called after a change that the gateway's view or the reconciler should see at once. */
    public void onChange(LongConsumer listener) {
        this.onChange = requireNonNull(listener, "listener is null");
    }

    /** Tells the gateway's view and the reconciler that an endpoint was created or deleted. */
    public void changed(long endpointId) {
        onChange.accept(endpointId);
    }

    // ---------------------------------------------------------------- tenants

    /** Sets the endpoint's desired worker count; the reconciler rents, starts or drains to match. */
    public EndpointRepo.Row scale(long tenantId, String name, Integer count) {
        if (count == null) {
            throw FlotillaException.invalid("workers", "workers (the desired number of workers) is required");
        }
        EndpointRepo.Row updated = db.inTransaction(c -> {
            EndpointRepo.Row e = endpoints.find(c, tenantId, name).orElseThrow(() -> FlotillaException.notFound("endpoint", name));
            // One writer for the desired count: a policy that acts owns it, else this call does.
            if (e.scaling().autoscaled()) {
                throw new FlotillaException(ErrorCode.CONFLICT, "policy", "endpoint '" + name + "' is scaled by its "
                        + e.scaling().policy() + " policy; to set the count yourself set policy to manual, or advisory to"
                        + " true to keep the policy's decisions visible without acting (PATCH /api/v1/endpoints/" + name
                        + ", flotilla endpoint update " + name + " --policy manual)");
            }
            if (count < e.minWorkers() || count > e.maxWorkers()) {
                throw FlotillaException.invalid("workers", "workers must be between the endpoint's min_workers ("
                        + e.minWorkers() + ") and max_workers (" + e.maxWorkers() + "), got " + count);
            }
            endpoints.setDesired(c, e.id(), count);
            return endpoints.findById(c, e.id()).orElseThrow();
        });
        onChange.accept(updated.id());
        return updated;
    }

    /** The endpoint's workers, newest first; ended ones too when {@code includeEnded}. */
    public List<Worker> workers(long tenantId, String endpointName, boolean includeEnded) {
        return db.inTransaction(c -> {
            EndpointRepo.Row e = endpoints.find(c, tenantId, endpointName)
                    .orElseThrow(() -> FlotillaException.notFound("endpoint", endpointName));
            return workers.ofEndpoint(c, e.id(), includeEnded);
        });
    }

    /** A worker with its transitions. */
    public record Detail(Worker worker, List<WorkerRepo.Event> events) {}

    public Detail worker(long tenantId, long workerId) {
        return db.inTransaction(c -> {
            Worker w = ownWorker(c, tenantId, workerId);
            return new Detail(w, workers.events(c, workerId));
        });
    }

    /** The newest {@code limit} lines of the worker's log, oldest first. */
    public List<WorkerRepo.LogLine> logs(long tenantId, long workerId, int limit) {
        if (limit < 1 || limit > LOG_KEEP) {
            throw FlotillaException.invalid("limit", "limit must be between 1 and " + LOG_KEEP + ", got " + limit);
        }
        return db.inTransaction(c -> {
            ownWorker(c, tenantId, workerId);
            return workers.log(c, workerId, limit);
        });
    }

    public List<UsageRepo.Summary> usage(long tenantId, Instant from, Instant to) {
        if (!from.isBefore(to)) {
            throw FlotillaException.invalid("from", "from (" + from + ") must be before to (" + to + ")");
        }
        return db.inTransaction(c -> usage.summary(c, tenantId, from, to));
    }

    private Worker ownWorker(java.sql.Connection c, long tenantId, long workerId) throws java.sql.SQLException {
        return workers.find(c, workerId).filter(w -> w.tenantId() == tenantId)
                .orElseThrow(() -> FlotillaException.notFound("worker", workerId));
    }

    // ---------------------------------------------------------------- agents

    /** What a machine's agent must run: desired {@code run} or {@code stop} (drain, then stop). */
    public record Assignment(Worker worker, String endpointId, String backend, String model, String desired, String key,
            Optional<Worker> resumedFrom) {}

    public List<Assignment> assignments(long hostId, long machineId) {
        Machine m = market.machineOf(hostId, machineId);
        return db.inTransaction(c -> {
            List<Assignment> out = new java.util.ArrayList<>();
            for (Worker w : workers.liveOnMachine(c, m.id())) {
                Optional<EndpointRepo.Row> e = w.endpointId().isPresent()
                        ? endpoints.findById(c, w.endpointId().get())
                        : Optional.empty();
                if (e.isEmpty()) {
                    continue; // endpoint deleted: the reconciler stops the worker; the agent stops what it does not see
                }
                Optional<Worker> parked = w.resumedFrom().isPresent() ? workers.find(c, w.resumedFrom().get())
                        : Optional.empty();
                out.add(new Assignment(w, Long.toString(e.get().id()), e.get().backend(), e.get().model(),
                        w.state() == State.DRAINING ? "stop" : "run", keys.encodedKeyOf(w.id()), parked));
            }
            return out;
        });
    }

    /** An agent's report on one worker; see {@link #report}. */
    public record Report(String state, String reason, String url, Double capacity, Double requestsPerSecond,
            Double tokensPerSecond, WorkerRepo.Load load, List<String> log) {}

    /**
     * Applies an agent's report: a transition (loading, benchmarking, ready, stopped, failed), the
     * load, new log lines. A worker that has ended answers 409 so the agent stops it; a draining
     * worker stays draining whatever the agent says until it reports stopped or failed.
     */
    public Worker report(long hostId, long workerId, Report r) {
        State reported = State.parse(r.state() == null ? "" : r.state())
                .filter(AGENT_STATES::contains)
                .orElseThrow(() -> FlotillaException.invalid("state", "state must be one of loading, benchmarking, ready,"
                        + " stopped, failed; got '" + r.state() + "'"));
        String reason = r.reason() == null || r.reason().isBlank() ? "reported by the agent" : r.reason().strip();
        String url = r.url() == null ? "" : checkUrl(r.url());
        requireNonNegative("capacity", r.capacity());
        requireNonNegative("requests_per_s", r.requestsPerSecond());
        requireNonNegative("tokens_per_s", r.tokensPerSecond());
        List<String> log = r.log() == null ? List.of() : r.log();
        if (log.size() > MAX_LOG_LINES_PER_REPORT) {
            throw FlotillaException.invalid("log", "a report carries at most " + MAX_LOG_LINES_PER_REPORT + " log lines, got "
                    + log.size());
        }
        Instant now = clock.instant();
        record Outcome(Worker before, Worker after) {}
        Outcome o = db.inTransaction(c -> {
            Worker w = workers.lock(c, workerId).orElseThrow(() -> FlotillaException.notFound("worker", workerId));
            machines.find(c, w.machineId()).filter(m -> m.hostId() == hostId)
                    .orElseThrow(() -> FlotillaException.notFound("worker", workerId)); // another host's worker
            if (w.state().ended()) {
                throw new FlotillaException(ErrorCode.CONFLICT, "worker_id", "worker " + workerId + " has ended ("
                        + w.state().wireName() + ": " + w.reason() + "); stop it");
            }
            if (!url.isEmpty() && !url.equals(w.url())) {
                workers.setUrl(c, w.id(), url);
            }
            State target = reported;
            if (w.state() == State.DRAINING && (reported == State.LOADING || reported == State.BENCHMARKING
                    || reported == State.READY)) {
                target = State.DRAINING; // the agent has not seen the drain yet: keep it
            }
            if (target == State.READY && w.state() != State.READY) {
                String at = url.isEmpty() ? w.url() : url;
                if (at.isEmpty()) {
                    throw FlotillaException.invalid("url", "a worker reported ready needs the url the gateway reaches it at");
                }
                if (r.capacity() == null || !(r.capacity() > 0)) {
                    throw FlotillaException.invalid("capacity", "a worker reported ready needs its benchmarked capacity"
                            + " (concurrent requests, > 0)");
                }
                workers.setBenchmark(c, w.id(), at, r.capacity(), orZero(r.requestsPerSecond()), orZero(r.tokensPerSecond()));
            }
            if (target != w.state()) {
                workers.transition(c, w.id(), target, reason, now);
            }
            if (r.load() != null) {
                workers.setLoad(c, w.id(), r.load(), now);
            } else {
                workers.touch(c, w.id(), now);
            }
            if (!log.isEmpty()) {
                workers.appendLog(c, w.id(), log, now, LOG_KEEP);
            }
            return new Outcome(w, workers.find(c, w.id()).orElseThrow());
        });
        Worker after = o.after();
        if (after.state() != o.before().state()) {
            LOG.info("worker {} of {}: {} -> {} ({})", workerId, after.endpointName(), o.before().state().wireName(),
                    after.state().wireName(), reason);
            if (after.state() == State.READY && o.before().readyAt().isEmpty()) {
                reportStart(hostId, after, true);
            } else if (after.state() == State.FAILED && o.before().readyAt().isEmpty()) {
                reportStart(hostId, after, false);
            }
            if (after.state().ended()) {
                release(after);
            }
            after.endpointId().ifPresent(onChange::accept);
        }
        return after;
    }

    /**
     * Ends the rental of an ended worker; already ended is fine (idempotent). A worker drained to
     * be kept cold has its rental stopped instead (storage billed, GPUs freed) and becomes parked.
     */
    void release(Worker w) {
        if (w.cold().equals(WorkerRepo.Cold.PARKING) && w.state() == State.STOPPED && park(w)) {
            return;
        }
        try {
            market.destroy(w.tenantId(), w.rentalId());
        } catch (FlotillaException e) {
            if (e.code() != ErrorCode.CONFLICT && e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
    }

    private boolean park(Worker w) {
        try {
            market.stop(w.tenantId(), w.rentalId());
        } catch (FlotillaException e) {
            LOG.info("worker {} of {} not kept cold: rental {} could not be stopped ({}); releasing it", w.id(),
                    w.endpointName(), w.rentalId(), e.getMessage());
            db.inTransaction(c -> {
                workers.setCold(c, w.id(), WorkerRepo.Cold.DROPPED);
                return null;
            });
            return false;
        }
        db.inTransaction(c -> {
            workers.setCold(c, w.id(), WorkerRepo.Cold.PARKED);
            workers.appendLog(c, w.id(), List.of("parked cold: rental " + w.rentalId() + " stopped (storage billed only),"
                    + " kept for a faster resume"), clock.instant(), 200);
            return null;
        });
        LOG.info("worker {} of {} parked cold (rental {} stopped)", w.id(), w.endpointName(), w.rentalId());
        return true;
    }

    private void reportStart(long hostId, Worker w, boolean ok) {
        try {
            market.reportStart(hostId, w.rentalId(), ok);
        } catch (RuntimeException e) {
            // reliability bookkeeping must never undo the worker's transition
            LOG.warn("could not record the start of rental {} for worker {}: {}", w.rentalId(), w.id(), e.getMessage());
        }
    }

    /** Moves a live worker to {@code state} (reconciler decisions); false when it changed meanwhile. */
    boolean transition(long workerId, Set<State> from, State state, String reason) {
        return transition(workerId, from, state, reason, Optional.empty());
    }

    /**
     * As above, also setting the worker's cold-pool mark in the same transaction ({@code parking}:
     * its rental is stopped instead of released once it has drained), so no report in between can
     * release what was meant to be kept.
     */
    boolean transition(long workerId, Set<State> from, State state, String reason, Optional<String> cold) {
        Instant now = clock.instant();
        Optional<Worker> changed = db.inTransaction(c -> {
            Worker w = workers.lock(c, workerId).orElseThrow();
            if (!from.contains(w.state())) {
                return Optional.<Worker>empty();
            }
            if (cold.isPresent()) {
                workers.setCold(c, workerId, cold.get());
            }
            workers.transition(c, workerId, state, reason, now);
            return workers.find(c, workerId);
        });
        changed.ifPresent(w -> {
            LOG.info("worker {} of {}: -> {} ({})", workerId, w.endpointName(), state.wireName(), reason);
            if (w.state().ended()) {
                release(w);
            }
            w.endpointId().ifPresent(onChange::accept);
        });
        return changed.isPresent();
    }

    private static String checkUrl(String url) {
        try {
            URI u = new URI(url.strip());
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null || u.getPort() == 0) {
                throw new URISyntaxException(url, "not http(s)://host:port");
            }
            return u.toString();
        } catch (URISyntaxException e) {
            throw FlotillaException.invalid("url", "url must be http(s)://host:port where the gateway reaches the worker,"
                    + " got '" + url + "'");
        }
    }

    private static void requireNonNegative(String field, Double v) {
        if (v != null && !(v >= 0 && Double.isFinite(v))) {
            throw FlotillaException.invalid(field, field + " must be a finite number >= 0, got " + v);
        }
    }

    private static double orZero(Double v) {
        return v == null ? 0 : v;
    }

    public static List<Integer> gpuIndexes(String csv) {
        return csv.isBlank() ? List.of() : Arrays.stream(csv.split(",")).map(String::strip).map(Integer::valueOf).toList();
    }
}
