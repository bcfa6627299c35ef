package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.testing.Http;
import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The inactivity timeout: a read that times out consumes nothing and may be retried; a write the
 * server does not drain times out instead of hanging; the setter applies to an open connection.
 */
@Timeout(30)
class TimeoutTest {

    /** Short, since each test waits it out once; the server's later data is already buffered when the retry reads. */
    private static final Duration SHORT = Duration.ofMillis(300);

    @Test
    void readResponseTimesOutAndTheRetryReturnsTheWholeResponse() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch sent = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            release.await(20, TimeUnit.SECONDS);
            c.sendResponse(200, "late but whole");
            sent.countDown();
            c.readRequest();
        }); HttpConnection conn = connect(server, SHORT)) {
            conn.sendRequest("GET", "/slow");
            server.awaitRequests(1);

            assertThrows(ConnectionTimedOutException.class, conn::readResponse);

            release.countDown();
            assertTrue(sent.await(10, TimeUnit.SECONDS));
            ResponseHead head = conn.readResponse();
            assertEquals(200, head.status());
            assertEquals(OptionalLong.of(14), head.length());
            assertEquals("late but whole", text(conn.readAll()));
            assertFalse(conn.responsePending());
        }
    }

    @Test
    void timeoutInTheMiddleOfAHeadConsumesNothing() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch sent = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.send("HTTP/1.1 200 OK\r\nX-Part: one\r\nContent-Le");
            release.await(20, TimeUnit.SECONDS);
            c.send("ngth: 5\r\nX-Part: two\r\n\r\nhello");
            sent.countDown();
            c.readRequest();
        }); HttpConnection conn = connect(server, SHORT)) {
            conn.sendRequest("GET", "/half");
            server.awaitRequests(1);

            assertThrows(ConnectionTimedOutException.class, conn::readResponse);

            release.countDown();
            assertTrue(sent.await(10, TimeUnit.SECONDS));
            ResponseHead head = conn.readResponse();
            assertEquals(200, head.status());
            assertEquals("OK", head.reason());
            assertEquals(List.of("one", "two"), head.headers().all("X-Part"));
            assertEquals(OptionalLong.of(5), head.length());
            assertEquals("hello", text(conn.readAll()));
        }
    }

    @Test
    void timeoutAfterAnInterimResponseKeepsItSkipped() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch sent = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.send("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 O");
            release.await(20, TimeUnit.SECONDS);
            c.send("K\r\nContent-Length: 4\r\n\r\ndone");
            sent.countDown();
            c.readRequest();
        }); HttpConnection conn = connect(server, SHORT)) {
            conn.sendRequest("GET", "/interim");
            server.awaitRequests(1);

            assertThrows(ConnectionTimedOutException.class, conn::readResponse);

            release.countDown();
            assertTrue(sent.await(10, TimeUnit.SECONDS));
            ResponseHead head = conn.readResponse();
            assertEquals(200, head.status());
            assertEquals("done", text(conn.readAll()));
        }
    }

    @Test
    void aBodyReadTimeoutEndsTheConnectionSoTheRequestBehindFailsAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.readRequest();
            c.send("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello");
            release.await(20, TimeUnit.SECONDS);
            c.send(" world");
            c.sendResponse(200, "next");
        }); HttpConnection conn = connect(server, SHORT)) {
            try {
                conn.sendRequest("GET", "/body");
                conn.sendRequest("GET", "/next");
                assertEquals(OptionalLong.of(11), conn.readResponse().length());
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                byte[] buf = new byte[64];
                while (body.size() < 5) body.write(buf, 0, conn.read(buf, 0, buf.length));

                assertThrows(ConnectionTimedOutException.class, () -> conn.read(buf, 0, buf.length));

                // The connection is out of step now: the next response is not awaited, it fails at once.
                ConnectionClosedException next = assertThrows(ConnectionClosedException.class, conn::readResponse);
                assertTrue(next.getMessage().contains("GET /next"), next.getMessage());
                assertFalse(conn.responsePending());
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void aChunkedBodyReadTimeoutEndsTheConnectionSoTheRequestBehindFailsAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        String body = Http.chunked("first ", "second");
        int split = body.indexOf("second") - 2; // inside the second chunk-size line
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.readRequest();
            c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body.substring(0, split));
            release.await(20, TimeUnit.SECONDS);
            c.send(body.substring(split));
            c.sendResponse(200, "next");
        }); HttpConnection conn = connect(server, SHORT)) {
            try {
                conn.sendRequest("GET", "/chunks");
                conn.sendRequest("GET", "/next");
                assertEquals(OptionalLong.empty(), conn.readResponse().length());
                ByteArrayOutputStream received = new ByteArrayOutputStream();
                byte[] buf = new byte[64];
                while (received.size() < 6) received.write(buf, 0, conn.read(buf, 0, buf.length));

                assertThrows(ConnectionTimedOutException.class, () -> conn.read(buf, 0, buf.length));

                assertThrows(ConnectionClosedException.class, conn::readResponse);
                assertFalse(conn.responsePending());
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void writeToAServerThatDoesNotReadTimesOut() throws Exception {
        CountDownLatch testDone = new CountDownLatch(1);
        int size = 16 * 1024 * 1024;
        try (ScriptedServer server = ScriptedServer.builder().receiveBufferSize(4096).start(c -> {
            testDone.await(20, TimeUnit.SECONDS); // never reads a byte
        }); HttpConnection conn = connect(server, SHORT)) {
            try {
                conn.sendRequest(Request.builder("PUT", "/stuck").body(Body.following(size)).build());

                assertThrows(ConnectionTimedOutException.class, () -> conn.write(new byte[size]));
            } finally {
                testDone.countDown();
            }
        }
    }

    @Test
    void writeTimeoutClosesTheConnectionAndTheNextRequestUsesANewOne() throws Exception {
        CountDownLatch testDone = new CountDownLatch(1);
        int size = 16 * 1024 * 1024;
        try (ScriptedServer server = ScriptedServer.builder().receiveBufferSize(4096).start(c -> {
            if (c.id() == 1) {
                testDone.await(20, TimeUnit.SECONDS); // never reads a byte
                return;
            }
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "connection " + c.id());
        }); HttpConnection conn = connect(server, SHORT)) {
            try {
                conn.sendRequest(Request.builder("PUT", "/stuck").body(Body.following(size)).build());
                assertThrows(ConnectionTimedOutException.class, () -> conn.write(new byte[size]));

                // The request stays in flight (the server might have answered), but its socket is closed:
                // reading it fails for good instead of timing out again and again.
                assertTrue(conn.responsePending());
                assertThrows(ConnectionClosedException.class, conn::readResponse);
                assertFalse(conn.responsePending());

                conn.sendRequest("GET", "/next");
                assertEquals(200, conn.readResponse().status());
                assertEquals("connection 2", text(conn.readAll()));
            } finally {
                testDone.countDown();
            }
        }
    }

    @Test
    void timeoutSetterAppliesToAnOpenConnection() throws Exception {
        CountDownLatch testDone = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            testDone.await(20, TimeUnit.SECONDS); // never answers
        }); HttpConnection conn = connect(server, null)) {
            try {
                conn.sendRequest("GET", "/silent");
                server.awaitRequests(1);

                conn.timeout(SHORT);

                assertEquals(SHORT, conn.timeout());
                assertThrows(ConnectionTimedOutException.class, conn::readResponse);
            } finally {
                testDone.countDown();
            }
        }
    }

    @Test
    void timeoutSetterRejectsZeroAndNegative() throws Exception {
        try (HttpConnection conn = HttpConnection.open("127.0.0.1", 9)) {
            assertThrows(IllegalArgumentException.class, () -> conn.timeout(Duration.ZERO));
            assertThrows(IllegalArgumentException.class, () -> conn.timeout(Duration.ofMillis(-1)));
            assertNull(conn.timeout());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    private static HttpConnection connect(ScriptedServer server, Duration timeout) {
        return HttpConnection.builder(server.host()).port(server.port()).timeout(timeout).build();
    }

    private static String text(byte[] b) {
        return new String(b, ISO_8859_1);
    }
}
