package dev.flotilla.bench.gateway;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The child processes the benchmark started (nginx, wrk), ended by a shutdown hook if the JVM is
 * stopped (Ctrl-C, SIGTERM) before the normal clean-up ran, so that no nginx outlives the run.
 */
final class ChildProcesses {
    private final List<Process> processes = new CopyOnWriteArrayList<>();

    ChildProcesses() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::destroyAll, "bench-child-cleanup"));
    }

    void add(Process p) {
        processes.removeIf(old -> !old.isAlive());
        processes.add(p);
    }

    private void destroyAll() {
        for (Process p : processes) {
            if (p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
            }
        }
    }
}
