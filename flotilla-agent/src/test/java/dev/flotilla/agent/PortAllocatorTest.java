package dev.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class PortAllocatorTest {
    /**
     * A range of {@code size} ports that were all free a moment ago, found by binding them as the
     * allocator does: without SO_REUSEADDR, so that a port some client connection left in
     * TIME_WAIT (these ports lie in the ephemeral range) counts as taken here as it does there.
     */
    private static int freeRangeStart(int size) throws Exception {
        for (int start = 42000; start < 60000; start += size) {
            boolean free = true;
            for (int p = start; p < start + size && free; p++) {
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(false);
                    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
                } catch (Exception e) {
                    free = false;
                }
            }
            if (free) {
                return start;
            }
        }
        throw new IllegalStateException("no free range");
    }

    @Test
    void handsOutDistinctPortsUntilTheRangeIsExhausted() throws Exception {
        int start = freeRangeStart(3);
        PortAllocator ports = new PortAllocator(start, start + 2);

        Set<Integer> got = Set.of(ports.allocate(), ports.allocate(), ports.allocate());

        assertThat(got).containsExactlyInAnyOrder(start, start + 1, start + 2);
        assertThatThrownBy(ports::allocate).isInstanceOfSatisfying(FlotillaException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
                .hasMessageContaining("no free port in " + start + "-" + (start + 2));
        ports.release(start + 1);
        assertThat(ports.allocate()).isEqualTo(start + 1);
    }

    @Test
    void skipsAPortAnotherProcessHolds() throws Exception {
        int start = freeRangeStart(2);
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), start));
            PortAllocator ports = new PortAllocator(start, start + 1);

            assertThat(ports.allocate()).isEqualTo(start + 1);
            assertThatThrownBy(ports::allocate).hasMessageContaining("no free port");
        }
    }

    @Test
    void releasedPortIsNotReusedWhileOthersAreFree() throws Exception {
        int start = freeRangeStart(3);
        PortAllocator ports = new PortAllocator(start, start + 2);
        int first = ports.allocate();
        ports.release(first);

        assertThat(ports.allocate()).isNotEqualTo(first);
        assertThat(ports.isAllocated(first)).isFalse();
    }

    @Test
    void concurrentCallersNeverShareAPort() throws Exception {
        int start = freeRangeStart(40);
        PortAllocator ports = new PortAllocator(start, start + 39);
        Set<Integer> got = ConcurrentHashMap.newKeySet();
        CountDownLatch go = new CountDownLatch(1);
        Set<Thread> threads = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                    got.add(ports.allocate());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }

        assertThat(got).hasSize(40);
        assertThat(ports.allocated()).isEqualTo(got);
    }

    @Test
    void rejectsAnEmptyRange() {
        assertThatThrownBy(() -> new PortAllocator(5000, 4999)).hasMessageContaining("got 5000-4999");
    }
}
