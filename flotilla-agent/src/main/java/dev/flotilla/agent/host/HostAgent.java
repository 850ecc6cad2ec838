package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's control-plane loop: on {@link #start} it makes sure its machine is listed, once,
 * then heartbeats it every interval until closed.
 *
 * <p>The machine id is kept in {@code <state-dir>/machine-id}, so a restarted agent reuses its
 * machine instead of listing a second one; it registers anew only when that machine is no longer
 * among the host's. Several agents on one machine each need their own state directory: a lock
 * file ({@code <state-dir>/agent.lock}) refuses a second agent on the same one. A failed heartbeat
 * is logged and retried at the next interval; it never stops the agent. What runs for the machine
 * (the worker loop, its supervisor) is handed to {@link #closeWith}, so that closing the agent,
 * from a shutdown hook too, stops it first.
 *
 * <pre>
 *   try (HostAgent agent = HostAgent.start(client, registration, Path.of("/var/lib/flotilla"), Duration.ofSeconds(30))) {
 *       agent.machineId();
 *   }
 * </pre>
 */
public final class HostAgent implements AutoCloseable {
    public static final String MACHINE_ID_FILE = "machine-id";
    public static final String LOCK_FILE = "agent.lock";

    private static final Logger LOG = LoggerFactory.getLogger(HostAgent.class);

    private final ControlPlaneClient client;
    private final long machineId;
    private final boolean reused;
    private final Duration interval;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ScheduledExecutorService scheduler;
    private final AtomicLong heartbeats = new AtomicLong();
    private final AtomicReference<Optional<String>> lastError = new AtomicReference<>(Optional.empty());
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Deque<AutoCloseable> closeFirst = new ArrayDeque<>();

    private HostAgent(ControlPlaneClient client, long machineId, boolean reused, Duration interval, FileChannel lockChannel,
            FileLock lock) {
        this.client = client;
        this.machineId = machineId;
        this.reused = reused;
        this.interval = interval;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("flotilla-agent-heartbeat-" + machineId).factory());
    }

    /**
     * Registers the machine (or reuses the one in {@code stateDir}), then heartbeats it every
     * {@code interval}, the first at once. {@code stateDir} is created where missing. The client
     * stays the caller's.
     */
    public static HostAgent start(ControlPlaneClient client, MachineRegistration registration, Path stateDir, Duration interval) {
        requireNonNull(client, "client is null");
        requireNonNull(registration, "registration is null");
        requireNonNull(stateDir, "stateDir is null");
        requireNonNull(interval, "interval is null");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("heartbeat interval must be positive, got " + interval);
        }
        FileChannel channel;
        FileLock lock;
        try {
            Files.createDirectories(stateDir);
            channel = FileChannel.open(stateDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not use state directory " + stateDir + ": " + e.getMessage(), e);
        }
        try {
            lock = channel.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            closeQuietly(channel);
            throw new IllegalStateException("state directory " + stateDir + " is in use by another agent; give each agent its"
                    + " own --state-dir");
        }
        try {
            Path idFile = stateDir.resolve(MACHINE_ID_FILE);
            Optional<Long> saved = readMachineId(idFile);
            long id;
            boolean reused = false;
            Optional<MachineInfo> existing = saved.flatMap(s -> client.machines().stream().filter(m -> m.id() == s).findFirst());
            if (existing.isPresent()) {
                MachineInfo m = existing.get();
                id = m.id();
                reused = true;
                if (!m.gpuModel().equals(registration.gpus().model().id()) || m.numGpus() != registration.gpus().count()) {
                    LOG.warn("machine {} from {} is listed with {}x {}, not {}; delete the file to list this machine anew", id,
                            idFile, m.numGpus(), m.gpuModel(), registration.gpus().describe());
                }
                LOG.info("reusing machine {} ({}) from {} at {}", id, registration.gpus().describe(), idFile, client.base());
            } else {
                saved.ifPresent(s -> LOG.warn("machine {} from {} is not among this host's machines; registering a new one", s,
                        idFile));
                id = client.register(registration).id();
                writeMachineId(idFile, id);
                LOG.info("registered machine {} ({}) with {}", id, registration.gpus().describe(), client.base());
            }
            HostAgent agent = new HostAgent(client, id, reused, interval, channel, lock);
            agent.scheduler.scheduleWithFixedDelay(agent::beat, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
            return agent;
        } catch (RuntimeException e) {
            releaseQuietly(lock);
            closeQuietly(channel);
            throw e;
        }
    }

    public long machineId() {
        return machineId;
    }

    /** Whether the machine came from the state directory rather than a new registration. */
    public boolean reused() {
        return reused;
    }

    public Duration interval() {
        return interval;
    }

    /** Heartbeats the control plane accepted so far. */
    public long heartbeats() {
        return heartbeats.get();
    }

    /** The last heartbeat's failure, cleared by the next success. */
    public Optional<String> lastHeartbeatError() {
        return lastError.get();
    }

    /** Sends one heartbeat now; a failure is recorded and logged, never thrown. */
    public void beat() {
        try {
            client.heartbeat(machineId);
            heartbeats.incrementAndGet();
            if (lastError.getAndSet(Optional.empty()).isPresent()) {
                LOG.info("heartbeats for machine {} accepted again", machineId);
            }
        } catch (RuntimeException e) {
            // the scheduler would stop on a thrown exception; the next interval retries instead
            if (lastError.getAndSet(Optional.of(e.getMessage() == null ? e.toString() : e.getMessage())).isEmpty()) {
                LOG.warn("heartbeat for machine {} failed: {}", machineId, e.getMessage());
            }
        }
    }

    /**
     * Has {@link #close} close {@code resource} before it stops heartbeating, the last one handed
     * over first (the worker loop after the supervisor it runs on). A failure to close one is
     * logged and the rest are still closed.
     */
    public void closeWith(AutoCloseable resource) {
        requireNonNull(resource, "resource is null");
        synchronized (closeFirst) {
            if (!closed.get()) {
                closeFirst.push(resource);
                return;
            }
        }
        closeLogged(resource);
    }

    /**
     * Closes what was handed to {@link #closeWith}, then stops heartbeating (waiting for one in
     * flight) and releases the state directory.
     */
    @Override
    public void close() {
        List<AutoCloseable> first;
        synchronized (closeFirst) {
            if (closed.getAndSet(true)) {
                return;
            }
            first = List.copyOf(closeFirst);
            closeFirst.clear();
        }
        first.forEach(HostAgent::closeLogged);
        scheduler.shutdown(); // cancels the schedule; a heartbeat in flight finishes
        try {
            if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("a heartbeat for machine {} did not finish within 30s of close", machineId);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        releaseQuietly(lock);
        closeQuietly(lockChannel);
    }

    static Optional<Long> readMachineId(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file + ": " + e.getMessage(), e);
        }
        try {
            return Optional.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(file + " holds '" + text + "', not a machine id; delete it to register this"
                    + " machine anew", e);
        }
    }

    static void writeMachineId(Path file, long id) {
        // write then rename, so a crash never leaves a half-written id behind
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("registered machine " + id + " but could not save its id to " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private static void closeLogged(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("could not close {}: {}", resource, e.toString());
        }
    }

    private static void releaseQuietly(FileLock lock) {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }
}
