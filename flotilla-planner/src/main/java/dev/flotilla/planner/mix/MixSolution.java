package dev.flotilla.planner.mix;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The answer of {@link MixOptimizer#solve}: which instances to run, how each bucket is split
 * across them, what that costs, and what the best single GPU type would have cost.
 *
 * @param feasible whether every bucket's demand can be served with the available instances
 * @param reason when feasible, {@code "optimal"} or why the mix is only the best found; when
 *     infeasible, the bucket(s) at fault and the shortfall in req/s
 * @param instances option id to instances to run, only options with at least one, in option order;
 *     empty when infeasible
 * @param share {@code share[b][g]} = fraction of bucket {@code b}'s requests sent to option
 *     {@code g}; each row sums to 1 for a bucket with demand, and is all 0 for a bucket without
 *     demand or when infeasible
 * @param costPerHour exact cost of the mix, sum of price times instances (the stability and
 *     tie-break terms of the objective are not money and are not included)
 * @param bestSingleOption the cheapest option that can serve every bucket alone, if any
 * @param bestSingleCostPerHour its cost; present exactly when {@code bestSingleOption} is
 * @param savingFraction {@code 1 - costPerHour / bestSingleCostPerHour}, or 0 without a single
 *     option; negative only when the stability term kept a costlier current mix
 * @param solveMicros wall time of the solve, for monitoring; the only field that differs between
 *     two solves of the same problem (unless the optimizer's ticker is fixed)
 */
public record MixSolution(
        boolean feasible,
        String reason,
        Map<String, Integer> instances,
        double[][] share,
        Money costPerHour,
        Optional<String> bestSingleOption,
        Optional<Money> bestSingleCostPerHour,
        double savingFraction,
        long solveMicros) {

    public MixSolution {
        if (reason == null || instances == null || share == null || costPerHour == null || bestSingleOption == null
                || bestSingleCostPerHour == null) {
            throw new FlotillaException(ErrorCode.INTERNAL, "a mix solution needs every field, got a null one");
        }
        if (bestSingleOption.isPresent() != bestSingleCostPerHour.isPresent()) {
            throw new FlotillaException(ErrorCode.INTERNAL,
                    "bestSingleOption and bestSingleCostPerHour must be both present or both empty");
        }
        if (!feasible && !instances.isEmpty()) {
            throw new FlotillaException(ErrorCode.INTERNAL, "an infeasible solution cannot list instances: " + instances);
        }
        if (!Double.isFinite(savingFraction) || solveMicros < 0 || costPerHour.isNegative()) {
            throw new FlotillaException(ErrorCode.INTERNAL, "invalid mix solution: saving " + savingFraction
                    + ", solve time " + solveMicros + " us, cost " + costPerHour);
        }
        instances = Collections.unmodifiableMap(new LinkedHashMap<>(instances));
        share = Matrices.copy(share);
    }

    /** An answer that no mix can serve the demand, with the reason. */
    static MixSolution infeasible(String reason, int buckets, int options, long solveMicros) {
        return new MixSolution(false, reason, Map.of(), new double[buckets][options], Money.ZERO, Optional.empty(), Optional.empty(), 0,
                solveMicros);
    }

    /** A copy of the share matrix, {@code [bucket][option]}. */
    @Override
    public double[][] share() {
        return Matrices.copy(share);
    }

    /** Fraction of bucket {@code bucket}'s requests sent to option {@code option}. */
    public double share(int bucket, int option) {
        return share[bucket][option];
    }

    /** Instances of option {@code id} in the mix, 0 when it is not used. */
    public int instancesOf(String id) {
        return instances.getOrDefault(id, 0);
    }

    /** Instances of all options together. */
    public int totalInstances() {
        return instances.values().stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MixSolution s && feasible == s.feasible && reason.equals(s.reason) && instances.equals(s.instances)
                && Arrays.deepEquals(share, s.share) && costPerHour.equals(s.costPerHour) && bestSingleOption.equals(s.bestSingleOption)
                && bestSingleCostPerHour.equals(s.bestSingleCostPerHour)
                && Double.compare(savingFraction, s.savingFraction) == 0 && solveMicros == s.solveMicros;
    }

    @Override
    public int hashCode() {
        int h = Boolean.hashCode(feasible);
        h = 31 * h + reason.hashCode();
        h = 31 * h + instances.hashCode();
        h = 31 * h + Arrays.deepHashCode(share);
        h = 31 * h + costPerHour.hashCode();
        h = 31 * h + bestSingleOption.hashCode();
        h = 31 * h + bestSingleCostPerHour.hashCode();
        h = 31 * h + Double.hashCode(savingFraction);
        return 31 * h + Long.hashCode(solveMicros);
    }

    @Override
    public String toString() {
        return "MixSolution[feasible=" + feasible + ", reason=" + reason + ", instances=" + instances + ", costPerHour=" + costPerHour
                + ", bestSingleOption=" + bestSingleOption + ", bestSingleCostPerHour=" + bestSingleCostPerHour + ", savingFraction="
                + savingFraction + ", solveMicros=" + solveMicros + ", share=" + Arrays.deepToString(share) + "]";
    }
}
