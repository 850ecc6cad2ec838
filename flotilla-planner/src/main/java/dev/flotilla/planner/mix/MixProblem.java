package dev.flotilla.planner.mix;

import dev.flotilla.core.FlotillaException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The inputs of one mix decision: the workload's buckets, the deployable GPU options, how much of
 * each bucket one instance of each option serves within the SLO, and the mix running now.
 *
 * <p>{@code capacity[b][g]} is the requests per second of bucket {@code b} that ONE instance of
 * option {@code g} serves within the bucket's SLO when it serves only that bucket; 0 means it
 * cannot serve that bucket at the SLO (for example a 24 GB card and a 128k-token context). The
 * matrix has one row per bucket and one column per option, in list order. It is copied on the way
 * in and on the way out, so a problem cannot change after it was validated.
 *
 * <p>{@code previous} maps option ids to the instances running now (absent or 0 = none); empty
 * means "no current mix" and turns the stability term of {@link MixOptimizer} off. Every id in it
 * must be one of {@code options}: an option that has left the market stays in the list with
 * {@code available = 0}, so that moving its instances elsewhere is costed like any other move, and
 * a misspelt id is an error rather than a silently ignored entry.
 */
public record MixProblem(List<Bucket> buckets, List<GpuOption> options, double[][] capacity, Map<String, Integer> previous) {
    public MixProblem {
        buckets = nonEmptyCopy("buckets", buckets);
        options = nonEmptyCopy("options", options);
        requireUnique("buckets", "bucket name", buckets.stream().map(Bucket::name).toList());
        requireUnique("options", "option id", options.stream().map(GpuOption::id).toList());
        capacity = validCapacity(capacity, buckets, options);
        previous = validPrevious(previous, options);
    }

    /** A problem with no current mix. */
    public static MixProblem of(List<Bucket> buckets, List<GpuOption> options, double[][] capacity) {
        return new MixProblem(buckets, options, capacity, Map.of());
    }

    /** This problem with {@code previous} as the mix running now. */
    public MixProblem withPrevious(Map<String, Integer> previous) {
        return new MixProblem(buckets, options, capacity, previous);
    }

    /** This problem with every bucket's demand multiplied by {@code factor}. */
    public MixProblem scaled(double factor) {
        return new MixProblem(buckets.stream().map(b -> b.scaled(factor)).toList(), options, capacity, previous);
    }

    /** A copy of the capacity matrix, {@code [bucket][option]}. */
    @Override
    public double[][] capacity() {
        return Matrices.copy(capacity);
    }

    /** Requests per second of bucket {@code bucket} that one instance of option {@code option} serves. */
    public double capacity(int bucket, int option) {
        return capacity[bucket][option];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MixProblem p && buckets.equals(p.buckets) && options.equals(p.options)
                && Arrays.deepEquals(capacity, p.capacity) && previous.equals(p.previous);
    }

    @Override
    public int hashCode() {
        return ((buckets.hashCode() * 31 + options.hashCode()) * 31 + Arrays.deepHashCode(capacity)) * 31 + previous.hashCode();
    }

    @Override
    public String toString() {
        return "MixProblem[buckets=" + buckets + ", options=" + options + ", capacity=" + Arrays.deepToString(capacity)
                + ", previous=" + previous + "]";
    }

    private static <T> List<T> nonEmptyCopy(String field, List<T> list) {
        if (list == null || list.isEmpty()) {
            throw FlotillaException.invalid(field, field + " must list at least one entry, got " + (list == null ? "null" : "none"));
        }
        if (list.stream().anyMatch(Objects::isNull)) {
            throw FlotillaException.invalid(field, field + " must not contain null, got " + list);
        }
        return List.copyOf(list);
    }

    private static void requireUnique(String field, String what, List<String> keys) {
        Set<String> seen = new HashSet<>();
        for (String key : keys) {
            if (!seen.add(key)) {
                throw FlotillaException.invalid(field, field + " must have unique ids: " + what + " '" + key + "' appears twice");
            }
        }
    }

    private static double[][] validCapacity(double[][] capacity, List<Bucket> buckets, List<GpuOption> options) {
        if (capacity == null || capacity.length != buckets.size()) {
            throw FlotillaException.invalid("capacity", "capacity must have one row per bucket (" + buckets.size()
                    + "), got " + (capacity == null ? "null" : capacity.length + " rows"));
        }
        double[][] copy = new double[capacity.length][];
        for (int b = 0; b < capacity.length; b++) {
            double[] row = capacity[b];
            String field = "capacity[" + b + "]";
            if (row == null || row.length != options.size()) {
                throw FlotillaException.invalid(field, field + " (bucket " + buckets.get(b).name() + ") must have one entry per option ("
                        + options.size() + "), got " + (row == null ? "null" : row.length + " entries"));
            }
            for (int g = 0; g < row.length; g++) {
                if (!Double.isFinite(row[g]) || row[g] < 0) {
                    String cell = field + "[" + g + "]";
                    throw FlotillaException.invalid(cell, cell + " (bucket " + buckets.get(b).name() + " on option " + options.get(g).id()
                            + ") must be a finite req/s >= 0 (0 = cannot serve it at the SLO), got " + row[g]);
                }
            }
            copy[b] = row.clone();
        }
        return copy;
    }

    private static Map<String, Integer> validPrevious(Map<String, Integer> previous, List<GpuOption> options) {
        if (previous == null) {
            throw FlotillaException.invalid("previous", "previous must be a map of option id to instances (empty for none), got null");
        }
        Set<String> ids = new HashSet<>(options.stream().map(GpuOption::id).toList());
        // Kept in option order so that equal problems print and iterate alike.
        Map<String, Integer> ordered = new LinkedHashMap<>();
        for (GpuOption option : options) {
            Integer n = previous.get(option.id());
            if (n != null) {
                ordered.put(option.id(), n);
            }
        }
        for (Map.Entry<String, Integer> e : previous.entrySet()) {
            if (e.getKey() == null || !ids.contains(e.getKey())) {
                throw FlotillaException.invalid("previous", "previous names option " + e.getKey() + ", which is not among the options "
                        + ids.stream().sorted().toList() + "; list an option that left the market with available=0");
            }
            if (e.getValue() == null || e.getValue() < 0) {
                throw FlotillaException.invalid("previous",
                        "previous instances of option " + e.getKey() + " must be >= 0, got " + e.getValue());
            }
        }
        return Collections.unmodifiableMap(ordered);
    }
}
