package dev.flotilla.agent;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.TreeSet;

/**
 * Hands out ports from a configured range {@code [first, last]}, each to one backend at a time.
 * A port is handed out only if nothing else on the host holds it (a bind test on 127.0.0.1), and
 * the search starts after the last port handed out, so a port just released is not reused at
 * once (its old process may still be closing its socket). Thread-safe.
 */
public final class PortAllocator {
    private final int first;
    private final int last;
    private final Set<Integer> allocated = new TreeSet<>();
    private int next;

    public PortAllocator(int first, int last) {
        if (first < 1 || last > 65535 || first > last) {
            throw FlotillaException.invalid("ports", "port range must satisfy 1 <= first <= last <= 65535; got "
                    + first + "-" + last);
        }
        this.first = first;
        this.last = last;
        this.next = first;
    }

    /** A free port, now reserved; UNAVAILABLE when every port of the range is taken. */
    public synchronized int allocate() {
        int size = last - first + 1;
        for (int i = 0; i < size; i++) {
            int port = first + (next - first + i) % size;
            if (!allocated.contains(port) && bindable(port)) {
                allocated.add(port);
                next = port == last ? first : port + 1;
                return port;
            }
        }
        throw new FlotillaException(ErrorCode.UNAVAILABLE, "ports", "no free port in " + first + "-" + last + " ("
                + allocated.size() + " held by backends, the rest by other processes)");
    }

    /** Gives a port back; releasing a port that is not held does nothing. */
    public synchronized void release(int port) {
        allocated.remove(port);
    }

    /** Whether a port is held by a backend. */
    public synchronized boolean isAllocated(int port) {
        return allocated.contains(port);
    }

    /** The ports held now. */
    public synchronized Set<Integer> allocated() {
        return Set.copyOf(allocated);
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
