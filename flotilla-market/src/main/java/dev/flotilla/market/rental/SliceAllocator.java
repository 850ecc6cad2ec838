package dev.flotilla.market.rental;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides which GPUs of a machine a new rental gets and whom it preempts. Pure: a function of the
 * machine's size, its current holds and the request.
 *
 * <p>A machine of {@code n} GPUs rents out aligned slices of 1, 2, 4 and 8 GPUs (and the whole
 * machine when {@code n} is not a power of two), none smaller than the host's minimum. A slice of
 * size {@code s} starts at a multiple of {@code s}, so slices never straddle and a freed slice can
 * be reused by any request of its size.
 *
 * <p>A request may take a slice whose every holder has a strictly lower priority; those holders
 * are preempted. Among the slices it may take, it picks the one that preempts the fewest GPUs,
 * then the lowest total priority preempted, then the lowest index: free slices first, and when it
 * must preempt, the lowest bids.
 */
public final class SliceAllocator {
    private static final int[] POWERS = {1, 2, 4, 8};

    private SliceAllocator() {}

    /** A chosen slice and the rentals that must stop for it. */
    public record Allocation(int firstGpu, int gpuCount, List<Long> preempted) {
        public Allocation {
            preempted = List.copyOf(preempted);
        }
    }

    /** Slice sizes a machine of {@code machineGpus} offers, ascending. */
    public static List<Integer> sliceSizes(int machineGpus, int minGpus) {
        Set<Integer> sizes = new TreeSet<>();
        for (int p : POWERS) {
            if (p <= machineGpus && p >= minGpus) {
                sizes.add(p);
            }
        }
        if (machineGpus >= minGpus) {
            sizes.add(machineGpus);
        }
        return List.copyOf(sizes);
    }

    public static boolean isValidSize(int machineGpus, int minGpus, int size) {
        return sliceSizes(machineGpus, minGpus).contains(size);
    }

    /** Start indexes of the aligned slices of {@code size}. */
    static List<Integer> starts(int machineGpus, int size) {
        List<Integer> out = new ArrayList<>();
        for (int start = 0; start + size <= machineGpus; start += size) {
            out.add(start);
        }
        return out;
    }

    public static Optional<Allocation> allocate(int machineGpus, Collection<Hold> holds, int size, long priority) {
        Allocation best = null;
        long bestGpus = Long.MAX_VALUE;
        long bestPrioritySum = Long.MAX_VALUE;
        for (int start : starts(machineGpus, size)) {
            Set<Long> victims = new LinkedHashSet<>();
            long gpus = 0;
            long prioritySum = 0;
            boolean blocked = false;
            for (Hold h : holds) {
                if (!h.overlaps(start, size)) {
                    continue;
                }
                if (h.priority() >= priority) {
                    blocked = true;
                    break;
                }
                if (victims.add(h.rentalId())) {
                    gpus += h.gpuCount();
                    prioritySum = saturatingAdd(prioritySum, h.priority());
                }
            }
            if (blocked) {
                continue;
            }
            if (gpus < bestGpus || (gpus == bestGpus && prioritySum < bestPrioritySum)) {
                best = new Allocation(start, size, new ArrayList<>(victims));
                bestGpus = gpus;
                bestPrioritySum = prioritySum;
            }
        }
        return Optional.ofNullable(best);
    }

    /** How many aligned slices of {@code size} are free, and how many are held only by lower priorities. */
    public record SliceCounts(int free, int preemptible) {}

    public static SliceCounts count(int machineGpus, Collection<Hold> holds, int size, long priority) {
        int free = 0;
        int preemptible = 0;
        for (int start : starts(machineGpus, size)) {
            boolean any = false;
            boolean blocked = false;
            for (Hold h : holds) {
                if (h.overlaps(start, size)) {
                    any = true;
                    if (h.priority() >= priority) {
                        blocked = true;
                        break;
                    }
                }
            }
            if (!any) {
                free++;
            } else if (!blocked) {
                preemptible++;
            }
        }
        return new SliceCounts(free, preemptible);
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
