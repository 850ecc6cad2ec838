package dev.flotilla.server.endpoint;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.engine.ModelCatalog;
import dev.flotilla.market.offer.RentalType;
import dev.flotilla.market.query.OfferQuery;
import dev.flotilla.market.query.SearchContext;
import dev.flotilla.routing.Routers;
import dev.flotilla.server.market.OfferCache;
import dev.flotilla.store.Database;
import dev.flotilla.store.EndpointRepo;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Serverless endpoints: a tenant declares one (name = the {@code model} its clients send, a
 * backend, the hardware requirement as an offer query, scaling bounds and a routing strategy).
 * Creation validates everything up front, including that the market has at least one offer that
 * meets the requirement, so nothing is created that could never run. Workers, scaling and the
 * gateway act on these rows (docs/serving-plan.md).
 */
public final class EndpointService {
    /** Backends an endpoint may run: built-ins and the agent's templates for external servers. */
    public static final Set<String> BACKENDS = Set.of("emulator", "embeddings", "vllm", "sglang", "llama-server", "tgi");
    static final String EMBEDDING_MODEL = "all-MiniLM-L6-v2";

    private final Database db;
    private final InstantSource clock;
    private final OfferCache offers;
    private final EndpointRepo endpoints = new EndpointRepo();

    public EndpointService(Database db, InstantSource clock, OfferCache offers) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.offers = requireNonNull(offers, "offers is null");
    }

    /** Scaling policies an endpoint may name; {@code manual} leaves the count to the scale call. */
    public static final List<String> POLICIES = List.of("manual", "reactive", "predictive");

    /** What a tenant asks for; validated by {@link #create}. */
    public record Spec(String name, String backend, String model, String requirement, String capacity, int minWorkers,
            int maxWorkers, int coldWorkers, long maxQueueMs, long inactivityTimeoutS, String routing,
            EndpointRepo.Scaling scaling, Integer initialWorkers) {}

    /**
     * The settings a tenant may change after creation, each empty to keep the current value. The
     * backend, model, requirement and capacity type are not among them: they decide which workers
     * exist, so changing them means a new endpoint.
     */
    public record Update(Optional<Integer> minWorkers, Optional<Integer> maxWorkers, Optional<Integer> coldWorkers,
            Optional<Long> maxQueueMs, Optional<Long> inactivityTimeoutS, Optional<String> routing,
            Optional<String> policy, Optional<Boolean> advisory, Optional<Double> minLoad, Optional<Double> targetUtil,
            Optional<Double> coldMult, Optional<Long> targetQueueMs) {}

    public EndpointRepo.Row create(long tenantId, Spec s) {
        // No "/" (it would break /api/v1/endpoints/{name}); ":" or "-" stand in for an org prefix.
        if (s.name() == null || !s.name().matches("[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")) {
            throw FlotillaException.invalid("name", "name must be 1-100 letters, digits or ._:- (the model clients send; no /),"
                    + " got '" + s.name() + "'");
        }
        String backend = s.backend() == null ? "" : s.backend().toLowerCase(Locale.ROOT);
        if (!BACKENDS.contains(backend)) {
            throw FlotillaException.invalid("backend", "backend must be one of " + BACKENDS.stream().sorted().toList()
                    + ", got '" + s.backend() + "'");
        }
        if (s.model() == null || s.model().isBlank() || s.model().length() > 200) {
            throw FlotillaException.invalid("model", "model (what the backend loads) must be 1-200 characters");
        }
        if (backend.equals("emulator")) {
            ModelCatalog.defaultCatalog().get(s.model());
        }
        if (backend.equals("embeddings") && !s.model().equalsIgnoreCase(EMBEDDING_MODEL)) {
            throw FlotillaException.invalid("model", "the embeddings backend serves " + EMBEDDING_MODEL + ", got '"
                    + s.model() + "'");
        }
        String capacity = s.capacity() == null ? "interruptible" : s.capacity().toLowerCase(Locale.ROOT);
        if (!capacity.equals("interruptible") && !capacity.equals("on-demand")) {
            throw FlotillaException.invalid("capacity", "capacity must be interruptible (with on-demand fallback) or"
                    + " on-demand, got '" + s.capacity() + "'");
        }
        String routing = s.routing() == null ? Routers.DEFAULT : s.routing();
        validateSettings(s.minWorkers(), s.maxWorkers(), s.coldWorkers(), s.maxQueueMs(), s.inactivityTimeoutS(), routing,
                s.scaling());
        int initial = s.initialWorkers() == null ? s.minWorkers() : s.initialWorkers();
        if (initial < s.minWorkers() || initial > s.maxWorkers()) {
            throw FlotillaException.invalid("initial_workers", "initial_workers must be between min_workers ("
                    + s.minWorkers() + ") and max_workers (" + s.maxWorkers() + "), got " + initial);
        }
        String requirement = s.requirement() == null ? "" : s.requirement().trim();
        OfferQuery query = OfferQuery.parse(requirement, true);
        RentalType type = capacity.equals("on-demand") ? RentalType.ON_DEMAND : RentalType.BID;
        if (offers.count(query, SearchContext.of(type)) == 0) {
            throw new FlotillaException(ErrorCode.INVALID_ARGUMENT, "requirement", "no offer in the market meets the"
                    + " requirement '" + query + "'; relax it (search with: flotilla search offers '" + requirement + "')");
        }
        return db.inTransaction(c -> {
            if (endpoints.find(c, tenantId, s.name()).isPresent()) {
                throw new FlotillaException(ErrorCode.CONFLICT, "name", "an endpoint named '" + s.name() + "' exists already");
            }
            long id = endpoints.insert(c, new EndpointRepo.Row(0, tenantId, s.name(), backend, s.model(), query.toString(),
                    capacity, s.minWorkers(), s.maxWorkers(), s.coldWorkers(), initial, s.maxQueueMs(),
                    s.inactivityTimeoutS(), routing, clock.instant(), "", s.scaling(), "", 0));
            return endpoints.find(c, tenantId, s.name()).filter(r -> r.id() == id).orElseThrow();
        });
    }

    /** Applies {@code u} over the endpoint's current settings, validated together; one transaction. */
    public EndpointRepo.Row update(long tenantId, String name, Update u) {
        return db.inTransaction(c -> {
            EndpointRepo.Row e = endpoints.find(c, tenantId, name).orElseThrow(() -> FlotillaException.notFound("endpoint", name));
            EndpointRepo.Scaling was = e.scaling();
            EndpointRepo.Scaling scaling = new EndpointRepo.Scaling(u.policy().orElse(was.policy()),
                    u.advisory().orElse(was.advisory()), u.minLoad().orElse(was.minLoad()),
                    u.targetUtil().orElse(was.targetUtil()), u.coldMult().orElse(was.coldMult()),
                    u.targetQueueMs().orElse(was.targetQueueMs()));
            EndpointRepo.Row next = new EndpointRepo.Row(e.id(), e.tenantId(), e.name(), e.backend(), e.model(),
                    e.requirement(), e.capacity(), u.minWorkers().orElse(e.minWorkers()),
                    u.maxWorkers().orElse(e.maxWorkers()), u.coldWorkers().orElse(e.coldWorkers()), e.desiredWorkers(),
                    u.maxQueueMs().orElse(e.maxQueueMs()), u.inactivityTimeoutS().orElse(e.inactivityTimeoutS()),
                    u.routing().orElse(e.routing()), e.createdAt(), e.scaleNote(), scaling, e.scaleDecision(),
                    e.desiredCold());
            validateSettings(next.minWorkers(), next.maxWorkers(), next.coldWorkers(), next.maxQueueMs(),
                    next.inactivityTimeoutS(), next.routing(), scaling);
            endpoints.updateSettings(c, next);
            return endpoints.findById(c, e.id()).orElseThrow();
        });
    }

    /**
     * Checks the settings create and update share, each error naming its field: the bounds the
     * API allows, then the scaling settings as the policies read them (which reject contradictions
     * such as a target queue time above the maximum).
     */
    private static void validateSettings(int minWorkers, int maxWorkers, int coldWorkers, long maxQueueMs,
            long inactivityTimeoutS, String routing, EndpointRepo.Scaling scaling) {
        if (!Routers.NAMES.contains(routing)) {
            throw FlotillaException.invalid("routing", "routing must be one of " + Routers.NAMES + ", got '" + routing + "'");
        }
        if (minWorkers < 0 || maxWorkers < 1 || maxWorkers > 100 || minWorkers > maxWorkers) {
            throw FlotillaException.invalid("min_workers", "need 0 <= min_workers <= max_workers, 1 <= max_workers <= 100;"
                    + " got min " + minWorkers + ", max " + maxWorkers);
        }
        if (coldWorkers < 0 || coldWorkers > maxWorkers) {
            throw FlotillaException.invalid("cold_workers", "cold_workers must be between 0 and max_workers ("
                    + maxWorkers + "), got " + coldWorkers);
        }
        if (maxQueueMs < 0 || maxQueueMs > 600_000) {
            throw FlotillaException.invalid("max_queue_ms", "max_queue_ms must be between 0 and 600000, got " + maxQueueMs);
        }
        if (inactivityTimeoutS < 0 || inactivityTimeoutS > 7 * 86_400) {
            throw FlotillaException.invalid("inactivity_timeout_s", "inactivity_timeout_s must be between 0 and 604800, got "
                    + inactivityTimeoutS);
        }
        if (!POLICIES.contains(scaling.policy())) {
            throw FlotillaException.invalid("policy", "policy must be one of " + POLICIES + ", got '" + scaling.policy() + "'");
        }
        if (scaling.targetQueueMs() < 1) {
            throw FlotillaException.invalid("target_queue_ms", "target_queue_ms must be >= 1, got " + scaling.targetQueueMs());
        }
        EndpointScaling.settings(minWorkers, maxWorkers, coldWorkers, maxQueueMs, inactivityTimeoutS, scaling);
    }

    public List<EndpointRepo.Row> list(long tenantId) {
        return db.inTransaction(c -> endpoints.list(c, tenantId));
    }

    public EndpointRepo.Row get(long tenantId, String name) {
        return db.inTransaction(c -> endpoints.find(c, tenantId, name))
                .orElseThrow(() -> FlotillaException.notFound("endpoint", name));
    }

    public void delete(long tenantId, String name) {
        boolean deleted = db.inTransaction(c -> endpoints.delete(c, tenantId, name));
        if (!deleted) {
            throw FlotillaException.notFound("endpoint", name);
        }
    }
}
