package dev.flotilla.server.market;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import dev.flotilla.market.billing.Bandwidth;
import dev.flotilla.market.billing.Meter;
import dev.flotilla.market.billing.Posting;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.market.machine.MaintenanceWindow;
import dev.flotilla.market.machine.ReliabilityStats;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import dev.flotilla.market.rental.Hold;
import dev.flotilla.market.rental.Priority;
import dev.flotilla.market.rental.Rental;
import dev.flotilla.market.rental.RentalState;
import dev.flotilla.market.rental.SliceAllocator;
import dev.flotilla.server.auth.ApiKeys;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.store.Database;
import dev.flotilla.store.EventRepo;
import dev.flotilla.store.LedgerRepo;
import dev.flotilla.store.MachineRepo;
import dev.flotilla.store.Principal;
import dev.flotilla.store.PrincipalRepo;
import dev.flotilla.store.RentalRepo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The marketplace's operations: identity, machines, search, rentals with preemption, metering and
 * the ledger. Each operation is one database transaction; the decisions inside it come from the
 * pure market module ({@link SliceAllocator}, {@link Meter}, {@link Posting}). Time comes from the
 * injected {@link InstantSource}, so tests drive metering by moving a fake clock.
 *
 * <p>Locks are always taken in the order tenant, machine, rental, so concurrent operations cannot
 * deadlock; every allocation on a machine holds that machine's row lock, which is what makes
 * double allocation of a GPU impossible.
 */
public final class MarketService {
    private static final Pattern DRIVER = Pattern.compile("\\d{1,4}(\\.\\d{1,4}){0,2}");
    private static final Pattern COUNTRY = Pattern.compile("[A-Z]{2}");

    private final Database db;
    private final InstantSource clock;
    private final FlotillaConfig config;
    private final GpuCatalog catalog;
    private final OfferCache offers;
    private final PrincipalRepo principals = new PrincipalRepo();
    private final MachineRepo machines = new MachineRepo();
    private final RentalRepo rentals = new RentalRepo();
    private final LedgerRepo ledger = new LedgerRepo();
    private final EventRepo events = new EventRepo();
    private final Counter rentalsCreated;
    private final Counter preemptions;
    private final Counter chargedMicros;
    private volatile Runnable keysChanged = () -> {};

    public MarketService(Database db, InstantSource clock, FlotillaConfig config, GpuCatalog catalog, MeterRegistry registry) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.config = requireNonNull(config, "config is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.offers = new OfferCache(db, clock, catalog, config.heartbeatTimeout(), config.offerCacheTtl());
        this.rentalsCreated = Counter.builder("flotilla_rentals").description("Rentals created").register(registry);
        this.preemptions = Counter.builder("flotilla_preemptions").description("Interruptible rentals preempted").register(registry);
        this.chargedMicros = Counter.builder("flotilla_charged_micro_usd").description("Micro-dollars charged to tenants").register(registry);
        registry.gauge("flotilla_offers", offers, OfferCache::size);
    }

    public GpuCatalog catalog() {
        return catalog;
    }

    public Database database() {
        return db;
    }

    public InstantSource clock() {
        return clock;
    }

    // ---------------------------------------------------------------- identity

    /** A principal created with its first key; the key is shown once. */
    public record Created(Principal principal, String apiKey) {}

    /** Called after a key is minted, so in-memory key tables (the gateway's) see it at once. */
    public void onKeysChanged(Runnable listener) {
        this.keysChanged = requireNonNull(listener, "listener is null");
    }

    public Created createPrincipal(Principal.Kind kind, String name, boolean external) {
        Created created = createPrincipalOnce(kind, name, external);
        keysChanged.run();
        return created;
    }

