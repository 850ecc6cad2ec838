package dev.flotilla.bench.gateway;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where the CPU went during one measurement, in cores (CPU seconds per wall second): the machine as
 * a whole ({@code /proc/stat}); inside this JVM the gateway's event loops, the upstream's and the
 * rest (JIT, GC); nginx's processes; and every process outside this benchmark's process tree that
 * was alive at both ends (other people's builds on a shared machine). A ratio measured while others
 * took a core is a ratio of what was left.
 *
 * <p>Linux only; elsewhere the process figures are zero.
 */
final class CpuSampler {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final long SELF = ProcessHandle.current().pid();

    private final long wallStart = System.nanoTime();
    private final long[] machineStart = machine();
    private final Map<Long, Long> threadStart = threadCpu();
    private final Set<Long> treeStart = tree();
    private final Map<Long, ProcStat> procStart = processes();

    private CpuSampler() {}

    static CpuSampler start() {
        return new CpuSampler();
    }

    /**
     * CPU use since {@link #start()}, in cores.
     *
     * @param machineBusy all cores busy (user, system, interrupts; not idle, iowait or steal)
     * @param gatewayLoops the gateway's event loops together
     * @param gatewayBusiestLoop the busiest gateway event loop (1.0 = one core saturated)
     * @param gatewayLoopsActive gateway event loops that used more than 5% of a core
     * @param upstreamLoops the fast upstream's event loops
     * @param jvmOther the rest of this JVM (JIT compilers, GC, the benchmark itself)
     * @param nginx nginx's master and workers
     * @param others processes outside this benchmark (alive at both ends of the measurement)
     * @param busiestOthers the commands of the other processes that used most, with their cores
     */
    record Sample(double machineBusy, double gatewayLoops, double gatewayBusiestLoop, int gatewayLoopsActive,
            double upstreamLoops, double jvmOther, double nginx, double others, String busiestOthers) {}

    Sample stop(Set<Long> upstreamThreads) {
        long[] machine = machine();
        Map<Long, Long> threads = threadCpu();
        Map<Long, ProcStat> procs = processes();
        Set<Long> tree = tree();
        double wallSeconds = (System.nanoTime() - wallStart) / 1e9;

        long total = 0;
        long idle = 0;
        for (int i = 0; i < machine.length; i++) {
            long d = machine[i] - machineStart[i];
            total += d;
            if (i == 3 || i == 4 || i == 7) { // idle, iowait, steal
                idle += d;
            }
        }
        double cores = Runtime.getRuntime().availableProcessors();
        double busy = total == 0 ? Double.NaN : cores * (1.0 - (double) idle / total);

        Map<Long, String> names = new HashMap<>();
        for (ThreadInfo info : THREADS.getThreadInfo(threads.keySet().stream().mapToLong(Long::longValue).toArray())) {
            if (info != null) {
                names.put(info.getThreadId(), info.getThreadName());
            }
        }
        double gateway = 0;
        double busiest = 0;
        int active = 0;
        double upstream = 0;
        double jvm = 0;
        for (var e : threads.entrySet()) {
            double used = (e.getValue() - threadStart.getOrDefault(e.getKey(), 0L)) / 1e9 / wallSeconds;
            if (upstreamThreads.contains(e.getKey())) {
                upstream += used;
            } else if (names.getOrDefault(e.getKey(), "").startsWith("vert.x-eventloop-thread")) {
                gateway += used;
                busiest = Math.max(busiest, used);
                if (used > 0.05) {
                    active++;
                }
            } else {
                jvm += used;
            }
        }

        double nginx = 0;
        double others = 0;
        Map<String, Double> byCommand = new HashMap<>();
        for (var e : procs.entrySet()) {
            ProcStat before = procStart.get(e.getKey());
            if (before == null || !before.command().equals(e.getValue().command()) || e.getKey() == SELF) {
                continue;
            }
            double used = (e.getValue().ticks() - before.ticks()) / (double) ProcStat.TICKS_PER_SECOND / wallSeconds;
            boolean ours = tree.contains(e.getKey()) || treeStart.contains(e.getKey());
            if (ours && e.getValue().command().equals("nginx")) {
                nginx += used;
            } else if (!ours) {
                others += used;
                byCommand.merge(e.getValue().command(), used, Double::sum);
            }
        }
        String busiestOthers = byCommand.entrySet().stream()
                .filter(e -> e.getValue() >= 0.05)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(3)
                .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", "));
        return new Sample(busy, gateway, busiest, active, upstream, jvm, nginx, others, busiestOthers);
    }

    private static Map<Long, Long> threadCpu() {
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            long t = THREADS.getThreadCpuTime(id);
            if (t >= 0) {
                cpu.put(id, t);
            }
        }
        return cpu;
    }

    private static Set<Long> tree() {
        Set<Long> pids = ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toCollection(HashSet::new));
        pids.add(SELF);
        return pids;
    }

    /** The aggregate {@code cpu} line of /proc/stat (clock ticks), or zeros where there is none. */
    private static long[] machine() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long[] v = new long[8];
                    for (int i = 0; i < v.length && i + 1 < f.length; i++) {
                        v[i] = Long.parseLong(f[i + 1]);
                    }
                    return v;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no machine figure
        }
        return new long[8];
    }

    /** One process's command name and CPU time (user + system, clock ticks) from /proc/[pid]/stat. */
    private record ProcStat(String command, long ticks) {
        /** USER_HZ: 100 on every Linux architecture the benchmark runs on. */
        static final long TICKS_PER_SECOND = 100;

        static ProcStat parse(String stat) {
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            String[] f = stat.substring(close + 2).split(" ");
            // after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
            return new ProcStat(stat.substring(open + 1, close), Long.parseLong(f[11]) + Long.parseLong(f[12]));
        }
    }

    private static Map<Long, ProcStat> processes() {
        Map<Long, ProcStat> procs = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path dir : dirs) {
                try {
                    procs.put(Long.parseLong(dir.getFileName().toString()),
                            ProcStat.parse(Files.readString(dir.resolve("stat"))));
                } catch (IOException | RuntimeException gone) {
                    // the process ended while we read
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no process figures
        }
        return procs;
    }
}
