package dev.flotilla.agent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code capacity} lines a backend printed (stdout and stderr interleaved as they
 * arrive), what {@code flotilla logs} shows. Lines longer than {@link #MAX_LINE_CHARS} are cut
 * so that one runaway line cannot hold the agent's memory. Thread-safe.
 */
public final class LogBuffer {
    public static final int MAX_LINE_CHARS = 8_192;

    private final int capacity;
    private final ArrayDeque<String> lines;
    private long total;

    public LogBuffer(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("log capacity must be positive; got " + capacity);
        }
        this.capacity = capacity;
        this.lines = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    public synchronized void append(String line) {
        if (line.length() > MAX_LINE_CHARS) {
            line = line.substring(0, MAX_LINE_CHARS) + "... [cut at " + MAX_LINE_CHARS + " characters]";
        }
        if (lines.size() == capacity) {
            lines.removeFirst();
        }
        lines.addLast(line);
        total++;
    }

    /** All lines kept, oldest first. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** The last {@code n} lines kept, oldest first. */
    public synchronized List<String> tail(int n) {
        List<String> all = new ArrayList<>(lines);
        return List.copyOf(all.subList(Math.max(0, all.size() - n), all.size()));
    }

    /**
     * Up to {@code max} lines from position {@code from} on (positions count every line appended
     * since the start, so {@link #total()} is the position after the newest), oldest first. Lines
     * already dropped from the buffer are skipped and counted, so a reader that fell behind learns
     * how much it missed. Read on with {@link Slice#next()}.
     */
    public synchronized Slice since(long from, int max) {
        if (from < 0 || max < 0) {
            throw new IllegalArgumentException("from and max must not be negative; got " + from + ", " + max);
        }
        long oldestKept = total - lines.size();
        long start = Math.max(Math.min(from, total), oldestKept);
        int skip = (int) (start - oldestKept);
        int n = (int) Math.min(max, total - start);
        List<String> out = new ArrayList<>(n);
        var it = lines.iterator();
        for (int i = 0; i < skip; i++) {
            it.next();
        }
        for (int i = 0; i < n; i++) {
            out.add(it.next());
        }
        return new Slice(List.copyOf(out), Math.max(0, start - from), start + n);
    }

    /** Lines read by {@link #since}: {@code dropped} lines were lost before they could be read; read on from {@code next}. */
    public record Slice(List<String> lines, long dropped, long next) {
        public Slice {
            lines = List.copyOf(lines);
        }
    }

    /** Lines appended since the start, including those dropped. */
    public synchronized long total() {
        return total;
    }
}