    private Created createPrincipalOnce(Principal.Kind kind, String name, boolean external) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}")) {
            throw FlotillaException.invalid("name", "name must be 1-100 letters, digits or _.@- starting with a letter or"
                    + " digit, got '" + name + "'");
        }
        Instant now = clock.instant();
        return db.inTransaction(c -> {
            if (principals.findByName(c, kind, name).isPresent()) {
                throw new FlotillaException(ErrorCode.CONFLICT, "name", "a " + kind.wireName() + " named '" + name + "' already exists");
            }
            long id = principals.create(c, kind, name, external, now);
            ApiKeys.NewKey key = ApiKeys.mint();
            principals.addKey(c, id, key.keyId(), key.secretSha256(), now);
            return new Created(principals.find(c, id).orElseThrow(), key.full());
        });
    }

    /** Mints another key for an existing principal (the demo re-issues its keys at every start). */
    public String mintKey(long principalId) {
        Instant now = clock.instant();
        String full = db.inTransaction(c -> {
            principals.find(c, principalId).orElseThrow(() -> FlotillaException.notFound("principal", principalId));
            ApiKeys.NewKey key = ApiKeys.mint();
            principals.addKey(c, principalId, key.keyId(), key.secretSha256(), now);
            return key.full();
        });
        keysChanged.run();
        return full;
    }

    public Optional<Principal> findPrincipal(Principal.Kind kind, String name) {
        return db.inTransaction(c -> principals.findByName(c, kind, name));
    }

    /** Creates the admin at first start; empty when one exists already. */
    public Optional<Created> ensureAdmin() {
        boolean exists = db.inTransaction(c -> !principals.list(c, Principal.Kind.ADMIN).isEmpty());
        return exists ? Optional.empty() : Optional.of(createPrincipal(Principal.Kind.ADMIN, "admin", false));
    }

    public Optional<Principal> authenticate(String presented) {
        Optional<ApiKeys.Presented> p = ApiKeys.parse(presented);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        return db.inTransaction(c -> {
            Optional<PrincipalRepo.StoredKey> k = principals.findKey(c, p.get().keyId());
            if (k.isEmpty() || !ApiKeys.matches(p.get().secret(), k.get().secretSha256())) {
                return Optional.empty();
            }
            return principals.find(c, k.get().principalId());
        });
    }

    public List<Principal> principals(Principal.Kind kind) {
        return db.inTransaction(c -> principals.list(c, kind));
    }

    public Principal principal(long id, Principal.Kind kind) {
        return db.inTransaction(c -> principals.find(c, id))
                .filter(p -> p.kind() == kind)
                .orElseThrow(() -> FlotillaException.notFound(kind.wireName(), id));
    }

    // ---------------------------------------------------------------- credit

    public Money credit(long tenantId, Money amount, String idempotencyKey) {
        if (!amount.isPositive()) {
            throw FlotillaException.invalid("amount", "amount must be a positive dollar amount, got " + amount);
        }
        Instant now = clock.instant();
        return db.inTransaction(c -> {
            principals.lockForUpdate(c, tenantId).filter(p -> p.kind() == Principal.Kind.TENANT)
                    .orElseThrow(() -> FlotillaException.notFound("tenant", tenantId));
            String key = "credit:" + tenantId + ":" + idempotencyKey;
            ledger.post(c, Posting.credit(key, tenantId, amount, "prepaid credit"),
                    new LedgerRepo.Parties(tenantId, null, null), now);
            Money balance = ledger.balance(c, Posting.tenantAccount(tenantId));
            if (balance.isPositive()) {
                principals.setLowBalanceSince(c, tenantId, Optional.empty());
            }
            return balance;
        });
    }

    public Money balance(long tenantId) {
        return db.inTransaction(c -> ledger.balance(c, Posting.tenantAccount(tenantId)));
    }

    // ---------------------------------------------------------------- machines

    public Machine listMachine(long hostId, MachineSpec s) {
        GpuSpec gpu = catalog.resolve(s.gpuName(), s.gpuRamGb().map(OptionalDouble::of).orElse(OptionalDouble.empty()));
        requireRange("num_gpus", s.numGpus(), 1, 16);
        requireRange("min_gpus", s.minGpus(), 1, s.numGpus());
        requirePositive("cpu_cores", s.cpuCores());
        requirePositive("cpu_ram", s.cpuRamGb());
        requirePositive("disk_space", s.diskGb());
        requireNonNegative("disk_bw", s.diskBwMbs());
        requireNonNegative("inet_up", s.inetUpMbps());
        requireNonNegative("inet_down", s.inetDownMbps());
        requireRange("direct_port_count", s.directPortCount(), 0, 65535);
        requirePositive("cuda_vers", s.cudaVersion());
        requireRange("reserved_discount_bps", s.reservedDiscountBps(), 0, 9000);
        if (!List.of("x86_64", "arm64").contains(s.cpuArch())) {
            throw FlotillaException.invalid("cpu_arch", "cpu_arch must be x86_64 or arm64, got '" + s.cpuArch() + "'");
        }
        if (s.country() == null || !COUNTRY.matcher(s.country()).matches()) {
            throw FlotillaException.invalid("country", "country must be an ISO 3166 two-letter code in capitals such as US,"
                    + " got '" + s.country() + "'");
        }
        if (s.region() == null || s.region().isBlank() || s.region().length() > 64) {
            throw FlotillaException.invalid("region", "region must be 1-64 characters, got '" + s.region() + "'");
        }
        if (s.driverVersion() == null || !DRIVER.matcher(s.driverVersion()).matches()) {
            throw FlotillaException.invalid("driver_version", "driver_version must look like 535.86.05, got '"
                    + s.driverVersion() + "'");
        }
        requireMoney("price_per_gpu_hour", s.pricePerGpuHour(), true);
        requireMoney("min_bid_per_gpu_hour", s.minBidPerGpuHour(), true);
        requireMoney("storage_per_gb_month", s.storagePerGbMonth(), false);
        requireMoney("bandwidth_per_tb", s.bandwidthPerTb(), false);
        if (s.minBidPerGpuHour().compareTo(s.pricePerGpuHour()) > 0) {
            throw FlotillaException.invalid("min_bid_per_gpu_hour", "min_bid_per_gpu_hour " + s.minBidPerGpuHour()
                    + " must not exceed the on-demand price " + s.pricePerGpuHour());
        }
        Instant now = clock.instant();
        if (s.endsAt().isPresent() && !s.endsAt().get().isAfter(now)) {
            throw FlotillaException.invalid("end_date", "end_date " + s.endsAt().get() + " is in the past");
        }
        Machine m = db.inTransaction(c -> {
            Principal host = principals.find(c, hostId).orElseThrow(() -> FlotillaException.notFound("host", hostId));
            Machine draft = new Machine(0, hostId, gpu.id(), s.numGpus(), s.cpuCores(), s.cpuRamGb(), s.cpuArch(),
                    s.diskGb(), s.diskBwMbs(), s.inetUpMbps(), s.inetDownMbps(), s.directPortCount(), s.staticIp(),
                    s.country(), s.region(), s.cudaVersion(), s.driverVersion(), s.pricePerGpuHour(),
                    s.minBidPerGpuHour(), s.storagePerGbMonth(), s.bandwidthPerTb(), s.reservedDiscountBps(),
                    s.minGpus(), s.endsAt(), host.verified(), s.datacenter(), true, ReliabilityStats.NEW);
            long id = machines.insert(c, draft, now);
            return machines.find(c, id).orElseThrow();
        });
        offers.invalidate();
        return m;
    }

    /** Seeds a machine with reliability history (demo and tests only). */
    public void setReliability(long machineId, ReliabilityStats stats) {
        db.inTransaction(c -> {
            machines.updateReliability(c, machineId, stats);
            return null;
        });
        offers.invalidate();
    }

    public List<Machine> machinesOf(long hostId) {
        return db.inTransaction(c -> machines.listByHost(c, hostId));
    }

    public Machine machineOf(long hostId, long machineId) {
        return db.inTransaction(c -> ownedMachine(c, hostId, machineId, false));
    }

    public List<MaintenanceWindow> maintenanceOf(long hostId, long machineId) {
        return db.inTransaction(c -> {
            ownedMachine(c, hostId, machineId, false);
            return machines.maintenanceOf(c, machineId);
        });
    }

    /** Maintenance windows of all of a host's machines, by machine id, in one transaction. */
    public Map<Long, List<MaintenanceWindow>> maintenanceOfHost(long hostId) {
        return db.inTransaction(c -> {
            java.util.Set<Long> ids = new java.util.HashSet<>();
            for (Machine m : machines.listByHost(c, hostId)) {
                ids.add(m.id());
            }
            Map<Long, List<MaintenanceWindow>> out = new java.util.HashMap<>();
            for (MaintenanceWindow w : machines.maintenance(c)) {
                if (ids.contains(w.machineId())) {
                    out.computeIfAbsent(w.machineId(), k -> new ArrayList<>()).add(w);
                }
            }
            return out;
        });
    }

    public Machine setListed(long hostId, long machineId, boolean listed) {
        Machine m = db.inTransaction(c -> {
            ownedMachine(c, hostId, machineId, true);
            machines.setListed(c, machineId, listed);
            return machines.find(c, machineId).orElseThrow();
        });
        offers.invalidate();
        return m;
    }

    public MaintenanceWindow addMaintenance(long hostId, long machineId, Instant start, Instant end) {
        if (!end.isAfter(start)) {
            throw FlotillaException.invalid("end", "maintenance end " + end + " must be after its start " + start);
        }
        if (Duration.between(start, end).compareTo(Duration.ofDays(30)) > 0) {
            throw FlotillaException.invalid("end", "a maintenance window may last at most 30 days; unlist the machine instead");
        }
        MaintenanceWindow w = db.inTransaction(c -> {
            ownedMachine(c, hostId, machineId, true);
            long id = machines.addMaintenance(c, machineId, start, end);
            return new MaintenanceWindow(id, machineId, start, end);
        });
        offers.invalidate();
        return w;
    }

    public Machine heartbeat(long hostId, long machineId) {
        Instant now = clock.instant();
        return db.inTransaction(c -> {
            Machine m = ownedMachine(c, hostId, machineId, true);
            machines.updateReliability(c, machineId, m.reliability().heartbeat(now, config.heartbeatTimeout()));
            return machines.find(c, machineId).orElseThrow();
        });
    }

    private Machine ownedMachine(Connection c, long hostId, long machineId, boolean lock) throws SQLException {
        Optional<Machine> m = lock ? machines.lock(c, machineId) : machines.find(c, machineId);
        return m.filter(x -> x.hostId() == hostId).orElseThrow(() -> FlotillaException.notFound("machine", machineId));
    }

    // ---------------------------------------------------------------- search

    public OfferCache offers() {
        return offers;
    }

    // ---------------------------------------------------------------- rentals

    /** What a tenant asks for when renting. {@code bid} is $/h for the whole slice. */
    public record RentRequest(long offerId, RentalType type, Optional<Money> bid, OptionalInt diskGb, OptionalInt reservedDays) {
        public RentRequest {
            requireNonNull(type, "type is null");
            requireNonNull(bid, "bid is null");
            requireNonNull(diskGb, "diskGb is null");
            requireNonNull(reservedDays, "reservedDays is null");
        }
    }

    public Rental rent(long tenantId, RentRequest req) {
        return rent(tenantId, req, (c, r) -> null).rental();
    }

    /** Work done in the rental's own transaction, so that both land or neither does. */
    @FunctionalInterface
    public interface WithRental<T> {
        T apply(java.sql.Connection c, Rental rental) throws java.sql.SQLException;
    }

    /** A rental and what {@link WithRental} made of it. */
    public record Rented<T>(Rental rental, T result) {}

    /**
     * Rents, then runs {@code alsoInTransaction} in the same transaction: the serving reconciler
     * inserts the worker there, so that a crash cannot leave a rental without its worker.
     */
    public <T> Rented<T> rent(long tenantId, RentRequest req, WithRental<T> alsoInTransaction) {
        requireNonNull(alsoInTransaction, "alsoInTransaction is null");
        long machineId = Offer.machineIdOf(req.offerId());
        int size = Offer.numGpusOf(req.offerId());
        if (req.type() == RentalType.BID && req.bid().isEmpty()) {
            throw FlotillaException.invalid("bid", "an interruptible (bid) rental needs a bid in $/h, e.g. --bid 0.25");
        }
        if (req.type() != RentalType.BID && req.bid().isPresent()) {
            throw FlotillaException.invalid("bid", "bid applies only to type=bid; this rental is " + req.type().wireName());
        }
        if (req.type() == RentalType.RESERVED && req.reservedDays().isEmpty()) {
            throw FlotillaException.invalid("reserved_days", "a reserved rental needs reserved_days (1..365)");
        }
        if (req.type() != RentalType.RESERVED && req.reservedDays().isPresent()) {
            throw FlotillaException.invalid("reserved_days", "reserved_days applies only to type=reserved");
        }
        req.reservedDays().ifPresent(d -> requireRange("reserved_days", d, 1, 365));
        req.bid().ifPresent(b -> requireMoney("bid", b, true));
        Instant now = clock.instant();
        Rented<T> created = db.inTransaction(c -> {
            principals.lockForUpdate(c, tenantId).orElseThrow(() -> FlotillaException.notFound("tenant", tenantId));
            Machine m = machines.lock(c, machineId).orElseThrow(() -> offerNotFound(req.offerId()));
            if (!SliceAllocator.isValidSize(m.numGpus(), m.minGpus(), size)) {
                throw offerNotFound(req.offerId());
            }
            requireInService(c, m, req.offerId(), now);
            Money onDemand = m.pricePerGpuHour().times(size);
            int disk = req.diskGb().orElse(config.defaultDiskGb());
            int diskShare = (int) Math.floor(m.diskGb() * size / m.numGpus());
            requireRange("disk", disk, 1, Math.max(1, diskShare));
            Money rate;
            Money prepaid = Money.ZERO;
            Optional<Instant> reservedUntil = Optional.empty();
            Instant billableFrom = now;
            switch (req.type()) {
                case ON_DEMAND -> rate = onDemand;
                case BID -> {
                    Money minBid = m.minBidPerGpuHour().times(size);
                    if (req.bid().get().compareTo(minBid) < 0) {
                        throw new FlotillaException(ErrorCode.BID_TOO_LOW, "bid", "bid " + req.bid().get()
                                + "/h is below this offer's minimum bid " + minBid + "/h");
                    }
                    rate = req.bid().get();
                }
                case RESERVED -> {
                    int days = req.reservedDays().getAsInt();
                    Instant until = now.plus(Duration.ofDays(days));
                    if (m.endsAt().isPresent() && until.isAfter(m.endsAt().get())) {
                        throw FlotillaException.invalid("reserved_days", "reserved_days " + days + " runs past the machine's"
                                + " end date " + m.endsAt().get());
                    }
                    Money perHour = Money.ofMicros(onDemand.micros() * (10_000L - m.reservedDiscountBps()) / 10_000L);
                    prepaid = perHour.times(24L * days);
                    reservedUntil = Optional.of(until);
                    billableFrom = until;
                    rate = onDemand;
                }
                default -> throw new IllegalStateException();
            }
            Money balance = ledger.balance(c, Posting.tenantAccount(tenantId));
            Money needed = req.type() == RentalType.RESERVED ? prepaid : Money.ofMicros(1);
            if (balance.compareTo(needed) < 0) {
                throw new FlotillaException(ErrorCode.INSUFFICIENT_CREDIT, null, "balance " + balance + " is not enough:"
                        + (req.type() == RentalType.RESERVED ? " the reservation prepays " + prepaid : " add credit first"));
            }
            long priority = Priority.of(req.type(), rate, size);
            List<Rental> live = rentals.listLiveOnMachine(c, machineId);
            List<Hold> holds = live.stream().flatMap(r -> r.hold().stream()).toList();
            SliceAllocator.Allocation a = SliceAllocator.allocate(m.numGpus(), holds, size, priority)
                    .orElseThrow(() -> new FlotillaException(ErrorCode.OFFER_UNAVAILABLE, "offer_id", "offer " + req.offerId()
                            + " is taken: no slice of " + size + " GPU(s) on machine " + machineId + " is free"
                            + (req.type() == RentalType.BID ? " or held by a lower bid" : " or held by an interruptible rental")));
            for (long victimId : a.preempted()) {
                preempt(c, victimId, "rental " + victimId + " was preempted by a higher-priority " + req.type().wireName()
                        + " rental; its data is kept and it resumes when a slice frees", now);
            }
            Meter meter = Meter.start(rate.micros(), m.storagePerGbMonth().micros() * disk, billableFrom, now);
            Rental draft = new Rental(0, tenantId, machineId, m.hostId(), req.offerId(), req.type(), RentalState.RUNNING,
                    "created", size, OptionalInt.of(a.firstGpu()), priority, rate, prepaid, reservedUntil, disk,
                    m.storagePerGbMonth(), m.bandwidthPerTb(), now, Optional.empty(), meter, 0, 0);
            long id = rentals.insert(c, draft);
            if (prepaid.isPositive()) {
                post(c, Posting.charge("reservation:" + id, Posting.Kind.RESERVATION, tenantId, m.hostId(), prepaid,
                        config.platformFeeBps(), "reservation of offer " + req.offerId() + " for "
                                + req.reservedDays().getAsInt() + " days"), tenantId, m.hostId(), id, now);
            }
            events.add(c, id, tenantId, now, "created", req.type().wireName() + " rental of " + size + " GPU(s) on machine "
                    + machineId + " at " + rate + "/h" + (a.preempted().isEmpty() ? "" : ", preempting " + a.preempted()));
            Rental rental = rentals.find(c, id).orElseThrow();
            return new Rented<>(rental, alsoInTransaction.apply(c, rental));
        });
        rentalsCreated.increment();
        offers.invalidate();
        return created;
    }

    public List<Rental> rentalsOf(long tenantId, boolean includeEnded) {
        return db.inTransaction(c -> rentals.listByTenant(c, tenantId, includeEnded));
    }

    public Rental rentalOf(long tenantId, long rentalId) {
        return db.inTransaction(c -> rentals.find(c, rentalId))
                .filter(r -> r.tenantId() == tenantId)
                .orElseThrow(() -> FlotillaException.notFound("rental", rentalId));
    }

    public List<Rental> rentalsOnHost(long hostId) {
        return db.inTransaction(c -> rentals.listByHost(c, hostId));
    }

    public List<EventRepo.Event> events(long tenantId, long afterId, int limit) {
        requireRange("limit", limit, 1, 1000);
        return db.inTransaction(c -> events.list(c, tenantId, afterId, limit));
    }

    public List<EventRepo.Event> eventsOfRental(long tenantId, long rentalId) {
        rentalOf(tenantId, rentalId);
        return db.inTransaction(c -> events.listForRental(c, rentalId));
    }

    /** Stops a rental: its GPUs are released, its data kept (storage is still billed). */
    public Rental stop(long tenantId, long rentalId) {
        return changeState(tenantId, rentalId, RentalState.STOPPED, "stopped by tenant");
    }

    /** Destroys a rental: nothing is held or billed any more. */
    public Rental destroy(long tenantId, long rentalId) {
        return changeState(tenantId, rentalId, RentalState.ENDED, "destroyed by tenant");
    }

    private Rental changeState(long tenantId, long rentalId, RentalState target, String reason) {
        Instant now = clock.instant();
        Rental out = db.inTransaction(c -> {
            Rental peek = rentals.find(c, rentalId).filter(r -> r.tenantId() == tenantId)
                    .orElseThrow(() -> FlotillaException.notFound("rental", rentalId));
            principals.lockForUpdate(c, tenantId);
            machines.lock(c, peek.machineId());
            Rental r = rentals.lock(c, rentalId).orElseThrow();
            if (r.state() == RentalState.ENDED) {
                throw new FlotillaException(ErrorCode.CONFLICT, "rental_id", "rental " + rentalId + " has ended");
            }
            if (r.state() == target) {
                return r;
            }
            transition(c, r, target, reason, now);
            resumeWaiting(c, r.machineId(), now);
            return rentals.find(c, rentalId).orElseThrow();
        });
        offers.invalidate();
        return out;
    }

    /** Starts a stopped or preempted rental again on its machine, preempting lower bids if it must. */
    public Rental start(long tenantId, long rentalId) {
        Instant now = clock.instant();
        Rental out = db.inTransaction(c -> {
            Rental peek = rentals.find(c, rentalId).filter(r -> r.tenantId() == tenantId)
                    .orElseThrow(() -> FlotillaException.notFound("rental", rentalId));
            principals.lockForUpdate(c, tenantId);
            Machine m = machines.lock(c, peek.machineId()).orElseThrow();
            Rental r = rentals.lock(c, rentalId).orElseThrow();
            if (r.state() == RentalState.RUNNING) {
                return r;
            }
            if (r.state() == RentalState.ENDED) {
                throw new FlotillaException(ErrorCode.CONFLICT, "rental_id", "rental " + rentalId + " has ended");
            }
            requireInService(c, m, r.offerId(), now);
            if (!ledger.balance(c, Posting.tenantAccount(tenantId)).isPositive()) {
                throw new FlotillaException(ErrorCode.INSUFFICIENT_CREDIT, null, "balance is not positive: add credit first");
            }
            List<Hold> holds = rentals.listLiveOnMachine(c, m.id()).stream().flatMap(x -> x.hold().stream()).toList();
            SliceAllocator.Allocation a = SliceAllocator.allocate(m.numGpus(), holds, r.numGpus(), r.priority())
                    .orElseThrow(() -> new FlotillaException(ErrorCode.OFFER_UNAVAILABLE, "rental_id", "no slice of "
                            + r.numGpus() + " GPU(s) on machine " + m.id() + " is free for rental " + rentalId + " now"));
            for (long victimId : a.preempted()) {
                preempt(c, victimId, "rental " + victimId + " was preempted by a higher bid; its data is kept and it"
                        + " resumes when a slice frees", now);
            }
            Rental settled = settle(c, r, now);
            rentals.update(c, settled.withState(RentalState.RUNNING, "started by tenant", OptionalInt.of(a.firstGpu())));
            events.add(c, rentalId, tenantId, now, "started", "rental " + rentalId + " started on GPUs " + a.firstGpu()
                    + ".." + (a.firstGpu() + r.numGpus() - 1));
            return rentals.find(c, rentalId).orElseThrow();
        });
        offers.invalidate();
        return out;
    }

    /** A host's report of bytes moved for a rental; {@code reportKey} makes a resend harmless. */
    public Rental reportBandwidth(long hostId, long rentalId, long bytes, String reportKey) {
        if (bytes < 0) {
            throw FlotillaException.invalid("bytes", "bytes must be zero or more, got " + bytes);
        }
        if (reportKey == null || reportKey.isBlank() || reportKey.length() > 100) {
            throw FlotillaException.invalid("report_id", "report_id must be 1-100 characters, unique per report");
        }
        Instant now = clock.instant();
        return db.inTransaction(c -> {
            Rental peek = rentals.find(c, rentalId).filter(r -> r.hostId() == hostId)
                    .orElseThrow(() -> FlotillaException.notFound("rental", rentalId));
            principals.lockForUpdate(c, peek.tenantId());
            machines.lock(c, peek.machineId());
            Rental r = rentals.lock(c, rentalId).orElseThrow();
            long total = Math.addExact(r.bandwidthBytes(), bytes);
            long due = Bandwidth.dueMicros(total, r.bandwidthPerTb().micros());
            Money charge = Money.ofMicros(due - r.bandwidthChargedMicros());
            Posting p = Posting.charge("bandwidth:" + rentalId + ":" + reportKey, Posting.Kind.BANDWIDTH, r.tenantId(),
                    r.hostId(), charge, config.platformFeeBps(), bytes + " bytes for rental " + rentalId);
            if (!ledger.post(c, p, new LedgerRepo.Parties(r.tenantId(), r.hostId(), rentalId), now)) {
                return r; // a resent report: already counted
            }
            chargedMicros.increment(charge.micros());
            Rental updated = r.withBandwidth(total, due);
            rentals.update(c, updated);
            return updated;
        });
    }

    /** A host's report that it could (not) start a rental's container; feeds reliability. */
    public void reportStart(long hostId, long rentalId, boolean ok) {
        db.inTransaction(c -> {
            Rental r = rentals.find(c, rentalId).filter(x -> x.hostId() == hostId)
                    .orElseThrow(() -> FlotillaException.notFound("rental", rentalId));
            Machine m = machines.lock(c, r.machineId()).orElseThrow();
            machines.updateReliability(c, m.id(), ok ? m.reliability().startSucceeded() : m.reliability().startFailed());
            events.add(c, rentalId, r.tenantId(), clock.instant(), ok ? "start_ok" : "start_failed",
                    "host reported that rental " + rentalId + (ok ? " started" : " failed to start"));
            return null;
        });
        offers.invalidate();
    }

    // ---------------------------------------------------------------- metering

    /** Outcome of one metering pass, for logs and tests. */
    public record MeterReport(int rentalsSettled, Money charged, int rentalsStoppedForCredit) {}

    /**
     * Settles every unended rental up to now, then stops the rentals of tenants whose balance has
     * been at or below zero for longer than the grace period. Safe to run on several replicas at
     * once and to re-run after a crash: each settlement locks its rental and posts under a key
     * derived from the interval it covers.
     */
    public MeterReport meterAll() {
        Instant now = clock.instant();
        List<Long> ids = db.inTransaction(rentals::listUnendedIds);
        long charged = 0;
        for (long id : ids) {
            charged += db.inTransaction(c -> {
                Rental peek = rentals.find(c, id).orElseThrow();
                machines.lock(c, peek.machineId());
                Rental r = rentals.lock(c, id).orElseThrow();
                if (r.state() == RentalState.ENDED) {
                    return 0L;
                }
                Rental settled = settle(c, r, now);
                rentals.update(c, settled);
                return (settled.meter().gpuChargedMicros() - r.meter().gpuChargedMicros())
                        + (settled.meter().storageChargedMicros() - r.meter().storageChargedMicros());
            });
        }
        int stopped = enforceCredit(now);
        if (stopped > 0) {
            offers.invalidate();
        }
        return new MeterReport(ids.size(), Money.ofMicros(charged), stopped);
    }

    private int enforceCredit(Instant now) {
        int stopped = 0;
        for (Principal t : principals(Principal.Kind.TENANT)) {
            stopped += db.inTransaction(c -> {
                Principal p = principals.lockForUpdate(c, t.id()).orElseThrow();
                Money balance = ledger.balance(c, Posting.tenantAccount(p.id()));
                if (balance.isPositive()) {
                    if (p.lowBalanceSince().isPresent()) {
                        principals.setLowBalanceSince(c, p.id(), Optional.empty());
                    }
                    return 0;
                }
                List<Rental> active = rentals.listByTenant(c, p.id(), false).stream()
                        .filter(r -> r.state() == RentalState.RUNNING || r.state() == RentalState.PREEMPTED)
                        .toList();
                if (active.isEmpty()) {
                    return 0;
                }
                if (p.lowBalanceSince().isEmpty()) {
                    principals.setLowBalanceSince(c, p.id(), Optional.of(now));
                    for (Rental r : active) {
                        events.add(c, r.id(), p.id(), now, "low_balance", "balance is " + balance + "; running rentals stop"
                                + " in " + config.creditGracePeriod() + " unless credit is added");
                    }
                    return 0;
                }
                if (Duration.between(p.lowBalanceSince().get(), now).compareTo(config.creditGracePeriod()) < 0) {
                    return 0;
                }
                int n = 0;
                for (Rental r : active) {
                    machines.lock(c, r.machineId());
                    Rental locked = rentals.lock(c, r.id()).orElseThrow();
                    transition(c, locked, RentalState.STOPPED, "stopped: balance " + balance + " after the grace period", now);
                    resumeWaiting(c, r.machineId(), now);
                    n++;
                }
                return n;
            });
        }
        return stopped;
    }

    // ---------------------------------------------------------------- reports

    /** One line of an invoice or earnings statement. */
    public record StatementLine(Long rentalId, String kind, Money amount) {}

    /**
     * A tenant's invoice or a host's earnings for a calendar month (UTC). {@code total} sums the
     * charges (for a host: the earnings); {@code credits} the prepaid credit added in the period.
     */
    public record Statement(String account, YearMonth period, List<StatementLine> lines, Money total, Money credits,
            Money balance) {}

    public Statement invoice(long tenantId, YearMonth period) {
        return statement(Posting.tenantAccount(tenantId), period, true);
    }

    public Statement earnings(long hostId, YearMonth period) {
        return statement(Posting.hostAccount(hostId), period, false);
    }

    private Statement statement(String account, YearMonth period, boolean debitsPositive) {
        Instant from = period.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        Instant to = period.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        return db.inTransaction(c -> {
            Map<String, StatementLine> grouped = new LinkedHashMap<>();
            long total = 0;
            long credits = 0;
            for (LedgerRepo.Line l : ledger.lines(c, account, from, to)) {
                long amount = debitsPositive ? -l.amount().micros() : l.amount().micros();
                String k = l.rentalId() + "/" + l.kind();
                StatementLine prev = grouped.get(k);
                grouped.put(k, new StatementLine(l.rentalId(), l.kind(),
                        Money.ofMicros((prev == null ? 0 : prev.amount().micros()) + amount)));
                if (l.kind().equals(Posting.Kind.CREDIT.wireName())) {
                    credits += l.amount().micros();
                } else {
                    total += amount;
                }
            }
            List<StatementLine> lines = new ArrayList<>(grouped.values());
            lines.sort(Comparator.comparing((StatementLine s) -> s.rentalId() == null ? 0 : s.rentalId())
                    .thenComparing(StatementLine::kind));
            Money balance = ledger.balance(c, account);
            return new Statement(account, period, List.copyOf(lines), Money.ofMicros(total), Money.ofMicros(credits),
                    balance);
        });
    }

    // ---------------------------------------------------------------- internals

    /** Settles a rental's meter up to now and posts its charges; returns the rental with the new meter. */
    private Rental settle(Connection c, Rental r, Instant now) throws SQLException {
        Meter.Settlement s = r.meter().settle(now, r.state().holdsGpus(), r.state().keepsStorage());
        if (s.isEmpty()) {
            return r;
        }
        long from = s.from().getEpochSecond();
        if (s.gpuCharge().isPositive()) {
            post(c, Posting.charge("gpu:" + r.id() + ":" + from, Posting.Kind.GPU, r.tenantId(), r.hostId(), s.gpuCharge(),
                    config.platformFeeBps(), "GPU time of rental " + r.id() + " " + s.from() + ".." + s.to()),
                    r.tenantId(), r.hostId(), r.id(), now);
        }
        if (s.storageCharge().isPositive()) {
            post(c, Posting.charge("storage:" + r.id() + ":" + from, Posting.Kind.STORAGE, r.tenantId(), r.hostId(),
                    s.storageCharge(), config.platformFeeBps(), "storage of rental " + r.id() + " " + s.from() + ".." + s.to()),
                    r.tenantId(), r.hostId(), r.id(), now);
        }
        chargedMicros.increment(s.gpuCharge().micros() + s.storageCharge().micros());
        return r.withMeter(s.meter());
    }

    private void post(Connection c, Posting p, long tenantId, long hostId, long rentalId, Instant now) throws SQLException {
        ledger.post(c, p, new LedgerRepo.Parties(tenantId, hostId, rentalId), now);
    }

    /** Settles, then moves a rental to a state that holds no GPUs, and records the event. */
    private void transition(Connection c, Rental r, RentalState target, String reason, Instant now) throws SQLException {
        Rental settled = settle(c, r, now);
        Rental next = settled.withState(target, reason, OptionalInt.empty());
        if (target == RentalState.ENDED) {
            next = next.withEndedAt(now);
        }
        rentals.update(c, next);
        events.add(c, r.id(), r.tenantId(), now, target.wireName(), reason);
    }

    private void preempt(Connection c, long victimId, String reason, Instant now) throws SQLException {
        Rental victim = rentals.lock(c, victimId).orElseThrow();
        transition(c, victim, RentalState.PREEMPTED, reason, now);
        preemptions.increment();
    }


    /**
     * After GPUs free up on a machine, preempted rentals resume, highest priority first, into free
     * slices only: resuming never preempts anyone, so capacity cannot ping-pong.
     */
    private void resumeWaiting(Connection c, long machineId, Instant now) throws SQLException {
        Machine m = machines.find(c, machineId).orElseThrow();
        List<Rental> live = new ArrayList<>(rentals.listLiveOnMachine(c, machineId));
        List<Hold> holds = new ArrayList<>(live.stream().flatMap(r -> r.hold().stream()).toList());
        List<Rental> waiting = live.stream().filter(r -> r.state() == RentalState.PREEMPTED)
                .sorted(Comparator.comparingLong(Rental::priority).reversed().thenComparingLong(Rental::id)).toList();
        for (Rental w : waiting) {
            Optional<SliceAllocator.Allocation> a = SliceAllocator.allocate(m.numGpus(), holds, w.numGpus(), w.priority())
                    .filter(x -> x.preempted().isEmpty());
            if (a.isEmpty()) {
                continue;
            }
            Rental locked = rentals.lock(c, w.id()).orElseThrow();
            Rental settled = settle(c, locked, now);
            rentals.update(c, settled.withState(RentalState.RUNNING, "resumed", OptionalInt.of(a.get().firstGpu())));
            holds.add(new Hold(w.id(), a.get().firstGpu(), w.numGpus(), w.priority()));
            events.add(c, w.id(), w.tenantId(), now, "resumed", "rental " + w.id() + " resumed on GPUs " + a.get().firstGpu()
                    + ".." + (a.get().firstGpu() + w.numGpus() - 1));
        }
    }

    private void requireInService(Connection c, Machine m, long offerId, Instant now) throws SQLException {
        if (!m.listed()) {
            throw new FlotillaException(ErrorCode.OFFER_UNAVAILABLE, "offer_id", "offer " + offerId + " is unlisted");
        }
        if (m.endsAt().isPresent() && !now.isBefore(m.endsAt().get())) {
            throw new FlotillaException(ErrorCode.OFFER_UNAVAILABLE, "offer_id", "offer " + offerId + " expired on "
                    + m.endsAt().get());
        }
        for (MaintenanceWindow w : machines.maintenanceOf(c, m.id())) {
            if (w.covers(now)) {
                throw new FlotillaException(ErrorCode.OFFER_UNAVAILABLE, "offer_id", "offer " + offerId
                        + " is in maintenance until " + w.endsAt());
            }
        }
    }

    private static FlotillaException offerNotFound(long offerId) {
        return new FlotillaException(ErrorCode.NOT_FOUND, "offer_id", "offer " + offerId + " not found");
    }

    static void requireRange(String field, long v, long min, long max) {
        if (v < min || v > max) {
            throw FlotillaException.invalid(field, field + " must be between " + min + " and " + max + ", got " + v);
        }
    }

    static void requirePositive(String field, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw FlotillaException.invalid(field, field + " must be a positive number, got " + v);
        }
    }

    static void requireNonNegative(String field, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw FlotillaException.invalid(field, field + " must be zero or more, got " + v);
        }
    }

    static void requireMoney(String field, Money m, boolean positive) {
        if (m.isNegative() || (positive && !m.isPositive())) {
            throw FlotillaException.invalid(field, field + " must be " + (positive ? "positive" : "zero or more") + ", got "
                    + m);
        }
        if (m.micros() > 1_000_000L * 1_000_000L) {
            throw FlotillaException.invalid(field, field + " " + m + " is implausibly large (max $1,000,000)");
        }
    }
}
