package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.dugong.testing.Http;
import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.ServerConnection;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Response framing and connection persistence of RFC 9112 §6 (and the head syntax it rests on), one rule per test. */
@Timeout(30)
class FramingTest {

    // ------------------------------------------------------------------------------------------
    // Responses without a body

    @Test
    void headResponseHasNoBodyDespiteContentLength() throws IOException {
        try (ScriptedServer server = answering(2,
                "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                        + Http.response(200, "next"));
             HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.head("/a"));
            conn.sendRequest(Request.get("/b"));

            ResponseHead head = conn.readResponse();
            assertEquals(200, head.status());
            assertEquals(OptionalLong.of(0), head.length());
            assertEquals(-1, conn.read(new byte[10], 0, 10));
            assertEquals("100", head.headers().first("Content-Length").orElseThrow());

            ResponseHead next = conn.readResponse();
            assertEquals("/b", next.target());
            assertEquals("next", text(conn.readAll()));
            assertFalse(conn.responsePending());
        }
    }

    @Test
    void interimResponsesAreSkipped() throws IOException {
        try (ScriptedServer server = answering(1,
                "HTTP/1.1 102 Processing\r\n\r\n"
                        + "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                        + Http.response(200, "final"));
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            ResponseHead head = conn.readResponse();

            assertEquals(200, head.status());
            assertFalse(head.headers().contains("Link"));
            assertEquals("final", text(conn.readAll()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {204, 304})
    void noBodyFor204And304EvenWithContentLength(int status) throws IOException {
        try (ScriptedServer server = answering(2,
                "HTTP/1.1 " + status + " " + Http.reason(status) + "\r\nContent-Length: 5\r\n\r\n"
                        + Http.response(200, "next"));
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");

            ResponseHead head = conn.readResponse();
            assertEquals(status, head.status());
            assertEquals(OptionalLong.of(0), head.length());
            assertEquals(0, conn.readAll().length);

            assertEquals(200, conn.readResponse().status());
            assertEquals("next", text(conn.readAll()));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Bodies delimited by length or chunking

    @Test
    void contentLengthDelimitsTheBody() throws IOException {
        try (ScriptedServer server = answering(2,
                "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"
                        + Http.response(200, "next"));
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");

            ResponseHead head = conn.readResponse();
            assertEquals(OptionalLong.of(11), head.length());
            assertEquals("hello world", text(conn.readAll()));

            assertEquals("next", text(readBody(conn)));
        }
    }

    @Test
    void chunkedBodyWithExtensionsAndTrailers() throws IOException {
        try (ScriptedServer server = answering(2,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5;name=value\r\nhello\r\n"
                        + "6 ; quoted=\"a;b\"\r\n world\r\n"
                        + "0;last\r\nX-Checksum: 1234\r\nX-Other: x\r\n\r\n"
                        + Http.response(200, "next"));
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");

            ResponseHead head = conn.readResponse();
            assertEquals(OptionalLong.empty(), head.length());
            assertEquals("hello world", text(conn.readAll()));

            assertEquals("next", text(readBody(conn)));
        }
    }

    @Test
    void chunkedWinsOverContentLength() throws IOException {
        try (ScriptedServer server = ScriptedServer.start(c -> {
                 for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                     if (c.id() == 1 && c.requestCount() == 1) {
                         c.send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 + Http.chunked("hello", " world"));
                     } else {
                         c.sendResponse(200, "connection " + c.id());
                     }
                 }
             });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            ResponseHead head = conn.readResponse();
            assertEquals(OptionalLong.empty(), head.length());
            assertEquals("hello world", text(conn.readAll()));

            conn.sendRequest("GET", "/b");

            assertEquals("connection 2", text(readBody(conn)));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void identicalDuplicateContentLengthIsAccepted() throws IOException {
        try (ScriptedServer server = answering(1,
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            ResponseHead head = conn.readResponse();

            assertEquals(OptionalLong.of(5), head.length());
            assertEquals("hello", text(conn.readAll()));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Bodies delimited by the connection closing

    @Test
    void noLengthWithConnectionCloseIsReadUntilClose() throws IOException {
        try (ScriptedServer server = answering(1,
                "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of this\r\nuntil the end");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            ResponseHead head = conn.readResponse();

            assertEquals(OptionalLong.empty(), head.length());
            assertEquals("all of this\r\nuntil the end", text(conn.readAll()));
            assertFalse(conn.responsePending());
        }
    }

    @Test
    void noLengthInHttp11WithoutConnectionCloseIsReadUntilClose() throws IOException {
        try (ScriptedServer server = answering(1,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\nuntil the end");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            ResponseHead head = conn.readResponse();

            assertEquals(OptionalLong.empty(), head.length());
            assertEquals("all of this\r\nuntil the end", text(conn.readAll()));
            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Connection persistence (RFC 9112 §9.3)

    @Test
    void http10WithoutKeepAliveIsClosedAfterItsBody() throws Exception {
        CountDownLatch firstConnectionEnded = new CountDownLatch(1);
        try (ScriptedServer server = serverAnsweringFirstWith(
                "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc", firstConnectionEnded);
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            ResponseHead head = conn.readResponse();
            assertEquals(OptionalLong.of(3), head.length());
            assertEquals("abc", text(conn.readAll()));
            assertTrue(firstConnectionEnded.await(10, TimeUnit.SECONDS), "the client kept the HTTP/1.0 connection open");

            conn.sendRequest("GET", "/b");

            assertEquals("connection 2", text(readBody(conn)));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void http10WithKeepAliveStaysOpen() throws IOException {
        try (ScriptedServer server = serverAnsweringFirstWith(
                "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc", new CountDownLatch(1));
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            assertEquals("abc", text(readBody(conn)));

            conn.sendRequest("GET", "/b");

            assertEquals("connection 1", text(readBody(conn)));
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void http11ConnectionCloseMakesTheNextRequestReconnect() throws Exception {
        CountDownLatch firstConnectionEnded = new CountDownLatch(1);
        try (ScriptedServer server = serverAnsweringFirstWith(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc", firstConnectionEnded);
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            assertEquals("abc", text(readBody(conn)));
            assertTrue(firstConnectionEnded.await(10, TimeUnit.SECONDS), "the client kept the closing connection open");

            conn.sendRequest("GET", "/b");

            assertEquals("connection 2", text(readBody(conn)));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void pipelinedRequestAfterConnectionCloseFailsNamingTheRequest() throws IOException {
        try (ScriptedServer server = answering(2,
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nfirst");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/first");
            conn.sendRequest("GET", "/second");
            server.awaitRequests(2);
            assertEquals("first", text(readBody(conn)));

            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, conn::readResponse);

            assertTrue(e.getMessage().contains("GET /second"), e.getMessage());
            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Head syntax the parser tolerates (RFC 9112 §2.2, §4, §5.2)

    @Test
    void bareLfLineEndingsAreAccepted() throws IOException {
        try (ScriptedServer server = answering(2,
                "HTTP/1.1 200 OK\nX-One: 1\nContent-Length: 3\n\nabc"
                        + Http.response(200, "next"));
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");

            ResponseHead head = conn.readResponse();
            assertEquals("OK", head.reason());
            assertEquals("1", head.headers().first("X-One").orElseThrow());
            assertEquals("abc", text(conn.readAll()));

            assertEquals("next", text(readBody(conn)));
        }
    }

    @Test
    void bareLfLineEndingsAreAcceptedInChunkedFramingToo() throws IOException {
        firstBodyIsAndTheNextResponseFollows("hello",
                "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\n0\nX-Trailer: t\n\n");
    }

    @Test
    void tabsAroundAFieldValueAreOptionalWhitespace() throws IOException {
        try (ScriptedServer server = answering(1,
                "HTTP/1.1 200 OK\r\nX-Tabbed:\t a\tb \t\r\nContent-Length:\t5\t\r\n\r\nhello");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            ResponseHead head = conn.readResponse();

            assertEquals("a\tb", head.headers().first("X-Tabbed").orElseThrow());
            assertEquals(OptionalLong.of(5), head.length());
            assertEquals("hello", text(conn.readAll()));
        }
    }

    @Test
    void obsTextInAFieldValueIsKeptAsIso88591() throws IOException {
        try (ScriptedServer server = answering(1, "HTTP/1.1 200 OK\r\nX-Latin: caf\u00e9\r\nContent-Length: 0\r\n\r\n");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            assertEquals("caf\u00e9", conn.readResponse().headers().first("X-Latin").orElseThrow());
        }
    }

    @Test
    void fieldCountAtTheDefaultLimitIsAccepted() throws IOException {
        StringBuilder wire = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < HttpConnection.DEFAULT_MAX_HEADER_FIELDS - 1; i++) wire.append("a:\r\n");
        wire.append("Content-Length: 0\r\n\r\n");
        try (ScriptedServer server = answering(1, wire.toString());
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            assertEquals(HttpConnection.DEFAULT_MAX_HEADER_FIELDS, conn.readResponse().headers().size());
        }
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"5;a", "5 ; a = b", "5\t;\ta=\"q;\\\"x\"", "5;a=b;c;d=\"\"", "5 ", "0000000000000000000005",
            "5;a=\"caf\u00e9\""})
    void wellFormedChunkExtensionsAndLeadingZerosAreAccepted(String sizeLine) throws IOException {
        firstBodyIsAndTheNextResponseFollows("hello",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + sizeLine + "\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void lastChunkAndTrailersArrivingWithTheDataCompleteTheBodyWithoutAnotherRead() throws IOException {
        try (ScriptedServer server = answering(1,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\n");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");
            conn.readResponse();

            byte[] buf = new byte[5];
            assertEquals(5, conn.read(buf, 0, 5));

            assertFalse(conn.responsePending());
        }
    }

    @Test
    void obsFoldOutsideFramingFieldsIsJoinedWithASpace() throws IOException {
        try (ScriptedServer server = answering(1,
                "HTTP/1.1 200 OK\r\nX-Folded: first\r\n   second\r\n\tthird\r\nX-After: after\r\nContent-Length: 0\r\n\r\n");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            Headers headers = conn.readResponse().headers();

            assertEquals(List.of("first second third"), headers.all("X-Folded"));
            assertEquals("after", headers.first("X-After").orElseThrow());
        }
    }

    @Test
    void headerNamesKeepCaseAndOrderAndLookupsIgnoreCase() throws IOException {
        try (ScriptedServer server = answering(1,
                "HTTP/1.1 200 OK\r\nX-Custom-Header: one\r\nset-cookie: a=1\r\nContent-Length: 0\r\n"
                        + "SET-COOKIE: b=2\r\nx-custom-header: two\r\n\r\n");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            Headers headers = conn.readResponse().headers();

            List<String> names = new ArrayList<>();
            headers.forEach((name, value) -> names.add(name));
            assertEquals(List.of("X-Custom-Header", "set-cookie", "Content-Length", "SET-COOKIE", "x-custom-header"), names);
            assertEquals("one", headers.first("x-CUSTOM-header").orElseThrow());
            assertEquals(List.of("one", "two"), headers.all("X-CUSTOM-HEADER"));
            assertEquals(List.of("a=1", "b=2"), headers.all("Set-Cookie"));
            assertTrue(headers.contains("content-length"));
        }
    }

    @Test
    void missingReasonPhraseIsTolerated() throws IOException {
        try (ScriptedServer server = answering(1, "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            ResponseHead head = conn.readResponse();

            assertEquals(200, head.status());
            assertEquals("", head.reason());
            assertEquals("ok", text(conn.readAll()));
        }
    }

    // ------------------------------------------------------------------------------------------
    // The connection ending early

    @Test
    void prematureEofInContentLengthBodyReturnsTheBytesThenFails() throws IOException {
        try (ScriptedServer server = answering(1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");
            assertEquals(OptionalLong.of(10), conn.readResponse().length());

            ByteArrayOutputStream received = new ByteArrayOutputStream();
            assertThrows(ConnectionClosedException.class, () -> readUntilFailure(conn, received));

            assertEquals("abcd", received.toString(ISO_8859_1));
        }
    }

    @Test
    void prematureEofInChunkedBodyReturnsTheBytesThenFails() throws IOException {
        try (ScriptedServer server = answering(1,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\na\r\nabc");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");
            assertEquals(OptionalLong.empty(), conn.readResponse().length());

            ByteArrayOutputStream received = new ByteArrayOutputStream();
            assertThrows(ConnectionClosedException.class, () -> readUntilFailure(conn, received));

            assertEquals("helloabc", received.toString(ISO_8859_1));
        }
    }

    @Test
    void serverClosingWithoutAnyResponseFails() throws IOException {
        try (ScriptedServer server = answering(1, "");
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/unanswered");

            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, conn::readResponse);

            assertTrue(e.getMessage().contains("GET /unanswered"), e.getMessage());
        }
    }

    @Test
    void serverResettingTheConnectionFails() throws IOException {
        try (ScriptedServer server = ScriptedServer.start(c -> {
                 c.readRequest();
                 c.reset();
             });
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/");

            assertThrows(ConnectionClosedException.class, conn::readResponse);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /** A connection with a generous inactivity timeout, so a framing bug fails instead of hanging. */
    private static HttpConnection connect(ScriptedServer server) {
        return HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5)).build();
    }

    /** A server that reads {@code requests} requests, sends {@code wire} verbatim, then closes gracefully. */
    private static ScriptedServer answering(int requests, String wire) {
        return ScriptedServer.start(c -> {
            for (int i = 0; i < requests; i++) {
                if (c.readRequest() == null) return;
            }
            c.send(wire);
            c.closeGracefully();
        });
    }

    /**
     * A server that answers the first request on its first connection with {@code wire} and every other
     * request with "connection N"; never closes a connection itself, and counts {@code firstEnded} down
     * once the client has closed the first one.
     */
    private static ScriptedServer serverAnsweringFirstWith(String wire, CountDownLatch firstEnded) {
        return ScriptedServer.start((ServerConnection c) -> {
            while (c.readRequest() != null) {
                if (c.id() == 1 && c.requestCount() == 1) {
                    c.send(wire);
                } else {
                    c.sendResponse(200, "connection " + c.id());
                }
            }
            if (c.id() == 1) firstEnded.countDown();
        });
    }

    /**
     * GET /a and GET /b pipelined; the server answers /a with {@code first}, then /b with 200 "next":
     * /a's body must be {@code body}, and /b must still get its own response (the framing of /a ended
     * exactly where it should).
     */
    private static void firstBodyIsAndTheNextResponseFollows(String body, String first) throws IOException {
        try (ScriptedServer server = answering(2, first + Http.response(200, "next"));
             HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");

            assertEquals(body, text(readBody(conn)));

            assertEquals("next", text(readBody(conn)));
        }
    }

    /** Reads the next response and its whole body. */
    private static byte[] readBody(HttpConnection conn) throws IOException {
        conn.readResponse();
        return conn.readAll();
    }

    /** Reads body bytes into {@code received} until a read throws; an orderly end of body is a failure. */
    private static void readUntilFailure(HttpConnection conn, ByteArrayOutputStream received) throws IOException {
        byte[] buf = new byte[64];
        while (true) {
            int n = conn.read(buf, 0, buf.length);
            if (n < 0) fail("the truncated body ended normally after " + received.size() + " bytes");
            received.write(buf, 0, n);
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, ISO_8859_1);
    }
}
