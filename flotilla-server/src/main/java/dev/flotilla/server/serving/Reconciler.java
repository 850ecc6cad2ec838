package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import dev.flotilla.market.query.OfferQuery;
import dev.flotilla.market.query.SearchContext;
import dev.flotilla.market.query.SortOrder;
import dev.flotilla.market.rental.Rental;
import dev.flotilla.market.rental.RentalState;
import dev.flotilla.server.market.MarketService;
import dev.flotilla.store.Database;
import dev.flotilla.store.EndpointRepo;
import dev.flotilla.store.MachineRepo;
import dev.flotilla.store.RentalRepo;
import dev.flotilla.store.WorkerRepo;
import dev.flotilla.store.WorkerRepo.State;
import dev.flotilla.store.WorkerRepo.Worker;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes each endpoint's workers match its desired count, one idempotent pass at a time: every
 * decision is read from the database at the start of the pass, so running a pass twice, or after
 * a crash in the middle of one, does what is still missing and nothing twice.
 *
 * <p>A pass: (1) ends workers whose ground went away (endpoint deleted, rental preempted or
 * stopped, agent silent past the heartbeat timeout, start or drain that took too long);
 * (2) releases the rentals of ended workers that still hold one; (3) per endpoint, rents and
 * creates workers where there are too few ({@link Placement}: interruptible first where allowed,
 * spread over machines and countries, on-demand as the fallback) and drains where there are too
 * many ({@link ScaleDown}); (4) makes before it breaks: an interruptible endpoint's on-demand
 * fallback is replaced by cheaper interruptible capacity once the preemption back-off has passed,
 * the new worker started first and the old one drained only when the new one is ready. What stands
 * in the way of the desired count is written to the endpoint's scale note, shown by
 * {@code flotilla endpoint show}.
 *
 * <p>A worker's row is inserted in its rental's transaction, so a crash leaves both or neither.
 */
