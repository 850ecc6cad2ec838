package dev.flotilla.cli;

import java.time.Duration;

/**
 * The replay's time: wall time in real runs; in tests a fake whose sleeps advance it at once, so
 * that the schedule (send times, progress ticks, the duration cut-off) is asserted exactly and
 * without waiting.
 */
interface LoadClock {
    /** A monotonic reading in nanoseconds; only differences mean anything. */
    long nanos();

    /** Returns once {@link #nanos()} has reached {@code deadline}; at once when it has already. */
    void sleepUntil(long deadline) throws InterruptedException;

    /** {@link System#nanoTime()} and {@link Thread#sleep(Duration)}. */
    static LoadClock system() {
        return Wall.INSTANCE;
    }

    /** The wall clock, as an enum singleton. */
    enum Wall implements LoadClock {
        INSTANCE;

        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public void sleepUntil(long deadline) throws InterruptedException {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                Thread.sleep(Duration.ofNanos(left));
            }
        }
    }
}
