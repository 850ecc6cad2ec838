package dev.flotilla.market.query;

import static java.util.Objects.requireNonNull;

import dev.flotilla.market.offer.Offer;
import dev.flotilla.market.offer.RentalType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * An immutable, columnar in-memory index over a fixed list of offers, answering
 * {@link OfferQuery} searches without touching the {@link Offer} records until the result is
 * built. Build a new index when the offers change; a built index is safe to share between
 * threads.
 *
 * <p>Layout: one {@code double[]} per numeric field (booleans as 0/1 and versions encoded as
 * {@link QueryField#numeric} does, so the index can never disagree with it), the
 * context-dependent fields ({@code dph}, {@code dph_total}, {@code dlperf_usd},
 * {@code flops_usd}) precomputed for every {@link RentalType} at the default disk size, a
 * bitset per boolean field, and strings interned to int codes by their case-insensitive key.
 *
 * <p>A search keeps the candidate rows as a bitset: boolean conditions are word-wise ANDs,
 * string conditions look the row's code up in a per-search table of accepted codes, numeric
 * conditions test only rows still set. Then one of two ways to the first {@code limit} rows in
 * order, whichever touches fewer rows: a bounded max-heap over the m matches (O(m log limit)
 * rather than sorting them all), or, for broad queries, a walk down a presorted permutation of
 * the first sort key's column that stops after {@code limit} matches. Ties under the sort keys
 * are broken by input position, which is what the stable sort of {@link NaiveOfferFilter} does,
 * so the two return identical lists.
 *
 * <pre>{@code
 * OfferIndex index = new OfferIndex(offers);
 * List<Offer> cheapest = index.search(
 *         OfferQuery.parse("gpu_ram>=24 compute_cap>=800 dph<2"), SortOrder.parse("dph"), 20, SearchContext.defaults());
 * }</pre>
 */
public final class OfferIndex implements OfferSearch {
    private static final QueryField[] FIELDS = QueryField.values();
    private static final RentalType[] TYPES = RentalType.values();

    private final Offer[] offers;
    private final long[] allRows;
    /** By field ordinal: numeric value per row; for STRING fields the row's rank in key order, for sorting. */
    private final double[][] columns;
    /** By field ordinal, then rental type ordinal: context-dependent fields at the default disk size. */
    private final double[][][] contextual;
    private final long[][] priceMicros;
    private final long[] storageMicros;
    /** By field ordinal: bitset of rows where a BOOL field is true. */
    private final long[][] flags;
    /** By field ordinal: interned STRING fields ({@code geolocation} holds the country). */
    private final StringColumn[] strings;
    private final StringColumn regions;
    /** Sort permutations by {@link #permutationSlot}, built lazily: most columns are never sorted on. */
    private final AtomicReferenceArray<int[]> permutations = new AtomicReferenceArray<>(FIELDS.length * (1 + TYPES.length));

    /** Interned strings: {@code codes[row]} indexes {@code keys}; {@code rank[code]} orders keys. */
    private record StringColumn(int[] codes, Map<String, Integer> codeOfKey, int[] rank) {
        static StringColumn of(Offer[] offers, Function<Offer, String> text) {
            int[] codes = new int[offers.length];
            Map<String, Integer> codeOfKey = new HashMap<>();
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < offers.length; i++) {
                String key = QueryText.key(text.apply(offers[i]));
                Integer code = codeOfKey.get(key);
                if (code == null) {
                    code = keys.size();
                    codeOfKey.put(key, code);
                    keys.add(key);
                }
                codes[i] = code;
            }
            Integer[] byKey = new Integer[keys.size()];
            for (int c = 0; c < byKey.length; c++) {
                byKey[c] = c;
            }
            Arrays.sort(byKey, Comparator.comparing(keys::get));
            int[] rank = new int[byKey.length];
            for (int r = 0; r < byKey.length; r++) {
                rank[byKey[r]] = r;
            }
            return new StringColumn(codes, Map.copyOf(codeOfKey), rank);
        }

        /** Per code: whether its key is one of {@code values}' keys. */
        boolean[] accepting(List<String> values) {
            boolean[] accept = new boolean[rank.length];
            for (String v : values) {
                Integer code = codeOfKey.get(QueryText.key(v));
                if (code != null) {
                    accept[code] = true;
                }
            }
            return accept;
        }
    }

    public OfferIndex(List<Offer> offerList) {
        requireNonNull(offerList, "offers is null");
        this.offers = offerList.toArray(new Offer[0]);
        int n = offers.length;
        this.allRows = new long[(n + 63) >>> 6];
        for (int i = 0; i < n; i++) {
            allRows[i >>> 6] |= 1L << i;
        }
        this.columns = new double[FIELDS.length][];
        this.contextual = new double[FIELDS.length][][];
        this.flags = new long[FIELDS.length][];
        this.strings = new StringColumn[FIELDS.length];
        SearchContext any = SearchContext.defaults();
        for (QueryField f : FIELDS) {
            int fi = f.ordinal();
            switch (f.type()) {
                case STRING -> {
                    StringColumn col = StringColumn.of(offers, f::text);
                    strings[fi] = col;
                    columns[fi] = new double[n];
                    for (int i = 0; i < n; i++) {
                        columns[fi][i] = col.rank()[col.codes()[i]];
                    }
                }
                case BOOL -> {
                    flags[fi] = new long[allRows.length];
                    columns[fi] = new double[n];
                    for (int i = 0; i < n; i++) {
                        if (f.flag(offers[i])) {
                            flags[fi][i >>> 6] |= 1L << i;
                            columns[fi][i] = 1;
                        }
                    }
                }
                case NUMBER, VERSION -> {
                    if (f.dependsOnContext()) {
                        contextual[fi] = new double[TYPES.length][];
                        for (RentalType t : TYPES) {
                            contextual[fi][t.ordinal()] = column(f, SearchContext.of(t));
                        }
                    } else {
                        columns[fi] = column(f, any);
                    }
                }
            }
        }
        this.regions = StringColumn.of(offers, Offer::region);
        this.priceMicros = new long[TYPES.length][n];
        this.storageMicros = new long[n];
        for (int i = 0; i < n; i++) {
            for (RentalType t : TYPES) {
                priceMicros[t.ordinal()][i] = offers[i].pricePerHour(t).micros();
            }
            storageMicros[i] = offers[i].storagePerGbMonth().micros();
        }
    }

    private double[] column(QueryField f, SearchContext ctx) {
        double[] col = new double[offers.length];
        for (int i = 0; i < col.length; i++) {
            col[i] = f.numeric(offers[i], ctx);
        }
        return col;
    }

    /** How many offers the index holds. */
    public int size() {
        return offers.length;
    }

    @Override
    public List<Offer> search(OfferQuery query, SortOrder order, int limit, SearchContext ctx) {
        OfferSearch.checkLimit(limit);
        requireNonNull(order, "order is null");
        long[] rows = filter(query, ctx);
        int matches = cardinality(rows);
        if (matches == 0) {
            return List.of();
        }
        List<SortOrder.Key> keys = order.keys();
        SortOrder.Key first = keys.getFirst();
        int slot = permutationSlot(first.field(), ctx);
        int[] best;
        // Walking the presorted rows visits about limit * n / matches rows; the heap visits all
        // matches. Take whichever is expected to touch fewer.
        if (slot >= 0 && (long) limit * offers.length < (long) matches * matches) {
            best = walkPermutation(rows, permutation(slot, first.field(), ctx), sortColumn(first.field(), ctx),
                    first.descending(), new RowOrder(keys.subList(1, keys.size()), ctx), limit);
        } else {
            best = selectBest(matchingRows(rows, matches), matches, limit, new RowOrder(keys, ctx));
        }
        Offer[] out = new Offer[best.length];
        for (int i = 0; i < best.length; i++) {
            out[i] = offers[best[i]];
        }
        return List.of(out);
    }

    @Override
    public int count(OfferQuery query, SearchContext ctx) {
        return cardinality(filter(query, ctx));
    }

    private static int[] matchingRows(long[] rows, int matches) {
        int[] out = new int[matches];
        int k = 0;
        for (int w = 0; w < rows.length; w++) {
            long word = rows[w];
            while (word != 0) {
                out[k++] = (w << 6) + Long.numberOfTrailingZeros(word);
                word &= word - 1;
            }
        }
        return out;
    }

    /**
     * The best {@code min(limit, m)} of {@code candidates[0..m)}, best first: a bounded max-heap
     * whose root is the worst row kept, so a candidate costs one comparison unless it gets in,
     * then a heap sort of what was kept. O(m log limit).
     */
    private static int[] selectBest(int[] candidates, int m, int limit, RowOrder order) {
        int[] heap = new int[Math.min(limit, m)];
        int k = 0;
        for (int i = 0; i < m; i++) {
            int row = candidates[i];
            if (k < heap.length) {
                heap[k] = row;
                siftUp(heap, k++, order);
            } else if (order.compare(row, heap[0]) < 0) {
                heap[0] = row;
                siftDown(heap, 0, k, order);
            }
        }
        for (int end = k - 1; end > 0; end--) {
            int top = heap[0];
            heap[0] = heap[end];
            heap[end] = top;
            siftDown(heap, 0, end, order);
        }
        return heap;
    }

    /**
     * Takes matching rows in the order of the first sort key by walking its presorted
     * permutation, one group of equal first-key values at a time; within a group the remaining
     * keys (and then input position) decide, via {@link #selectBest}. Stops once {@code limit}
     * rows are taken, so a broad query with a small limit reads only the head of the order.
     */
    private static int[] walkPermutation(long[] rows, int[] perm, double[] col, boolean descending, RowOrder rest, int limit) {
        int[] out = new int[limit];
        int k = 0;
        int[] group = new int[16];
        int n = perm.length;
        int i = descending ? n : 0;
        while (k < limit && (descending ? i > 0 : i < n)) {
            // The group is perm[from..to) holding one value of the first key.
            int from;
            int to;
            if (descending) {
                to = i;
                from = i - 1;
                double v = col[perm[from]];
                while (from > 0 && Double.compare(col[perm[from - 1]], v) == 0) {
                    from--;
                }
                i = from;
            } else {
                from = i;
                to = i + 1;
                double v = col[perm[from]];
                while (to < n && Double.compare(col[perm[to]], v) == 0) {
                    to++;
                }
                i = to;
            }
            int m = 0;
            for (int p = from; p < to; p++) {
                int row = perm[p];
                if ((rows[row >>> 6] & (1L << row)) != 0) {
                    if (m == group.length) {
                        group = Arrays.copyOf(group, m * 2);
                    }
                    group[m++] = row;
                }
            }
            if (m == 1) {
                out[k++] = group[0];
            } else if (m > 1) {
                int[] taken = selectBest(group, m, limit - k, rest);
                System.arraycopy(taken, 0, out, k, taken.length);
                k += taken.length;
            }
        }
        return k == limit ? out : Arrays.copyOf(out, k);
    }

    /** Max-heap by {@link RowOrder}: the root is the worst row kept so far. */
    private static void siftUp(int[] heap, int i, RowOrder order) {
        int row = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (order.compare(row, heap[parent]) <= 0) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = row;
    }

    private static void siftDown(int[] heap, int i, int size, RowOrder order) {
        int row = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && order.compare(heap[child + 1], heap[child]) > 0) {
                child++;
            }
            if (order.compare(heap[child], row) <= 0) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = row;
    }

    /** Sort keys resolved to columns; rows equal on every key compare by input position. */
    private final class RowOrder {
        private final double[][] cols;
        private final boolean[] descending;

        RowOrder(List<SortOrder.Key> keys, SearchContext ctx) {
            cols = new double[keys.size()][];
            descending = new boolean[keys.size()];
            for (int k = 0; k < cols.length; k++) {
                cols[k] = sortColumn(keys.get(k).field(), ctx);
                descending[k] = keys.get(k).descending();
            }
        }

        int compare(int a, int b) {
            for (int k = 0; k < cols.length; k++) {
                int c = Double.compare(cols[k][a], cols[k][b]);
                if (c != 0) {
                    return descending[k] ? -c : c;
                }
            }
            return Integer.compare(a, b);
        }
    }

    /** The column a field sorts by: its numeric column, or for strings the rank of the key. */
    private double[] sortColumn(QueryField f, SearchContext ctx) {
        return f.type() == QueryField.Type.STRING ? columns[f.ordinal()] : numericColumn(f, ctx);
    }

    /**
     * Where the permutation of a sort column is cached, or -1 for a column computed per search
     * ({@code dph_total} at a non-default disk size).
     */
    private static int permutationSlot(QueryField f, SearchContext ctx) {
        if (!f.dependsOnContext()) {
            return f.ordinal();
        }
        if (f == QueryField.DPH_TOTAL && ctx.diskGb() != SearchContext.DEFAULT_DISK_GB) {
            return -1;
        }
        return FIELDS.length + f.ordinal() * TYPES.length + ctx.type().ordinal();
    }

    /**
     * Row numbers ordered by the column's value ({@link Double#compare} order), built on first
     * use and kept: a sort of (dense value rank, row) pairs packed into longs, so it needs no
     * boxing. Two threads may both build one; they build the same array.
     */
    private int[] permutation(int slot, QueryField f, SearchContext ctx) {
        int[] perm = permutations.get(slot);
        if (perm != null) {
            return perm;
        }
        double[] col = sortColumn(f, ctx);
        double[] distinct = col.clone();
        Arrays.sort(distinct);
        int d = 0;
        for (int i = 0; i < distinct.length; i++) {
            if (i == 0 || Double.compare(distinct[i], distinct[d - 1]) != 0) {
                distinct[d++] = distinct[i];
            }
        }
        long[] packed = new long[col.length];
        for (int row = 0; row < col.length; row++) {
            long rank = Arrays.binarySearch(distinct, 0, d, col[row]);
            packed[row] = rank << 32 | row;
        }
        Arrays.sort(packed);
        perm = new int[col.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = (int) packed[i];
        }
        permutations.compareAndSet(slot, null, perm);
        return permutations.get(slot);
    }

    /** The rows matching every condition, as a bitset. */
    private long[] filter(OfferQuery query, SearchContext ctx) {
        requireNonNull(query, "query is null");
        requireNonNull(ctx, "ctx is null");
        long[] rows = allRows.clone();
        // Cheapest and usually most selective first, so later numeric passes visit fewer rows.
        List<Condition> conditions = new ArrayList<>(query.conditions());
        conditions.sort(Comparator.comparingInt(c -> switch (c.field().type()) {
            case BOOL -> 0;
            case STRING -> 1;
            case NUMBER, VERSION -> 2;
        }));
        for (Condition c : conditions) {
            switch (c.field().type()) {
                case BOOL -> applyFlag(rows, c);
                case STRING -> applyString(rows, c);
                case NUMBER, VERSION -> applyNumeric(rows, numericColumn(c.field(), ctx), c.op(), c.numbers());
            }
        }
        return rows;
    }

    private void applyFlag(long[] rows, Condition c) {
        boolean acceptTrue = false;
        boolean acceptFalse = false;
        for (double v : c.numbers()) {
            acceptTrue |= v == 1;
            acceptFalse |= v == 0;
        }
        if (c.op().isNegated()) {
            acceptTrue = !acceptTrue;
            acceptFalse = !acceptFalse;
        }
        long[] bits = flags[c.field().ordinal()];
        if (acceptTrue && acceptFalse) {
            return;
        }
        for (int w = 0; w < rows.length; w++) {
            rows[w] &= acceptTrue ? bits[w] : acceptFalse ? ~bits[w] : 0;
        }
    }

    private void applyString(long[] rows, Condition c) {
        StringColumn col = strings[c.field().ordinal()];
        int[] codes = col.codes();
        boolean[] accept = col.accepting(c.values());
        boolean negated = c.op().isNegated();
        if (c.field() == QueryField.GEOLOCATION) {
            int[] regionCodes = regions.codes();
            boolean[] acceptRegion = regions.accepting(c.values());
            for (int w = 0; w < rows.length; w++) {
                long word = rows[w];
                long keep = word;
                while (word != 0) {
                    int b = Long.numberOfTrailingZeros(word);
                    word &= word - 1;
                    int row = (w << 6) + b;
                    if ((accept[codes[row]] || acceptRegion[regionCodes[row]]) == negated) {
                        keep &= ~(1L << b);
                    }
                }
                rows[w] = keep;
            }
            return;
        }
        for (int w = 0; w < rows.length; w++) {
            long word = rows[w];
            long keep = word;
            while (word != 0) {
                int b = Long.numberOfTrailingZeros(word);
                word &= word - 1;
                if (accept[codes[(w << 6) + b]] == negated) {
                    keep &= ~(1L << b);
                }
            }
            rows[w] = keep;
        }
    }

    private static void applyNumeric(long[] rows, double[] col, Operator op, double[] values) {
        for (int w = 0; w < rows.length; w++) {
            long word = rows[w];
            long keep = word;
            while (word != 0) {
                int b = Long.numberOfTrailingZeros(word);
                word &= word - 1;
                if (!op.test(col[(w << 6) + b], values)) {
                    keep &= ~(1L << b);
                }
            }
            rows[w] = keep;
        }
    }

    /** The column of a NUMBER, VERSION or BOOL field in this search's context. */
    private double[] numericColumn(QueryField f, SearchContext ctx) {
        if (!f.dependsOnContext()) {
            return columns[f.ordinal()];
        }
        int t = ctx.type().ordinal();
        if (f != QueryField.DPH_TOTAL || ctx.diskGb() == SearchContext.DEFAULT_DISK_GB) {
            return contextual[f.ordinal()][t];
        }
        // Same arithmetic as Offer.totalPerHour, so the result equals the accessor's to the bit.
        double[] col = new double[offers.length];
        long[] price = priceMicros[t];
        double diskGb = ctx.diskGb();
        for (int i = 0; i < col.length; i++) {
            long micros = price[i] + Math.round(storageMicros[i] * diskGb / 720.0);
            col[i] = micros / 1_000_000.0;
        }
        return col;
    }

    private static int cardinality(long[] rows) {
        int n = 0;
        for (long w : rows) {
            n += Long.bitCount(w);
        }
        return n;
    }
}
