package dev.flotilla.cli;

import java.util.PriorityQueue;

/**
 * A {@link LoadClock} that only moves when slept on: a sleep jumps to its deadline, running on the
 * way the timers that fall due (a fake server's answers), on the sleeping thread. Single-threaded
 * and exact: a test of the schedule asserts nanoseconds, not "about".
 */
final class LoadFakeClock implements LoadClock {
    private record Timer(long at, long seq, Runnable task) {}

    private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
            : Long.compare(a.seq, b.seq));
    private long now = 1_000_000_000L; // not zero: nothing may assume the clock starts there
    private long seq;

    @Override
    public long nanos() {
        return now;
    }

    @Override
    public void sleepUntil(long deadline) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted");
        }
        while (!timers.isEmpty() && timers.peek().at() <= deadline) {
            Timer t = timers.poll();
            now = Math.max(now, t.at());
            t.task().run();
        }
        now = Math.max(now, deadline);
    }

    /** Runs {@code task} when a sleep passes {@code nanosFromNow} from now. */
    void after(long nanosFromNow, Runnable task) {
        timers.add(new Timer(now + nanosFromNow, seq++, task));
    }

    /** Moves time on without running timers: work that takes the client's own time. */
    void spend(long nanos) {
        now += nanos;
    }
}
