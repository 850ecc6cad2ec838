package dev.flotilla.traces;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SplittableRandom;

/**
 * Arrivals of a ServeGen model, merged over clients in time order, generated lazily: memory is one
 * small process per client, whatever the trace's length (m-mid's 14 days hold about 2.2 billion
 * arrivals at rate scale 1).
 *
 * <p>Each client window draws from its own generators, seeded from (seed, client id, window
 * start), so a client's arrivals in a window are the same whichever clients, range or other
 * windows are selected. Token lengths come from a second generator of the window, so choosing
 * another length model changes no arrival time. Ties between clients go to the lower client id.
 */
final class ServeGenSource implements Source {
    private static final Renewal.Kind[] KINDS = Renewal.Kind.values();

    /** Salt of the lengths' generator, so it is not the arrivals' one. */
    private static final long LENGTH_STREAM = 0x6c656e67746873L; // "lengths"

    private final Process[] heap;
    private int size;
    private final double expected;

    ServeGenSource(ServeGenModel model, ReadOptions options, TokenLengths lengths) {
        double fromS = options.fromMicros() / 1e6;
        double untilS = options.untilMicros() == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : options.untilMicros() / 1e6;
        List<ServeGenModel.Client> chosen = new ArrayList<>(model.clients);
        if (options.selectsClients() && chosen.size() > options.maxClients()) {
            // the busiest clients in the range carry most of the load and its daily shape
            chosen.sort(Comparator.comparingDouble((ServeGenModel.Client c) -> -c.expected(fromS, untilS, 1))
                    .thenComparingInt(ServeGenModel.Client::id));
            chosen = new ArrayList<>(chosen.subList(0, options.maxClients()));
            chosen.sort(Comparator.comparingInt(ServeGenModel.Client::id));
        }
        double sum = 0;
        heap = new Process[chosen.size()];
        for (ServeGenModel.Client c : chosen) {
            sum += c.expected(fromS, untilS, options.rateScale());
            Process p = new Process(c, options, lengths);
            if (p.advance()) {
                heap[size++] = p;
            }
        }
        expected = sum;
        for (int i = size / 2 - 1; i >= 0; i--) {
            siftDown(i);
        }
    }

    /** Expected arrivals over the selection: sum of rate * scale * window length. */
    double expected() {
        return expected;
    }

    @Override
    public TraceRequest next() {
        if (size == 0) {
            return null;
        }
        Process p = heap[0];
        TraceRequest r = new TraceRequest(p.micros, p.input, p.output, TraceRequest.NO_HASHES, p.tag, OptionalDouble.empty());
        if (!p.advance()) {
            heap[0] = heap[--size];
            heap[size] = null;
        }
        if (size > 0) {
            siftDown(0);
        }
        return r;
    }

    private void siftDown(int i) {
        Process x = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && before(heap[child + 1], heap[child])) {
                child++;
            }
            if (!before(heap[child], x)) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = x;
    }

    private static boolean before(Process a, Process b) {
        return a.micros < b.micros || (a.micros == b.micros && a.client.id() < b.client.id());
    }

    @Override
    public void close() {
        size = 0;
    }

    /** One client's arrivals: its windows in turn, each a stationary renewal process. */
    private static final class Process {
        private final ServeGenModel.Client client;
        private final Optional<String> tag;
        private final long seed;
        private final double scale;
        private final long fromMicros;
        private final long untilMicros;
        private final TokenLengths.Sampler lengths;
        private int window = -1;
        private SplittableRandom random;
        private SplittableRandom lengthRandom;
        private Renewal renewal;
        private double time;
        private double windowEnd;
        private boolean open;
        long micros;
        int input;
        int output;

        Process(ServeGenModel.Client client, ReadOptions options, TokenLengths lengths) {
            this.client = client;
            this.tag = Optional.of("client-" + client.id());
            this.seed = options.seed();
            this.scale = options.rateScale();
            this.fromMicros = options.fromMicros();
            this.untilMicros = options.untilMicros();
            this.lengths = lengths.sampler();
        }

        /** Moves to the next arrival in range; false when the client has none left. */
        boolean advance() {
            while (true) {
                if (open) {
                    time += renewal.gap(random);
                    if (emit()) {
                        return true;
                    }
                    continue;
                }
                if (!openNextWindow()) {
                    return false;
                }
                time = client.start()[window] + renewal.first(random);
                if (emit()) {
                    return true;
                }
            }
        }

        /** Whether {@code time} is an arrival to hand out; draws its lengths. Closes the window past its end. */
        private boolean emit() {
            if (time >= windowEnd) {
                open = false;
                return false;
            }
            long t = (long) (time * 1e6);
            if (t >= untilMicros) {
                open = false;
                return false;
            }
            input = lengths.input(lengthRandom);
            output = lengths.output(lengthRandom);
            micros = t;
            return t >= fromMicros; // arrivals before the range are drawn, then dropped: the rest stay the same
        }

        private boolean openNextWindow() {
            long[] start = client.start();
            while (++window < start.length) {
                long s = start[window];
                long end = s + client.length()[window];
                if (s * 1_000_000L >= untilMicros) {
                    return false;
                }
                if (end * 1_000_000L <= fromMicros || client.kind()[window] < 0) {
                    continue;
                }
                double rate = client.rate()[window] * scale;
                renewal = new Renewal(KINDS[client.kind()[window]], client.shape()[window], rate);
                long windowSeed = mix(mix(mix(seed) + client.id()) + s);
                random = new SplittableRandom(windowSeed);
                lengthRandom = new SplittableRandom(mix(windowSeed ^ LENGTH_STREAM));
                windowEnd = end;
                open = true;
                return true;
            }
            return false;
        }
    }

    /** SplitMix64's finaliser (Steele, Lea, Flood 2014): decorrelates neighbouring seeds. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
