package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Prefix affinity: requests whose prompts share their leading blocks go to the same worker, so
 * its KV cache already holds that prefix (vLLM and SGLang reuse cached prefix blocks and skip
 * their prefill) — but never to an overloaded one.
 *
 * <p><b>Hash order.</b> Rendezvous (highest-random-weight) hashing (Thaler and Ravishankar, "Using
 * Name-Based Mappings to Increase Hit Rates", 1998): for the affinity key {@code k} (the chained
 * hash of the first {@code prefix-affinity-blocks} blocks, see {@link RoutingRequest#prefixKey})
 * every candidate {@code w} gets the score {@code mix64(k XOR hash(w.id))} and candidates are tried
 * in descending score. Adding or removing a worker moves only the keys whose top choice it was.
 *
 * <p><b>Bounded load.</b> Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam,
 * "Consistent Hashing with Bounded Loads", SODA 2018): a bin may hold at most {@code ceil((1+ε)·m/n)}
 * balls, and a ball that finds its bin full moves on to the next bin in hash order. With workers of
 * different benchmarked capacity {@code c_w} this is weighted by capacity: with {@code U} the
 * requests outstanding on all candidates and {@code C} their total capacity, worker {@code w}
 * accepts the request iff
 *
 * <pre>    outstanding_w + 1 &lt;= ceil((1 + ε) · (U + 1) · c_w / C)</pre>
 *
 * i.e. its load after taking the request stays within {@code (1+ε)} times the mean load (counting
 * the new request). The bounds sum to at least {@code U + 1}, so some candidate always accepts.
 * Smaller {@code ε} balances better and moves more requests off their cache-warm worker; the paper
 * shows the expected number of moves per insertion is {@code O(1/ε²)}. Requests without a prefix go
 * to the least-loaded candidate.
 */
public final class PrefixAffinityRouter implements Router {
    public static final String NAME = "prefix-affinity";

    private final RouterSettings settings;

    public PrefixAffinityRouter(RouterSettings settings) {
        this.settings = requireNonNull(settings, "settings is null");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<RoutingDecision> choose(RoutingRequest request, List<WorkerState> workers) {
        List<WorkerState> candidates = Router.candidates(request, workers);
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        Optional<Long> key = request.prefixKey(settings.prefixAffinityBlocks());
        if (key.isEmpty()) {
            return LeastLoadRouter.leastLoaded(candidates)
                    .map(w -> new RoutingDecision(w.workerId(), NAME, "no prefix: least load"));
        }
        List<WorkerState> order = hashOrder(key.get(), candidates);
        long totalOutstanding = 0;
        double totalCapacity = 0;
        for (WorkerState w : candidates) {
            totalOutstanding += w.outstanding();
            totalCapacity += w.capacity();
        }
        double epsilon = settings.prefixAffinityEpsilon();
        for (int rank = 0; rank < order.size(); rank++) {
            WorkerState w = order.get(rank);
            double bound = Math.ceil((1 + epsilon) * (totalOutstanding + 1) * w.capacity() / totalCapacity);
            if (w.outstanding() + 1 <= bound) {
                String reason = rank == 0
                        ? "preferred worker for prefix"
                        : "preferred worker over load bound; choice " + (rank + 1) + " in hash order";
                return Optional.of(new RoutingDecision(w.workerId(), NAME, reason));
            }
        }
        // Unreachable while capacities are positive (the bounds sum to at least U + 1); kept as a guard.
        return LeastLoadRouter.leastLoaded(candidates)
                .map(w -> new RoutingDecision(w.workerId(), NAME, "all over load bound: least load"));
    }

    /** Candidates in descending rendezvous score for {@code key}; ties (astronomically rare) by id. */
    static List<WorkerState> hashOrder(long key, List<WorkerState> candidates) {
        return candidates.stream()
                .sorted(Comparator.comparingLong((WorkerState w) -> score(key, w.workerId()))
                        .reversed()
                        .thenComparing(WorkerState::workerId))
                .toList();
    }

    static long score(long key, String workerId) {
        return PrefixHashes.mix64(key ^ PrefixHashes.hash(workerId));
    }
}
