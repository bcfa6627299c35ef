package io.dugong.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shared buffer pool, and connections that hold I/O buffers only while bytes wait in them.
 */
@Timeout(30)
class BufferPoolTest {

    @Test
    void anArrayGivenBackIsHandedOutAgainInsteadOfANewOne() {
        BufferPool pool = new BufferPool(64, 4);
        byte[] a = pool.take();
        pool.give(a);

        assertSame(a, pool.take());
        assertEquals(0, pool.retained());
    }

    @Test
    void thePoolRetainsAtMostItsSlotsAndIgnoresOtherSizes() {
        BufferPool pool = new BufferPool(64, 2);
        pool.give(new byte[64]);
        pool.give(new byte[64]);
        pool.give(new byte[64]);
        pool.give(new byte[65]);

        assertEquals(2, pool.retained());
    }

    @Test
    void anArrayIsNeverHeldByTwoTakersAtOnce() throws Exception {
        BufferPool pool = new BufferPool(16, 4);
        Set<byte[]> held = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        AtomicReference<String> clash = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 20_000; i++) {
                    byte[] b = pool.take();
                    if (!held.add(b)) clash.compareAndSet(null, "an array was handed to two takers");
                    held.remove(b);
                    pool.give(b);
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) t.join();

        assertNull(clash.get());
        assertTrue(pool.retained() <= 4);
    }

    @Test
    void anIdleConnectionHoldsNoBuffersAndTakesThemAgainForTheNextExchange() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
             Socket peer = server.accept()) {
            Transport t = new Transport(client, "test", BufferPool.READ.size(), Duration.ofSeconds(5));
            SocketInput in = t.input();
            SocketOutput out = t.output();
            assertFalse(in.holdsBuffer(), "nothing is read before the first response");
            assertFalse(out.holdsBuffer(), "nothing is written before the first request");

            for (int round = 0; round < 3; round++) {
                out.writeLatin1("GET / HTTP/1.1\r\n\r\n");
                assertTrue(out.holdsBuffer());
                out.flush();
                assertFalse(out.holdsBuffer(), "the write buffer goes back once its bytes are sent");
                assertArrayEquals("GET / HTTP/1.1\r\n\r\n".getBytes(ISO_8859_1), peer.getInputStream().readNBytes(18));

                OutputStream reply = peer.getOutputStream();
                reply.write("line one\r\nline two\r\n".getBytes(ISO_8859_1));
                reply.flush();
                assertEquals("line one", in.readLine(100, "line"));
                assertTrue(in.holdsBuffer());
                assertFalse(in.releaseIfIdle(), "a buffer holding unread bytes is kept");
                assertEquals("line two", in.readLine(100, "line"));
                assertTrue(in.releaseIfIdle());
                assertFalse(in.holdsBuffer());
            }
        }
    }

    @Test
    void aMarkKeepsTheReadBuffer() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
             Socket peer = server.accept()) {
            Transport t = new Transport(client, "test", BufferPool.READ.size(), Duration.ofSeconds(5));
            SocketInput in = t.input();
            peer.getOutputStream().write("head\r\n".getBytes(ISO_8859_1));
            in.mark();
            assertEquals("head", in.readLine(100, "line"));
            in.rewind();

            assertFalse(in.releaseIfIdle());
            assertEquals("head", in.readLine(100, "line"), "the marked bytes are still there");
            in.unmark();
            assertTrue(in.releaseIfIdle());
        }
    }

    @Test
    void aReleasedBufferIsNotUsedByTheConnectionThatGaveItBack() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 2, InetAddress.getLoopbackAddress());
             Socket clientA = new Socket(server.getInetAddress(), server.getLocalPort());
             Socket peerA = server.accept();
             Socket clientB = new Socket(server.getInetAddress(), server.getLocalPort());
             Socket peerB = server.accept()) {
            SocketInput a = new Transport(clientA, "a", BufferPool.READ.size(), Duration.ofSeconds(5)).input();
            SocketInput b = new Transport(clientB, "b", BufferPool.READ.size(), Duration.ofSeconds(5)).input();
            peerA.getOutputStream().write("from a, first\r\n".getBytes(ISO_8859_1));
            assertEquals("from a, first", a.readLine(100, "line"));
            assertTrue(a.releaseIfIdle());

            // b now holds a buffer, possibly the one a released; a must take another one.
            peerB.getOutputStream().write("from b\r\n".getBytes(ISO_8859_1));
            peerA.getOutputStream().write("from a, second\r\n".getBytes(ISO_8859_1));
            assertEquals("from b", b.readLine(100, "line"));
            assertEquals("from a, second", a.readLine(100, "line"));
            assertNotSame(a.buffer(), b.buffer());
            assertEquals("from b", new String(b.buffer(), b.lineStart(), 6, ISO_8859_1), "a's read did not overwrite b's bytes");
        }
    }
}
