package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.testing.Http;
import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pipelining on one connection: lazy connect, FIFO answers, the reader-half state rules and the body views. */
@Timeout(30)
class PipeliningTest {

    // ------------------------------------------------------------------------------------------
    // Lazy connect

    @Test
    void constructingAConnectionOpensNoSocket() throws IOException {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "connection " + c.id() + " " + r.target());
        })) {
            try (HttpConnection conn = connect(server)) {
                // A sentinel connects after the HttpConnection was built; connections are accepted in order,
                // so if building had connected, the sentinel's answer would name connection 2.
                try (Socket sentinel = new Socket(server.host(), server.port())) {
                    sentinel.getOutputStream().write("GET /sentinel HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1));
                    byte[] expected = Http.response(200, "connection 1 /sentinel").getBytes(ISO_8859_1);
                    assertArrayEquals(expected, sentinel.getInputStream().readNBytes(expected.length));
                }
                assertEquals(1, server.acceptedConnections());

                conn.sendRequest("GET", "/a");
                server.awaitConnections(2);

                conn.readResponse();
                assertEquals("connection 2 /a", text(conn.readAll()));
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Pipelining and FIFO matching

    @Test
    void allRequestsReachTheServerOnOneConnectionBeforeTheFirstAnswer() throws IOException, InterruptedException {
        CountDownLatch answer = new CountDownLatch(1);
        List<String> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            List<RecordedRequest> requests = List.of(c.readRequest(), c.readRequest(), c.readRequest());
            requests.forEach(r -> seen.add(c.id() + " " + r.method() + " " + r.target()));
            answer.await();
            StringBuilder wire = new StringBuilder();
            for (RecordedRequest r : requests) wire.append(Http.response(200, "answer to " + r.target()));
            c.send(wire.toString());
            c.closeGracefully();
        });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b?x=1");
            conn.sendRequest("GET", "/c");

            server.awaitRequests(3); // the server answers nothing until told to
            assertEquals(1, server.acceptedConnections());
            answer.countDown();

            for (String target : List.of("/a", "/b?x=1", "/c")) {
                ResponseHead head = conn.readResponse();
                assertEquals("GET", head.method());
                assertEquals(target, head.target());
                assertEquals(200, head.status());
                assertEquals("answer to " + target, text(conn.readAll()));
            }
            assertFalse(conn.responsePending());
            assertEquals(List.of("1 GET /a", "1 GET /b?x=1", "1 GET /c"), seen);
        }
    }

    @Test
    void responsesAreMatchedToRequestsInSendingOrder() throws IOException {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                c.sendResponse(200, r.method() + " " + r.target() + " " + "x".repeat(r.target().length() * 100));
            }
        });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/first");
            conn.sendRequest(Request.delete("/second-longer"));
            conn.sendRequest(Request.post("/3", "posted".getBytes(UTF_8)));
            conn.sendRequest("GET", "/4");

            for (String[] expected : new String[][] {{"GET", "/first"}, {"DELETE", "/second-longer"}, {"POST", "/3"}, {"GET", "/4"}}) {
                ResponseHead head = conn.readResponse();
                assertEquals(expected[0], head.method());
                assertEquals(expected[1], head.target());
                String body = text(conn.readAll());
                assertEquals(expected[0] + " " + expected[1] + " " + "x".repeat(expected[1].length() * 100), body);
                assertEquals(OptionalLong.of(body.length()), head.length());
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // responsePending and the reader-half state rules

    @Test
    void responsePendingIsTrueUntilTheLastBodyIsReadToItsEnd() throws IOException {
        try (ScriptedServer server = echoTargets();
             HttpConnection conn = connect(server)) {
            assertFalse(conn.responsePending());

            conn.sendRequest("GET", "/a");
            assertTrue(conn.responsePending());
            conn.sendRequest("GET", "/bb");

            conn.readResponse();
            assertTrue(conn.responsePending());
            assertEquals("/a", text(conn.readAll()));
            assertTrue(conn.responsePending(), "/bb is still unanswered");

            ResponseHead b = conn.readResponse();
            assertTrue(conn.responsePending(), "the body of /bb is unread");
            byte[] exact = new byte[(int) b.length().orElseThrow()];
            assertEquals(1, conn.read(exact, 0, 1));
            assertTrue(conn.responsePending());
            assertEquals(2, conn.read(exact, 1, 2));
            assertFalse(conn.responsePending(), "reading exactly Content-Length bytes ends the body");
            assertEquals("/bb", text(exact));
        }
    }

    @Test
    void readResponseBeforeTheBodyIsReadIsAStateError() throws IOException {
        try (ScriptedServer server = echoTargets();
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");
            assertEquals("/a", conn.readResponse().target());

            assertThrows(StateException.class, conn::readResponse);

            assertEquals("/a", text(conn.readAll()), "the failed call changed nothing");
            assertEquals("/b", conn.readResponse().target());
            assertEquals("/b", text(conn.readAll()));
        }
    }

    @Test
    void readResponseWithNothingInFlightIsAStateError() throws IOException {
        try (ScriptedServer server = echoTargets();
             HttpConnection conn = connect(server)) {
            assertThrows(StateException.class, conn::readResponse);

            conn.sendRequest("GET", "/a");
            conn.readResponse();
            conn.readAll();

            assertThrows(StateException.class, conn::readResponse);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Body views

    @Test
    void discardReturnsTheSkippedByteCountAndTheNextResponseReadsFine() throws IOException {
        byte[] big = randomBytes(1000, 1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.readRequest();
            c.sendResponse(200, big);
            c.sendResponse(200, "next");
        });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/big");
            conn.sendRequest("GET", "/next");
            conn.readResponse();
            byte[] start = new byte[10];
            assertEquals(10, conn.read(start, 0, 10));

            assertEquals(990, conn.discard());

            assertEquals("/next", conn.readResponse().target());
            assertEquals("next", text(conn.readAll()));
            assertFalse(conn.responsePending());
        }
    }

    @Test
    void responseBodyStreamWorksWithAnInputStreamReader() throws IOException {
        String text = "Grüße, dugong 🐋\nzweite Zeile\n";
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, text.getBytes(UTF_8), "Content-Type", "text/plain; charset=utf-8");
        });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/text");
            conn.readResponse();

            try (BufferedReader reader = new BufferedReader(new InputStreamReader(conn.responseBody(), UTF_8))) {
                assertEquals("Grüße, dugong 🐋", reader.readLine());
                assertEquals("zweite Zeile", reader.readLine());
                assertEquals(null, reader.readLine());
            }
            assertFalse(conn.responsePending());
        }
    }

    @Test
    void closingTheResponseBodyStreamDiscardsTheRest() throws IOException {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.readRequest();
            c.sendResponse(200, randomBytes(50_000, 2));
            c.sendResponse(200, "second");
        });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");
            conn.readResponse();

            try (InputStream in = conn.responseBody()) {
                assertEquals(randomBytes(50_000, 2)[0] & 0xff, in.read());
            }

            assertTrue(conn.responsePending());
            assertEquals("/b", conn.readResponse().target());
            assertEquals("second", text(conn.readAll()));
        }
    }

    @Test
    void aStaleResponseBodyStreamReturnsEofAndItsCloseLeavesTheNextResponseAlone() throws IOException {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.readRequest();
            c.sendResponse(200, "first");
            c.sendResponse(200, "second body");
        });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");
            conn.readResponse();
            InputStream first = conn.responseBody();
            assertEquals("first", text(first.readAllBytes()));
            conn.readResponse();

            assertEquals(-1, first.read());
            assertEquals(-1, first.read(new byte[4], 0, 4));
            first.close();

            assertTrue(conn.responsePending(), "closing the stale stream discarded nothing");
            assertEquals("second body", text(conn.readAll()));
        }
    }

    @Test
    void readAllReturnsTheWholeBodyAndNothingWhenNoBodyIsBeingRead() throws IOException {
        byte[] body = randomBytes(200_000, 3);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, body);
        });
             HttpConnection conn = connect(server)) {
            assertArrayEquals(new byte[0], conn.readAll());
            conn.sendRequest("GET", "/big");
            conn.readResponse();

            assertArrayEquals(body, conn.readAll());
            assertArrayEquals(new byte[0], conn.readAll());
            assertEquals(-1, conn.read(new byte[1], 0, 1));
        }
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void readIntoAByteBuffer(boolean direct) throws IOException {
        byte[] body = randomBytes(70_000, 4);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, body);
        });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/big");
            conn.readResponse();

            ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(1000) : ByteBuffer.allocate(1000);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            for (int n; (n = conn.read(buffer)) >= 0; ) {
                assertEquals(n, buffer.position());
                buffer.flip();
                byte[] part = new byte[buffer.remaining()];
                buffer.get(part);
                received.write(part);
                buffer.clear();
            }

            assertArrayEquals(body, received.toByteArray());
            assertFalse(conn.responsePending());
        }
    }

    @Test
    void readRawReturnsTheBytesAsTheyCameOffTheSocket() throws IOException {
        String wire = "HTTP/1.1 200 OK\r\nX-Odd:  spaced  \r\nContent-Length: 5\r\n\r\nhello";
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.send(wire);
            c.closeGracefully();
        });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/raw");

            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            for (byte[] part; (part = conn.readRaw(7)).length > 0; ) {
                assertTrue(part.length <= 7);
                raw.write(part);
            }

            assertEquals(wire, raw.toString(ISO_8859_1));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /** A connection with a generous inactivity timeout, so a bug fails instead of hanging. */
    private static HttpConnection connect(ScriptedServer server) {
        return HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5)).build();
    }

    /** A server answering every request with its target as the body. */
    private static ScriptedServer echoTargets() {
        return ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        });
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, ISO_8859_1);
    }
}
