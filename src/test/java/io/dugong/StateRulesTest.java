package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The StateException rules of DESIGN.md §2 for the sender and reader halves, plus disconnect() and reset(). */
@Timeout(30)
class StateRulesTest {

    // ------------------------------------------------------------------------------------------
    // Sender half

    @Test
    void sendRequestWhileAFollowingBodyIsUnfinishedFails() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = echoing(seen); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/body").body(Body.following(5)).build());
            conn.write(bytes("he"));

            assertThrows(StateException.class, () -> conn.sendRequest("GET", "/next"));

            conn.write(bytes("llo"));
            assertEquals("PUT /body hello", readText(conn));
            assertFalse(conn.responsePending());
            assertEquals(1, seen.size());
        }
    }

    @Test
    void sendRequestWhileAwaitingContinueFails() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest head = c.readRequestHead();
            c.send100Continue();
            c.sendResponse(200, "got " + new String(c.readBody(head), ISO_8859_1));
        }); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/u").body(Body.following(2)).expect100().build());

            assertThrows(StateException.class, () -> conn.sendRequest("GET", "/next"));

            assertEquals(100, conn.readResponse().status());
            conn.write(bytes("ok"));
            assertEquals("got ok", readText(conn));
        }
    }

    @Test
    void writeWithNoPendingBodyFails() throws Exception {
        try (ScriptedServer server = echoing(new CopyOnWriteArrayList<>()); HttpConnection conn = connect(server)) {
            assertThrows(StateException.class, () -> conn.write(bytes("x")));

            conn.sendRequest(Request.post("/held", bytes("abc")));
            assertThrows(StateException.class, () -> conn.write(bytes("x")));

            assertEquals("POST /held abc", readText(conn));
        }
    }

    @Test
    void writeWhileAwaitingContinueFails() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest head = c.readRequestHead();
            c.send100Continue();
            c.sendResponse(200, "got " + new String(c.readBody(head), ISO_8859_1));
        }); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/u").body(Body.following(2)).expect100().build());

            assertThrows(StateException.class, () -> conn.write(bytes("ok")));

            assertEquals(100, conn.readResponse().status());
            conn.write(bytes("ok"));
            assertEquals("got ok", readText(conn));
        }
    }

    @Test
    void writeBeyondTheAnnouncedLengthFailsAndWritesNothing() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = echoing(seen); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/five").body(Body.following(5)).build());
            conn.write(bytes("ab"));

            assertThrows(IllegalArgumentException.class, () -> conn.write(bytes("cdefg")));

            conn.write(bytes("cde"));
            conn.sendRequest("GET", "/after"); // parsed from the very next byte: nothing extra was written
            assertEquals("PUT /five abcde", readText(conn));
            assertEquals("GET /after ", readText(conn));
            assertEquals(List.of("abcde", ""), seen.stream().map(RecordedRequest::bodyAsString).toList());
        }
    }

    @Test
    void readResponseBeforeTheBodyIsWrittenFails() throws Exception {
        try (ScriptedServer server = echoing(new CopyOnWriteArrayList<>()); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/short").body(Body.following(4)).build());
            conn.write(bytes("abc"));

            assertThrows(StateException.class, conn::readResponse);

            conn.write(bytes("d"));
            assertEquals("PUT /short abcd", readText(conn));
        }
    }

    @Test
    void finishBodyWithBytesMissingFails() throws Exception {
        try (ScriptedServer server = echoing(new CopyOnWriteArrayList<>()); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/short").body(Body.following(4)).build());
            conn.write(bytes("abc"));

            assertThrows(StateException.class, conn::finishBody);

            conn.write(bytes("d"));
            assertEquals("PUT /short abcd", readText(conn));
        }
    }

    @Test
    void writingExactlyTheAnnouncedLengthPutsTheRequestInFlight() throws Exception {
        try (ScriptedServer server = echoing(new CopyOnWriteArrayList<>()); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/exact").body(Body.following(3)).build());
            assertFalse(conn.responsePending());

            conn.write(bytes("xyz"));

            assertTrue(conn.responsePending());
            conn.finishBody(); // nothing pending any more: a no-op
            assertEquals("PUT /exact xyz", readText(conn));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reader half

    @Test
    void readResponseWithNothingInFlightFails() throws Exception {
        try (ScriptedServer server = echoing(new CopyOnWriteArrayList<>()); HttpConnection conn = connect(server)) {
            assertThrows(StateException.class, conn::readResponse);

            conn.sendRequest("GET", "/one");
            assertEquals("GET /one ", readText(conn));

            assertThrows(StateException.class, conn::readResponse);
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void readResponseBeforeThePreviousBodyIsReadFails() throws Exception {
        try (ScriptedServer server = echoing(new CopyOnWriteArrayList<>()); HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");
            conn.readResponse();
            byte[] two = new byte[2];
            assertEquals(2, conn.read(two, 0, 2));

            assertThrows(StateException.class, conn::readResponse);

            assertEquals("GE", new String(two, ISO_8859_1));
            assertEquals("T /a ", new String(conn.readAll(), ISO_8859_1));
            assertEquals("GET /b ", readText(conn));
        }
    }

    @Test
    void readingExactlyTheAnnouncedLengthEndsTheBodyWithoutAnotherRead() throws Exception {
        CountDownLatch testDone = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, "hello");
            testDone.await(20, TimeUnit.SECONDS); // keeps the connection open and silent: another read would block
        }); HttpConnection conn = connect(server)) {
            try {
                conn.sendRequest("GET", "/");
                ResponseHead head = conn.readResponse();
                assertEquals(OptionalLong.of(5), head.length());
                byte[] buf = new byte[5];
                int got = 0;
                while (got < 5) got += conn.read(buf, got, 5 - got);

                assertFalse(conn.responsePending());
                assertEquals(-1, conn.read(new byte[1], 0, 1));
                assertEquals("hello", new String(buf, ISO_8859_1));
                assertThrows(StateException.class, conn::readResponse);
            } finally {
                testDone.countDown();
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // disconnect() and reset()

    @Test
    void readAfterDisconnectFailsForEveryRequestInFlight() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            while (c.readRequest() != null) {
                // read, never answer
            }
        }); HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");
            server.awaitRequests(2);

            conn.disconnect();

            assertThrows(ConnectionClosedException.class, conn::readResponse);
            assertThrows(ConnectionClosedException.class, conn::readResponse);
            assertFalse(conn.responsePending());
        }
    }

    @Test
    void resetForgetsEverythingAndTheNextRequestUsesANewConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                c.sendResponse(200, "connection " + c.id() + " " + r.target());
            }
        }); HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/in-flight");
            conn.sendRequest(Request.builder("PUT", "/unfinished").body(Body.following(10)).build());
            conn.write(bytes("abc"));

            conn.reset();

            assertFalse(conn.responsePending());
            assertThrows(StateException.class, conn::readResponse);
            assertThrows(StateException.class, () -> conn.write(bytes("x")));
            conn.sendRequest("GET", "/after");
            assertEquals("connection 2 /after", readText(conn));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void disconnectFromAnotherThreadUnblocksAReader() throws Exception {
        CountDownLatch testDone = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            testDone.await(20, TimeUnit.SECONDS); // never answers
        }); HttpConnection conn = HttpConnection.builder(server.host()).port(server.port()).build()) {
            try {
                conn.sendRequest("GET", "/never");
                server.awaitRequests(1);
                CompletableFuture<ResponseHead> reading = new CompletableFuture<>();
                Thread reader = Thread.ofVirtual().start(() -> {
                    try {
                        reading.complete(conn.readResponse());
                    } catch (Throwable t) {
                        reading.completeExceptionally(t);
                    }
                });
                // A virtual thread blocked in a socket read is parked: WAITING.
                while (reader.getState() != Thread.State.WAITING && !reading.isDone()) Thread.onSpinWait();

                conn.disconnect();

                ExecutionException e = assertThrows(ExecutionException.class, () -> reading.get(10, TimeUnit.SECONDS));
                assertInstanceOf(ConnectionClosedException.class, e.getCause());
            } finally {
                testDone.countDown();
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /** Answers every request with "METHOD target body", recording the requests in {@code seen}. */
    private static ScriptedServer echoing(List<RecordedRequest> seen) {
        return ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                seen.add(r);
                c.sendResponse(200, r.method() + " " + r.target() + " " + r.bodyAsString());
            }
        });
    }

    private static HttpConnection connect(ScriptedServer server) {
        return HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5)).build();
    }

    /** Reads the next response, checks it is a 200, and returns its body as text. */
    private static String readText(HttpConnection conn) throws IOException {
        assertEquals(200, conn.readResponse().status());
        return new String(conn.readAll(), ISO_8859_1);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(ISO_8859_1);
    }
}
