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

    /** Lines appended since the start, including those dropped. */
    public synchronized long total() {
        return total;
    }
}
