package io.dugong.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

/** The leak check sees what it is meant to: virtual dugong threads and sockets, and nothing once they are gone. */
class LeakCheckExtensionTest {

    @Test
    void seesALiveVirtualDugongThreadUntilItEnds() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread t = Thread.ofVirtual().name("dugong-leak-check-probe").start(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        assertTrue(LeakCheckExtension.dugongThreads().containsValue("dugong-leak-check-probe"));
        release.countDown();
        t.join();
        assertFalse(LeakCheckExtension.dugongThreads().containsValue("dugong-leak-check-probe"));
    }

    @Test
    void seesAnOpenSocketUntilItIsClosed() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "sockets are counted through /proc/self/fd (Linux)");
        int before = LeakCheckExtension.sockets().size();

        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        int open = LeakCheckExtension.sockets().size();
        socket.close();

        assertTrue(open == before + 1, "open sockets: " + before + " before, " + open + " with one more");
        assertTrue(LeakCheckExtension.sockets().size() == before, "the closed socket is still counted");
    }
}
