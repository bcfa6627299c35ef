package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.testing.Http;
import io.dugong.testing.ScriptedServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed or unsupported responses: each fails with its specific exception (never a hang), and what
 * the connection still allows afterwards.
 */
@Timeout(30)
class MalformedResponseTest {

    // ------------------------------------------------------------------------------------------
    // Status line (RFC 9112 §4)

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"garbage", "HTTP/1.1 abc OK", "HTTPS/1.1 200 OK", "HTTP/1.1  200 OK", "HTTP/1.x 200 OK"})
    void badStatusLineIsInvalid(String statusLine) throws IOException {
        headFails(InvalidResponseException.class, statusLine + "\r\nContent-Length: 0\r\n\r\n");
    }

    @Test
    void http2StatusLineIsUnsupported() throws IOException {
        headFails(UnsupportedResponseException.class, "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"99", "1000", "600", "099"})
    void statusOutside100To599IsInvalid(String status) throws IOException {
        headFails(InvalidResponseException.class, "HTTP/1.1 " + status + " Odd\r\nContent-Length: 0\r\n\r\n");
    }

    @Test
    void switchingProtocolsIsUnsupported() throws IOException {
        headFails(UnsupportedResponseException.class,
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // fails even if the client never stops reading
    void oversizeStatusLineFailsAtTheLimit() throws IOException {
        // The server never ends the line: a client without a limit would read until the test times out.
        try (ScriptedServer server = ScriptedServer.start(c -> {
                 c.readRequest();
                 c.send("HTTP/1.1 200 ");
                 byte[] endless = "a".repeat(1024).getBytes(ISO_8859_1);
                 while (true) c.send(endless);
             });
             HttpConnection conn = connect(server, b -> b.statusLineLimit(100))) {
            conn.sendRequest("GET", "/");

            assertThrowsExactly(InvalidResponseException.class, conn::readResponse);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Header fields (RFC 9112 §5)

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // fails even if the client never stops reading
    void oversizeHeaderBlockFailsAtTheLimit() throws IOException {
        // The server never ends the header block: a client without a limit would read forever.
        try (ScriptedServer server = ScriptedServer.start(c -> {
                 c.readRequest();
                 c.send("HTTP/1.1 200 OK\r\n");
                 byte[] field = ("X-Pad: " + "p".repeat(100) + "\r\n").getBytes(ISO_8859_1);
                 while (true) c.send(field);
             });
             HttpConnection conn = connect(server, b -> b.headerBlockLimit(1000))) {
            conn.sendRequest("GET", "/");

            assertThrowsExactly(InvalidResponseException.class, conn::readResponse);
        }
    }

    @Test
    void headerBlockOverTheDefault64KibIsInvalid() throws IOException {
        StringBuilder wire = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 70; i++) wire.append("X-Pad-").append(i).append(": ").append("p".repeat(1000)).append("\r\n");
        wire.append("Content-Length: 0\r\n\r\n");
        assertTrue(wire.length() > 64 * 1024);

        headFails(InvalidResponseException.class, wire.toString());
    }

    @Test
    void whitespaceBeforeColonIsInvalid() throws IOException {
        headFails(InvalidResponseException.class, "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n");
    }

    @Test
    void headerLineWithoutColonIsInvalid() throws IOException {
        headFails(InvalidResponseException.class, "HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 0\r\n\r\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"NUL", "CR"})
    void nulOrCrInHeaderValueIsInvalid(String what) throws IOException {
        String bad = what.equals("NUL") ? "\0" : "\r";
        headFails(InvalidResponseException.class, "HTTP/1.1 200 OK\r\nX-Bad: a" + bad + "b\r\nContent-Length: 0\r\n\r\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1c, 0x1f, 0x7f})
    void controlCharacterOtherThanTabInFieldValueIsInvalid(int c) throws IOException {
        headFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nX-Bad: a" + (char) c + "b\r\nContent-Length: 0\r\n\r\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Content-Length: \u000b5", "Content-Length: \u000c3", "Content-Length: 5\u001c",
            "Transfer-Encoding: \u000cchunked", "Connection: \u001fclose"})
    void whitespaceOtherThanSpaceAndTabAroundAFramingValueIsInvalid(String field) throws IOException {
        // String.strip() would take VT, FF and 0x1C-0x1F for whitespace and accept these; OWS is SP / HTAB.
        headFails(InvalidResponseException.class, "HTTP/1.1 200 OK\r\n" + field + "\r\n\r\n" + Http.chunked("hello"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Content-Length: 5\r\n 5", "Content-Length:\r\n\t5", "Transfer-Encoding: chunked\r\n ,identity",
            "transfer-encoding:\r\n chunked", "Connection: keep-alive\r\n close"})
    void obsFoldInAFramingFieldIsInvalid(String folded) throws IOException {
        headFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\n" + folded + "\r\nContent-Length: 5\r\n\r\nhello");
    }

    @Test
    void foldedFirstFieldLineIsInvalid() throws IOException {
        headFails(InvalidResponseException.class, "HTTP/1.1 200 OK\r\n X-Folded: a\r\nContent-Length: 0\r\n\r\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\r\n"})
    void bareCrInTheHeadIsInvalid(String wire) throws IOException {
        headFails(InvalidResponseException.class, wire);
    }

    @Test
    void fieldCountOverTheLimitIsInvalid() throws IOException {
        StringBuilder wire = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 10; i++) wire.append("X-").append(i).append(": v\r\n");
        wire.append("Content-Length: 0\r\n\r\n"); // the 11th field

        headFails(InvalidResponseException.class, wire.toString(), b -> b.maxHeaderFields(10));
    }

    @Test
    void fieldCountOverTheDefault256IsInvalid() throws IOException {
        // 257 tiny fields: about 2 KiB, far below the byte limit, so only the count can stop them.
        StringBuilder wire = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 256; i++) wire.append("a:\r\n");
        wire.append("Content-Length: 0\r\n\r\n");

        headFails(InvalidResponseException.class, wire.toString());
    }

    // ------------------------------------------------------------------------------------------
    // Framing headers (RFC 9112 §6)

    @ParameterizedTest(name = "Content-Length: \"{0}\"")
    @ValueSource(strings = {"-1", "abc", "5x", "+5", ""})
    void invalidContentLengthIsInvalid(String value) throws IOException {
        headFails(InvalidResponseException.class, "HTTP/1.1 200 OK\r\nContent-Length: " + value + "\r\n\r\nhello");
    }

    @Test
    void conflictingContentLengthsAreInvalid() throws IOException {
        headFails(InvalidResponseException.class, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
    }

    @Test
    void conflictingContentLengthListIsInvalid() throws IOException {
        headFails(InvalidResponseException.class, "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gzip", "gzip, chunked"})
    void transferCodingOtherThanChunkedIsUnsupported(String codings) throws IOException {
        headFails(UnsupportedResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: " + codings + "\r\n\r\n" + Http.chunked("hello"));
    }

    @Test
    void emptyTransferEncodingIsInvalid() throws IOException {
        headFails(InvalidResponseException.class, "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\nContent-Length: 5\r\n\r\nhello");
    }

    @Test
    void chunkedAppliedTwiceIsInvalid() throws IOException {
        headFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" + Http.chunked("hello"));
    }

    // ------------------------------------------------------------------------------------------
    // Chunked coding (RFC 9112 §7.1)

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"zz", "-1", "", "fffffffffffffffffffff", "5 x", "0x5", "+5", " 5", "1000000000000005"})
    void badChunkSizeIsInvalid(String sizeLine) throws IOException {
        bodyFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + sizeLine + "\r\nhello\r\n0\r\n\r\n");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"5;", "5;=x", "5;a=", "5; a b", "5;a=\"unterminated", "5;a=\"x\"y", "5;a=b c", "5;a=\"\u0001\"",
            "5;a=\"\\", "5;a=(b)", "5,a"})
    void malformedChunkExtensionIsInvalid(String sizeLine) throws IOException {
        bodyFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + sizeLine + "\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void bareCrInAChunkSizeLineIsInvalid() throws IOException {
        bodyFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\rc\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void chunkDataFollowedByBareCrIsInvalid() throws IOException {
        bodyFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r0\r\n\r\n");
    }

    // ------------------------------------------------------------------------------------------
    // Trailer section (RFC 9112 §7.1.2): the header-block parser and its limits

    @Test
    void missingEndOfTrailersDoesNotSwallowTheNextResponse() throws IOException {
        // The last chunk lacks its final CRLF, so the next response's head follows "0\r\n" directly. Read
        // line by line as "trailers" it would vanish; through the field parser its status line fails.
        try (ScriptedServer server = ScriptedServer.start(c -> {
                 c.readRequest();
                 c.readRequest();
                 c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
                         + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
                 c.closeGracefully();
             });
             HttpConnection conn = connect(server, b -> b)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");
            server.awaitRequests(2);
            assertEquals(200, conn.readResponse().status());

            assertThrowsExactly(InvalidResponseException.class, conn::readAll);
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, conn::readResponse);
            assertTrue(e.getMessage().contains("GET /b"), e.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"NoColon", "X Bad: 1", "X-Ctl: a\u0001b", " X-Folded-First: 1"})
    void malformedTrailerLineIsInvalid(String trailer) throws IOException {
        bodyFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n" + trailer + "\r\n\r\n");
    }

    @Test
    void trailerSectionOverTheHeaderBlockLimitIsInvalid() throws IOException {
        String trailers = ("X-Pad: " + "p".repeat(100) + "\r\n").repeat(20); // ~2 KiB
        bodyFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n" + trailers + "\r\n",
                b -> b.headerBlockLimit(1000));
    }

    @Test
    void trailerFieldCountOverTheLimitIsInvalid() throws IOException {
        bodyFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n" + "t:\r\n".repeat(11) + "\r\n",
                b -> b.maxHeaderFields(10));
    }

    @Test
    void chunkDataNotFollowedByCrlfIsInvalid() throws IOException {
        bodyFails(InvalidResponseException.class,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n");
    }

    // ------------------------------------------------------------------------------------------
    // The connection after a protocol error

    @Test
    void readRawShowsWhatFollowsTheBadPartAndTheSocketStaysOpen() throws Exception {
        CountDownLatch clientSawFirst = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
                 c.readRequest();
                 c.send("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nfirst");
                 if (!clientSawFirst.await(10, TimeUnit.SECONDS)) return;
                 c.send("second");
                 c.closeGracefully();
             });
             HttpConnection conn = connect(server, b -> b)) {
            conn.sendRequest("GET", "/");
            assertThrowsExactly(InvalidResponseException.class, conn::readResponse);

            assertEquals("first", readRawExactly(conn, 5));
            clientSawFirst.countDown();
            assertEquals("second", readRawExactly(conn, 6));
        }
    }

    @Test
    void pipelinedRequestAfterAnInvalidResponseFails() throws IOException {
        try (ScriptedServer server = ScriptedServer.start(c -> {
                 c.readRequest();
                 c.readRequest();
                 c.send("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n" + Http.response(200, "for /b"));
                 c.closeGracefully();
             });
             HttpConnection conn = connect(server, b -> b)) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");
            server.awaitRequests(2);
            assertThrowsExactly(InvalidResponseException.class, conn::readResponse);

            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, conn::readResponse);

            assertTrue(e.getMessage().contains("GET /b"), e.getMessage());
            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /**
     * A connection with a 5 s inactivity timeout as a safety net: a parser that waits for more data
     * fails with ConnectionTimedOutException rather than the exception under test.
     */
    private static HttpConnection connect(ScriptedServer server, UnaryOperator<HttpConnection.Builder> config) {
        return config.apply(HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5))).build();
    }

    /** A server that reads one request, sends {@code wire}, and keeps the connection until the client closes it. */
    private static ScriptedServer sending(String wire) {
        return ScriptedServer.start(c -> {
            c.readRequest();
            c.send(wire);
            c.closeGracefully();
        });
    }

    /** Asserts that {@code readResponse} for a GET answered by {@code wire} throws exactly {@code expected}. */
    private static void headFails(Class<? extends IOException> expected, String wire) throws IOException {
        headFails(expected, wire, b -> b);
    }

    private static void headFails(Class<? extends IOException> expected, String wire,
                                  UnaryOperator<HttpConnection.Builder> config) throws IOException {
        try (ScriptedServer server = sending(wire);
             HttpConnection conn = connect(server, config)) {
            conn.sendRequest("GET", "/");

            assertThrowsExactly(expected, conn::readResponse);
        }
    }

    /** Asserts that the head of {@code wire} is accepted but reading its body throws exactly {@code expected}. */
    private static void bodyFails(Class<? extends IOException> expected, String wire) throws IOException {
        bodyFails(expected, wire, b -> b);
    }

    private static void bodyFails(Class<? extends IOException> expected, String wire,
                                  UnaryOperator<HttpConnection.Builder> config) throws IOException {
        try (ScriptedServer server = sending(wire);
             HttpConnection conn = connect(server, config)) {
            conn.sendRequest("GET", "/");
            assertEquals(200, conn.readResponse().status());

            assertThrowsExactly(expected, conn::readAll);
        }
    }

    /** Reads exactly {@code n} raw bytes, over as many readRaw calls as it takes. */
    private static String readRawExactly(HttpConnection conn, int n) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < n) {
            byte[] raw = conn.readRaw(n - got.size());
            if (raw.length == 0) break; // end of stream: the assertion on the result reports it
            got.writeBytes(raw);
        }
        return got.toString(ISO_8859_1);
    }
}
