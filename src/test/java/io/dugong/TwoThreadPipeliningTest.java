package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The two halves of a connection driven by two threads: a sender and a reader run at once without
 * deadlocking while TCP buffers fill both ways, and a second thread on a half that is busy fails fast.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // fails even if a test thread is stuck in a lock
class TwoThreadPipeliningTest {
    private static final int REQUESTS = 1000;
    /** 1000 bodies of 8 KiB overflow the client's socket send buffer (up to 4 MiB), so the sender really blocks. */
    private static final int REQUEST_BODY_SIZE = 8 * 1024;
    private static final int RESPONSE_BODY_SIZE = 100 * 1024;

    // ------------------------------------------------------------------------------------------
    // One sender thread, one reader thread

    /**
     * The server answers one request at a time with 100 KiB and only reads the next request once the
     * answer is written, so while the reader lags the server's writes block, it stops reading, and the
     * sender's writes block in turn: both directions fill. A client whose halves wait on each other
     * deadlocks here. (The server's socket buffers are 64 KiB: with much smaller ones, Linux loopback
     * itself can stall a connection that carries data both ways.)
     */
    @Test
    void senderAndReaderThreadsPipelineAThousandRequestsWithoutDeadlock() throws Exception {
        try (ScriptedServer server = ScriptedServer.builder().receiveBufferSize(64 * 1024).sendBufferSize(64 * 1024).start(c -> {
            for (int i = 0; i < REQUESTS; i++) {
                RecordedRequest r = c.readRequest();
                assertNotNull(r, "the client closed after " + i + " requests");
                assertEquals("/r/" + i, r.target());
                assertArrayEquals(requestBody(i), r.body(), "body of request " + i);
                c.sendResponse(200, responseBody(i), "X-Index", Integer.toString(i));
            }
            assertEquals(null, c.readRequest());
        });
             HttpConnection conn = HttpConnection.builder(server.host()).port(server.port())
                     .timeout(Duration.ofSeconds(10)).build();
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            BlockingQueue<Integer> sent = new LinkedBlockingQueue<>();
            AtomicInteger read = new AtomicInteger();

            Future<?> sender = threads.submit(() -> {
                for (int i = 0; i < REQUESTS; i++) {
                    sendWithBody(conn, i);
                    sent.put(i);
                }
                return null;
            });
            Future<?> reader = threads.submit(() -> {
                byte[] body = new byte[RESPONSE_BODY_SIZE];
                for (int i = 0; i < REQUESTS; i++) {
                    int index = sent.take();
                    ResponseHead head = conn.readResponse();
                    assertEquals("/r/" + index, head.target());
                    assertEquals(String.valueOf(index), head.headers().first("X-Index").orElseThrow());
                    int filled = 0;
                    for (int n; (n = conn.read(body, filled, Math.min(8192, body.length - filled))) > 0; ) filled += n;
                    assertEquals(RESPONSE_BODY_SIZE, filled, "body length of response " + index);
                    assertEquals(-1, conn.read(body, 0, 1));
                    assertArrayEquals(responseBody(index), body, "body of response " + index);
                    read.incrementAndGet();
                }
                return null;
            });

            try {
                sender.get(25, TimeUnit.SECONDS);
                reader.get(25, TimeUnit.SECONDS);
            } finally {
                conn.disconnect(); // unblocks whichever thread is stuck, so a failure does not hang
                threads.shutdownNow();
            }
            assertEquals(REQUESTS, read.get());
            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // A second thread on a busy half

    @Test
    void aSecondThreadOnTheBusySenderHalfGetsStateException() throws Exception {
        byte[] big = new byte[8 * 1024 * 1024]; // more than both socket buffers hold: the write blocks
        CountDownLatch startReading = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.builder().receiveBufferSize(4096).start(c -> {
            startReading.await();
            RecordedRequest first = c.readRequest();
            c.sendResponse(200, first.target() + " " + first.body().length);
            RecordedRequest second = c.readRequest();
            c.sendResponse(200, second.method() + " " + second.target() + " as request " + c.requestCount());
        });
             HttpConnection conn = HttpConnection.builder(server.host()).port(server.port())
                     .timeout(Duration.ofSeconds(10)).build();
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> blockedSender = threads.submit(() -> {
                retryWhileTheProbeHoldsTheHalf(() -> conn.sendRequest(Request.post("/big", big)));
                return null;
            });
            try {
                // finishBody() with no body pending returns at once, unless another thread is in the sender half.
                awaitStateException(conn::finishBody);

                assertThrows(StateException.class, () -> conn.sendRequest("GET", "/sneaked"));
                assertThrows(StateException.class, () -> conn.write(new byte[1]));
                assertThrows(StateException.class, () -> conn.write(ByteBuffer.allocate(1)));
                assertThrows(StateException.class, conn::finishBody);
                assertThrows(StateException.class, () -> conn.requestBody().write(1));
                assertThrows(StateException.class, conn::connect);
            } finally {
                startReading.countDown();
            }
            blockedSender.get(20, TimeUnit.SECONDS);

            conn.readResponse();
            assertEquals("/big " + big.length, new String(conn.readAll(), ISO_8859_1));
            conn.sendRequest("GET", "/after");
            conn.readResponse();
            assertEquals("GET /after as request 2", new String(conn.readAll(), ISO_8859_1),
                    "the rejected calls wrote nothing");
        }
    }

    @Test
    void aSecondThreadOnTheBusyReaderHalfGetsStateException() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest r = c.readRequest();
            answer.await();
            c.sendResponse(200, "answer to " + r.target());
        });
             HttpConnection conn = HttpConnection.builder(server.host()).port(server.port())
                     .timeout(Duration.ofSeconds(10)).build();
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            conn.sendRequest("GET", "/held");
            AtomicReference<ResponseHead> head = new AtomicReference<>();
            Future<?> blockedReader = threads.submit(() -> {
                retryWhileTheProbeHoldsTheHalf(() -> head.set(conn.readResponse()));
                return null;
            });
            try {
                // read() with no body being read returns -1 at once, unless another thread is in the reader half.
                awaitStateException(() -> conn.read(new byte[1], 0, 1));

                assertThrows(StateException.class, conn::readResponse);
                assertThrows(StateException.class, conn::readAll);
                assertThrows(StateException.class, conn::discard);
                assertThrows(StateException.class, conn::responseBody);
                assertThrows(StateException.class, () -> conn.read(ByteBuffer.allocate(1)));
                assertThrows(StateException.class, () -> conn.readRaw(1));
            } finally {
                answer.countDown();
            }
            blockedReader.get(20, TimeUnit.SECONDS);

            assertEquals("/held", head.get().target());
            assertEquals(200, head.get().status());
            assertEquals("answer to /held", new String(conn.readAll(), ISO_8859_1), "the rejected calls read nothing");
            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /** Sends request {@code i} with its 8 KiB body, framed three ways in turn. */
    private static void sendWithBody(HttpConnection conn, int i) throws IOException {
        byte[] body = requestBody(i);
        String target = "/r/" + i;
        switch (i % 3) {
            case 0 -> conn.sendRequest(Request.builder("GET", target).body(Body.of(body)).build());
            case 1 -> {
                conn.sendRequest(Request.builder("GET", target).body(Body.following(body.length)).build());
                conn.write(body, 0, 3000);
                conn.write(ByteBuffer.wrap(body, 3000, body.length - 3000));
            }
            default -> {
                conn.sendRequest(Request.builder("GET", target).body(Body.chunked()).build());
                conn.write(body, 0, 5000);
                try (OutputStream out = conn.requestBody()) {
                    out.write(body, 5000, body.length - 5000);
                }
            }
        }
    }

    /** 8 KiB naming its request, so a body sent for the wrong request or shifted by a byte is caught. */
    private static byte[] requestBody(int i) {
        byte[] line = ("request " + i + ";").getBytes(ISO_8859_1);
        byte[] body = new byte[REQUEST_BODY_SIZE];
        for (int p = 0; p < body.length; p++) body[p] = line[p % line.length];
        return body;
    }

    /** 100 KiB of pseudo-random bytes seeded by the request index. */
    private static byte[] responseBody(int i) {
        byte[] body = new byte[RESPONSE_BODY_SIZE];
        new Random(i).nextBytes(body);
        return body;
    }

    private interface IoAction {
        void run() throws IOException;
    }

    /** Calls {@code probe} until it throws StateException, which means another thread holds that half. */
    private static void awaitStateException(IoAction probe) throws IOException {
        while (true) {
            try {
                probe.run();
            } catch (StateException expected) {
                return;
            }
        }
    }

    /**
     * Runs {@code action}, again if it lost the half to the test thread's momentary probe: a
     * StateException leaves the connection unchanged, so retrying is exact.
     */
    private static void retryWhileTheProbeHoldsTheHalf(IoAction action) throws IOException {
        while (true) {
            try {
                action.run();
                return;
            } catch (StateException e) {
                if (!e.getMessage().contains("another thread")) throw e;
                Thread.onSpinWait();
            }
        }
    }
}