public final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    private static final Set<State> STARTING = EnumSet.of(State.CREATING, State.LOADING, State.BENCHMARKING);
    private static final Set<State> ACTIVE = EnumSet.of(State.CREATING, State.LOADING, State.BENCHMARKING, State.READY);
    /**
     * After one of its interruptible workers was preempted, an endpoint's replacements go on demand
     * for this long: the capacity that preempted it is likely to stay, and flapping between
     * interruptible rentals costs a cold start each time.
     */
    static final Duration PREEMPTION_BACKOFF = Duration.ofMinutes(10);
    /** Grace after the agent's own drain timeout before the control plane stops waiting. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(30);

    private final Database db;
    private final InstantSource clock;
    private final MarketService market;
    private final ServingService serving;
    private final Duration heartbeatTimeout;
    private final Duration startTimeout;
    private final Duration drainTimeout;
    private final EndpointRepo endpoints = new EndpointRepo();
    private final WorkerRepo workers = new WorkerRepo();
    private final RentalRepo rentals = new RentalRepo();
    private final MachineRepo machines = new MachineRepo();

    public Reconciler(Database db, InstantSource clock, MarketService market, ServingService serving,
            Duration heartbeatTimeout, Duration startTimeout, Duration drainTimeout) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.market = requireNonNull(market, "market is null");
        this.serving = requireNonNull(serving, "serving is null");
        this.heartbeatTimeout = requireNonNull(heartbeatTimeout, "heartbeatTimeout is null");
        this.startTimeout = requireNonNull(startTimeout, "startTimeout is null");
        this.drainTimeout = requireNonNull(drainTimeout, "drainTimeout is null");
    }

    /** What one pass did, for logs and tests. */
    public record Pass(int created, int drained, int ended, int released) {}

    public synchronized Pass reconcile() {
        Instant now = clock.instant();
        record Snapshot(List<EndpointRepo.Row> endpoints, List<Worker> live, Map<Long, Rental> rentals,
                Set<Long> liveMachines, List<Worker> toRelease, Set<Long> recentlyPreempted, List<Worker> parked) {}
        Snapshot s = db.inTransaction(c -> {
            List<Worker> live = workers.live(c);
            Map<Long, Rental> byId = new java.util.HashMap<>();
            for (Worker w : live) {
                rentals.find(c, w.rentalId()).ifPresent(r -> byId.put(w.id(), r));
            }
            List<Worker> parked = workers.parked(c);
            for (Worker w : parked) {
                rentals.find(c, w.rentalId()).ifPresent(r -> byId.put(w.id(), r));
            }
            return new Snapshot(endpoints.all(c), live, byId, machines.heartbeatSince(c, now.minus(heartbeatTimeout)),
                    workers.endedWithLiveRental(c), workers.endpointsPreemptedSince(c, now.minus(PREEMPTION_BACKOFF)),
                    parked);
        });
        int ended = 0;
        for (Worker w : s.live()) {
            Optional<String> why = groundGone(w, s.rentals().get(w.id()), s.liveMachines(), now);
            if (why.isPresent()) {
                State to = why.get().startsWith("preempted") ? State.PREEMPTED
                        : why.get().startsWith("endpoint") || w.state() == State.DRAINING ? State.STOPPED : State.FAILED;
                if (serving.transition(w.id(), EnumSet.of(w.state()), to, why.get())) {
                    ended++;
                }
            }
        }
        int released = 0;
        for (Worker w : s.toRelease()) {
            serving.release(w);
            released++;
        }
        int created = 0;
        int drained = 0;
        if (ended > 0) {
            s = new Snapshot(s.endpoints(), db.inTransaction(workers::live), s.rentals(), s.liveMachines(), List.of(),
                    db.inTransaction(c -> workers.endpointsPreemptedSince(c, now.minus(PREEMPTION_BACKOFF))), s.parked());
        }
        Map<Long, List<Worker>> byEndpoint = s.live().stream().filter(w -> ACTIVE.contains(w.state())
                && w.endpointId().isPresent()).collect(Collectors.groupingBy(w -> w.endpointId().get()));
        Map<Long, List<Worker>> parkedBy = new java.util.HashMap<>();
        Set<Long> endpointIds = s.endpoints().stream().map(EndpointRepo.Row::id).collect(Collectors.toSet());
        for (Worker p : s.parked()) {
            Rental r = s.rentals().get(p.id());
            if (p.endpointId().filter(endpointIds::contains).isEmpty() || r == null || r.state() != RentalState.STOPPED) {
                drop(p, p.endpointId().isEmpty() ? "its endpoint was deleted"
                        : "its rental is " + (r == null ? "gone" : r.state().wireName()));
            } else {
                parkedBy.computeIfAbsent(p.endpointId().get(), k -> new ArrayList<>()).add(p);
            }
        }
        for (EndpointRepo.Row e : s.endpoints()) {
            List<Worker> active = new ArrayList<>(byEndpoint.getOrDefault(e.id(), List.of()));
            drained += retireReplaced(active);
            // A replacement still starting is capacity on its way, not part of the count, as long
            // as the worker it replaces is still there (else it simply is a worker).
            Set<Long> activeIds = active.stream().map(Worker::id).collect(Collectors.toSet());
            List<Worker> incoming = active.stream().filter(w -> w.state() != State.READY
                    && w.replaces().filter(activeIds::contains).isPresent()).toList();
            List<Worker> counted = active.stream().filter(w -> !incoming.contains(w)).toList();
            int missing = e.desiredWorkers() - counted.size();
            boolean preempted = s.recentlyPreempted().contains(e.id());
            String note = "";
            List<Worker> parked = new ArrayList<>(parkedBy.getOrDefault(e.id(), List.of()));
            if (missing > 0) {
                int resumed = resume(e, parked, missing, s.liveMachines());
                created += resumed;
                if (missing > resumed) {
                    Growth g = grow(e, active, missing - resumed, s.liveMachines(), preempted);
                    created += g.created();
                    note = g.note();
                }
            } else if (missing < 0) {
                long parking = s.live().stream().filter(w -> w.state() == State.DRAINING && w.cold().equals(WorkerRepo.Cold.PARKING)
                        && w.endpointId().filter(id -> id == e.id()).isPresent()).count();
                int cold = parked.size() + (int) parking;
                for (Worker v : ScaleDown.victims(counted, -missing)) {
                    // Only a worker that finished starting is worth keeping cold: its benchmark is what a
                    // resume reuses.
                    boolean keep = cold < coldWanted(e) && v.state() == State.READY;
                    if (serving.transition(v.id(), ACTIVE, State.DRAINING, "scaled down to " + e.desiredWorkers()
                            + " worker(s)" + (keep ? "; kept cold (" + (cold + 1) + " of " + coldWanted(e)
                            + "): its rental is stopped, not released, once it has drained" : ""),
                            keep ? Optional.of(WorkerRepo.Cold.PARKING) : Optional.empty())) {
                        drained++;
                        if (keep) {
                            cold++;
                        }
                    }
                }
            } else if (incoming.isEmpty() && !preempted) {
                created += rebalance(e, counted, s.liveMachines());
            }
            // More parked than the policy wants (its need for a reserve fell): release the oldest.
            for (int i = 0; i < parked.size() - coldWanted(e); i++) {
                drop(parked.get(i), "the endpoint wants " + coldWanted(e) + " cold worker(s)");
            }
            String finalNote = note;
            if (!finalNote.equals(e.scaleNote())) {
                db.inTransaction(c -> {
                    endpoints.setScaleNote(c, e.id(), finalNote);
                    return null;
                });
            }
        }
        Pass pass = new Pass(created, drained, ended, released);
        if (created + drained + ended + released > 0) {
            LOG.info("reconciled: {} worker(s) created, {} draining, {} ended, {} rental(s) released", created, drained,
                    ended, released);
        }
        return pass;
    }

    /**
     * Starts parked (cold) workers' rentals again for new workers, oldest first, on machines whose
     * agent is online; the new worker reuses the parked one's benchmark (the agent skips it), so a
     * resume is a start of the model server and a health check, not a rental, start and benchmark.
     * A rental that cannot start (its slice was taken meanwhile) is released. Answers how many
     * were resumed; they leave {@code parked}.
     */
    private int resume(EndpointRepo.Row e, List<Worker> parked, int wanted, Set<Long> liveMachines) {
        int resumed = 0;
        for (Worker p : List.copyOf(parked)) {
            if (resumed == wanted) {
                break;
            }
            if (!liveMachines.contains(p.machineId())) {
                continue;
            }
            parked.remove(p);
            Rental r;
            try {
                r = market.start(p.tenantId(), p.rentalId());
            } catch (FlotillaException ex) {
                drop(p, "its rental could not start again: " + ex.getMessage());
                continue;
            }
            Instant now = clock.instant();
            long id = db.inTransaction(c -> {
                long n = workers.insert(c, e.id(), e.name(), e.tenantId(), r.id(), r.machineId(), p.gpuModelId(), gpuIndexes(r),
                        p.country(), p.interruptible(), r.pricePerHour().micros(), "resumed cold worker " + p.id()
                                + ": rental " + r.id() + " started again at " + r.pricePerHour() + "/h; its benchmark"
                                + " (capacity " + p.capacity() + ") is reused; waiting for the agent", now, Optional.empty());
                workers.setResumedFrom(c, n, p.id());
                workers.setCold(c, p.id(), WorkerRepo.Cold.RESUMED);
                return n;
            });
            LOG.info("endpoint {}: worker {} resumes cold worker {} on rental {}", e.name(), id, p.id(), r.id());
            resumed++;
        }
        return resumed;
    }

    /** The rental's GPU indexes as the worker row keeps them, e.g. {@code 0,1}. */
    private static String gpuIndexes(Rental r) {
        int first = r.firstGpu().orElse(0);
        return java.util.stream.IntStream.range(first, first + r.numGpus()).mapToObj(Integer::toString)
                .collect(Collectors.joining(","));
    }

    /**
     * Cold workers the endpoint keeps: its policy's number when a policy acts, else the
     * {@code cold_workers} setting as a fixed reserve.
     */
    private static int coldWanted(EndpointRepo.Row e) {
        return Math.min(e.coldWorkers(), e.scaling().autoscaled() ? e.desiredCold() : e.coldWorkers());
    }

    /** Releases a parked worker's rental: the cold pool no longer holds it. */
    private void drop(Worker p, String why) {
        db.inTransaction(c -> {
            workers.setCold(c, p.id(), WorkerRepo.Cold.DROPPED);
            return null;
        });
        LOG.info("cold worker {} of {} dropped: {}", p.id(), p.endpointName(), why);
        serving.release(p);
    }

    /**
     * Make before break, second half: a replacement that became ready retires the worker it
     * replaces (drained, so its requests finish). Answers how many were drained; they leave
     * {@code active}.
     */
    private int retireReplaced(List<Worker> active) {
        int drained = 0;
        for (Worker w : List.copyOf(active)) {
            if (w.state() != State.READY || w.replaces().isEmpty()) {
                continue;
            }
            long old = w.replaces().get();
            Optional<Worker> replaced = active.stream().filter(o -> o.id() == old).findFirst();
            if (replaced.isPresent() && serving.transition(old, ACTIVE, State.DRAINING, "replaced by worker " + w.id()
                    + " (" + (w.interruptible() ? "interruptible" : "on-demand") + " at "
                    + dev.flotilla.core.Money.ofMicros(w.pricePerHourMicros()) + "/h), which is ready")) {
                active.remove(replaced.get());
                drained++;
            }
        }
        return drained;
    }

    /**
     * Make before break, first half: an endpoint that allows interruptible capacity but runs an
     * on-demand worker (the fallback after a preemption, or when no interruptible offer was free)
     * goes back once the back-off has passed and an interruptible offer is cheaper: a replacement
     * is started first, and the on-demand worker drains only when the replacement is ready
     * ({@link #retireReplaced}). One replacement at a time, so the endpoint never runs short.
     */
    private int rebalance(EndpointRepo.Row e, List<Worker> counted, Set<Long> liveMachines) {
        if (!e.capacity().equals("interruptible") || counted.stream().anyMatch(w -> w.state() != State.READY)) {
            return 0;
        }
        Optional<Worker> onDemand = counted.stream().filter(w -> !w.interruptible())
                .max(java.util.Comparator.comparingLong(Worker::pricePerHourMicros));
        if (onDemand.isEmpty()) {
            return 0;
        }
        OfferQuery query = OfferQuery.parse(e.requirement(), true);
        List<Offer> bid = market.offers().search(query, SortOrder.DEFAULT, 1000, SearchContext.of(RentalType.BID));
        List<Placement.Existing> existing = counted.stream().filter(w -> w.id() != onDemand.get().id())
                .map(w -> new Placement.Existing(w.machineId(), w.country())).toList();
        for (Placement.Choice choice : Placement.choices(bid, List.of(), true, liveMachines, existing)) {
            if (choice.pricePerHour().micros() >= onDemand.get().pricePerHourMicros()) {
                continue;
            }
            try {
                Worker w = start(e, choice, Optional.of(onDemand.get().id()));
                LOG.info("endpoint {}: worker {} ({} at {}/h) replaces on-demand worker {} ({}/h) once ready", e.name(),
                        w.id(), choice.type().wireName(), choice.pricePerHour(), onDemand.get().id(),
                        dev.flotilla.core.Money.ofMicros(onDemand.get().pricePerHourMicros()));
                return 1;
            } catch (FlotillaException ex) {
                LOG.debug("offer {} for {} not rented: {}", choice.offer().id(), e.name(), ex.getMessage());
            }
        }
        return 0;
    }

    private Optional<String> groundGone(Worker w, Rental rental, Set<Long> liveMachines, Instant now) {
        if (w.endpointId().isEmpty()) {
            return Optional.of("endpoint " + w.endpointName() + " was deleted");
        }
        if (rental == null || rental.state() == RentalState.ENDED || rental.state() == RentalState.STOPPED) {
            return Optional.of("rental " + w.rentalId() + " is " + (rental == null ? "gone" : rental.state().wireName()
                    + " (" + rental.stateReason() + ")"));
        }
        if (rental.state() == RentalState.PREEMPTED) {
            return Optional.of("preempted: " + rental.stateReason());
        }
        if (!liveMachines.contains(w.machineId())) {
            return Optional.of("the agent on machine " + w.machineId() + " has not heartbeated for "
                    + heartbeatTimeout.toSeconds() + " s");
        }
        if (STARTING.contains(w.state()) && Duration.between(w.createdAt(), now).compareTo(startTimeout) > 0) {
            return Optional.of("did not become ready within " + startTimeout.toSeconds() + " s (last state "
                    + w.state().wireName() + ": " + w.reason() + ")");
        }
        if (w.state() == State.DRAINING && Duration.between(w.stateSince(), now).compareTo(drainTimeout.plus(DRAIN_GRACE)) > 0) {
            return Optional.of("drain did not finish within " + drainTimeout.plus(DRAIN_GRACE).toSeconds() + " s; stopped");
        }
        return Optional.empty();
    }

    private record Growth(int created, String note) {}

    private Growth grow(EndpointRepo.Row e, List<Worker> active, int missing, Set<Long> liveMachines,
            boolean recentlyPreempted) {
        OfferQuery query = OfferQuery.parse(e.requirement(), true);
        boolean interruptible = e.capacity().equals("interruptible") && !recentlyPreempted;
        List<Placement.Existing> existing = new ArrayList<>(active.stream()
                .map(w -> new Placement.Existing(w.machineId(), w.country())).toList());
        int created = 0;
        String note = "";
        while (created < missing) {
            List<Offer> bid = interruptible
                    ? market.offers().search(query, SortOrder.DEFAULT, 1000, SearchContext.of(RentalType.BID))
                    : List.of();
            List<Offer> onDemand = market.offers().search(query, SortOrder.DEFAULT, 1000,
                    SearchContext.of(RentalType.ON_DEMAND));
            List<Placement.Choice> choices = Placement.choices(bid, onDemand, interruptible, liveMachines, existing);
            if (choices.isEmpty()) {
                note = "waiting for capacity: no offer meeting '" + e.requirement() + "' is free on a machine whose agent"
                        + " is online (" + (missing - created) + " worker(s) short)";
                break;
            }
            Optional<Worker> w = Optional.empty();
            for (Placement.Choice choice : choices) {
                try {
                    w = Optional.of(start(e, choice, Optional.empty()));
                    break;
                } catch (FlotillaException ex) {
                    if (ex.code() == ErrorCode.INSUFFICIENT_CREDIT) {
                        return new Growth(created, "cannot rent: " + ex.getMessage());
                    }
                    // taken meanwhile, or a bid below a changed minimum: try the next choice
                    LOG.debug("offer {} for {} not rented: {}", choice.offer().id(), e.name(), ex.getMessage());
                }
            }
            if (w.isEmpty()) {
                note = "every matching offer was taken while renting; retrying at the next pass";
                break;
            }
            existing.add(new Placement.Existing(w.get().machineId(), w.get().country()));
            created++;
        }
        return new Growth(created, note);
    }

    private Worker start(EndpointRepo.Row e, Placement.Choice choice, Optional<Long> replaces) {
        Instant now = clock.instant();
        // The worker row lands in the rental's own transaction: a crash cannot leave one without the other.
        return market.rent(e.tenantId(), new MarketService.RentRequest(choice.offer().id(), choice.type(), choice.bid(),
                java.util.OptionalInt.empty(), java.util.OptionalInt.empty()), (c, r) -> {
                    long id = workers.insert(c, e.id(), e.name(), e.tenantId(), r.id(), r.machineId(),
                            choice.offer().gpuModelId(), gpuIndexes(r), choice.offer().country(), choice.type() == RentalType.BID,
                            r.pricePerHour().micros(), "rented " + r.numGpus() + "x " + choice.offer().gpuName() + " on machine "
                                    + r.machineId() + " (" + choice.type().wireName() + " rental " + r.id() + " at "
                                    + r.pricePerHour() + "/h)" + replaces.map(old -> " to replace worker " + old).orElse("")
                                    + "; waiting for the agent", now, replaces);
                    return workers.find(c, id).orElseThrow();
                }).result();
    }
}
