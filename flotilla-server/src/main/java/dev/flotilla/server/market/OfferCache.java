package dev.flotilla.server.market;

import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.machine.Machine;
import dev.flotilla.market.machine.MaintenanceWindow;
import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.OfferBuilder;
import dev.flotilla.market.query.OfferIndex;
import dev.flotilla.market.query.OfferQuery;
import dev.flotilla.market.query.SearchContext;
import dev.flotilla.market.query.SortOrder;
import dev.flotilla.market.rental.Hold;
import dev.flotilla.market.rental.Rental;
import dev.flotilla.store.Database;
import dev.flotilla.store.MachineRepo;
import dev.flotilla.store.Principal;
import dev.flotilla.store.PrincipalRepo;
import dev.flotilla.store.RentalRepo;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The offers of the whole market as an in-memory {@link OfferIndex}, rebuilt from the database
 * when a write on this replica invalidates it or when it is older than the TTL (writes made by
 * other replicas show up within the TTL). Searches never touch the database, which is what keeps
 * them in the microseconds at 100,000 offers; renting always re-checks under the machine lock, so
 * a stale offer can at worst be answered "taken", never double-allocated.
 */
public final class OfferCache {
    private final Database db;
    private final InstantSource clock;
    private final OfferBuilder builder;
    private final Duration ttl;
    private final MachineRepo machines = new MachineRepo();
    private final RentalRepo rentals = new RentalRepo();
    private final PrincipalRepo principals = new PrincipalRepo();

    private record Snapshot(OfferIndex index, List<Offer> offers, Instant builtAt, long generation) {}

    private volatile Snapshot snapshot;
    private volatile long generation;

    public OfferCache(Database db, InstantSource clock, GpuCatalog catalog, Duration heartbeatTimeout, Duration ttl) {
        this.db = db;
        this.clock = clock;
        this.builder = new OfferBuilder(catalog, heartbeatTimeout);
        this.ttl = ttl;
    }

    public void invalidate() {
        generation++;
    }

    public List<Offer> search(OfferQuery q, SortOrder order, int limit, SearchContext ctx) {
        return current().index().search(q, order, limit, ctx);
    }

    public int count(OfferQuery q, SearchContext ctx) {
        return current().index().count(q, ctx);
    }

    public List<Offer> all() {
        return current().offers();
    }

    public double size() {
        Snapshot s = snapshot;
        return s == null ? 0 : s.offers().size();
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        Instant now = clock.instant();
        long gen = generation;
        if (s == null || s.generation() != gen || Duration.between(s.builtAt(), now).compareTo(ttl) > 0) {
            synchronized (this) {
                s = snapshot;
                if (s == null || s.generation() != generation || Duration.between(s.builtAt(), now).compareTo(ttl) > 0) {
                    s = build(now, generation);
                    snapshot = s;
                }
            }
        }
        return s;
    }

    private Snapshot build(Instant now, long gen) {
        List<Offer> offers = db.inTransaction(c -> {
            List<Machine> all = machines.listAll(c);
            Map<Long, List<Hold>> holds = new HashMap<>();
            for (Rental r : rentals.listRunning(c)) {
                r.hold().ifPresent(h -> holds.computeIfAbsent(r.machineId(), k -> new ArrayList<>()).add(h));
            }
            Map<Long, List<MaintenanceWindow>> windows = new HashMap<>();
            for (MaintenanceWindow w : machines.maintenance(c)) {
                windows.computeIfAbsent(w.machineId(), k -> new ArrayList<>()).add(w);
            }
            Set<Long> external = new HashSet<>();
            for (Principal h : principals.list(c, Principal.Kind.HOST)) {
                if (h.external()) {
                    external.add(h.id());
                }
            }
            List<Offer> out = new ArrayList<>();
            for (Machine m : all) {
                out.addAll(builder.offers(m, external.contains(m.hostId()), holds.getOrDefault(m.id(), List.of()),
                        windows.getOrDefault(m.id(), List.of()), now));
            }
            return out;
        });
        return new Snapshot(new OfferIndex(offers), List.copyOf(offers), now, gen);
    }
}
