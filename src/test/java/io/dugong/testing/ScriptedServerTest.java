package io.dugong.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tests of the test server itself, using only a plain {@link Socket} as the client. */
@Timeout(30)
class ScriptedServerTest {

    /** Hands values from handler threads to the test thread. */
    private final BlockingQueue<Object> seen = new ArrayBlockingQueue<>(16);

    @Test
    void parsesContentLengthBody() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            seen.add(c.readRequest());
            c.sendResponse(200, "ok");
        }); Socket client = connect(server)) {
            String head = "POST /upload?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nX-Multi: a\r\nx-multi:  b \r\n\r\n";
            write(client, head + "hello");
            assertEquals(Http.response(200, "ok"), readResponse(client.getInputStream()));

            RecordedRequest r = take(RecordedRequest.class);
            assertEquals("POST", r.method());
            assertEquals("/upload?x=1", r.target());
            assertEquals("HTTP/1.1", r.version());
            assertEquals(Optional.of("5"), r.header("content-length"));
            assertEquals(List.of("a", "b"), r.headers("X-MULTI"));
            assertEquals("hello", r.bodyAsString());
            assertEquals(head, r.headText());
        }
    }

    @Test
    void decodesChunkedBody() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            seen.add(c.readRequest());
            seen.add(c.readRequest());
            c.sendResponse(200, "");
        }); Socket client = connect(server)) {
            write(client, "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5;name=value\r\nhello\r\n6 ; x\r\n world\r\n0\r\nTrailer-Field: t\r\n\r\n"
                    + "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + Http.chunked("ab", "cdefghijklmnopqr"));
            readResponse(client.getInputStream());

            RecordedRequest a = take(RecordedRequest.class);
            assertTrue(a.isChunked());
            assertEquals("hello world", a.bodyAsString());
            assertEquals("abcdefghijklmnopqr", take(RecordedRequest.class).bodyAsString());
        }
    }

    @Test
    void readsPipelinedRequestsInOrder() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                c.sendResponse(200, r.target());
            }
            seen.add(c.requestCount());
        }); Socket client = connect(server)) {
            // One write: all three requests typically arrive in a single segment.
            write(client, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
            InputStream in = client.getInputStream();
            for (String target : List.of("/1", "/2", "/3")) {
                assertEquals(Http.response(200, target), readResponse(in));
            }
            client.shutdownOutput();
            assertEquals(3, take(Integer.class));
            assertEquals(3, server.requestsRead());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void readRequestReturnsNullWhenClientCloses() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest first = c.readRequest();
            seen.add(first == null ? "null" : first.target());
            RecordedRequest second = c.readRequest();
            seen.add(second == null ? "null" : second.target());
        })) {
            connect(server).close(); // without sending anything
            assertEquals("null", take(String.class));
            assertEquals("null", take(String.class));

            try (Socket client = connect(server)) {
                write(client, "GET /only HTTP/1.1\r\nHost: h\r\n\r\n");
            }
            assertEquals("/only", take(String.class));
            assertEquals("null", take(String.class));
        }
    }

    @Test
    void halfCloseSendsEofButKeepsReading() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, "bye");
            c.shutdownOutput();
            seen.add(new String(c.readToEof(), StandardCharsets.ISO_8859_1));
        }); Socket client = connect(server)) {
            write(client, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            InputStream in = client.getInputStream();
            assertEquals(Http.response(200, "bye"), readResponse(in));
            assertEquals(-1, in.read(), "server half-closed: client reads EOF");
            write(client, "still writable");
            client.shutdownOutput();
            assertEquals("still writable", take(String.class));
        }
    }

    @Test
    void resetIsSeenAsConnectionReset() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.reset();
            seen.add(c.isClosed());
        }); Socket client = connect(server)) {
            write(client, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            SocketException e = assertThrows(SocketException.class, () -> client.getInputStream().read());
            assertEquals("Connection reset", e.getMessage());
            assertEquals(true, take(Boolean.class));
        }
    }

    @Test
    void awaitRequestsIsAHandshake() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            while (c.readRequest() != null) {
                // Read without responding.
            }
        }); Socket client = connect(server)) {
            server.awaitConnections(1);
            assertEquals(1, server.acceptedConnections());
            write(client, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
            server.awaitRequests(2);
            assertEquals(2, server.requestsRead());
            AssertionError timeout = assertThrows(AssertionError.class,
                    () -> server.awaitRequests(3, Duration.ofMillis(100)));
            assertTrue(timeout.getMessage().contains("timed out"), timeout.getMessage());
        }
    }

    @Test
    void expectContinueScriptReadsHeadThenBody() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest head = c.readRequestHead();
            seen.add(head.header("Expect").orElse("none"));
            c.send100Continue();
            seen.add(head.withBody(c.readBody(head)));
            c.sendResponse(201, Map.of("Location", "/x"), new byte[0]);
        }); Socket client = connect(server)) {
            write(client, "PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
            assertEquals("100-continue", take(String.class));
            server.awaitRequests(1); // the head alone counts
            InputStream in = client.getInputStream();
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", readHead(in));
            write(client, "data");
            assertEquals("data", take(RecordedRequest.class).bodyAsString());
            assertEquals("HTTP/1.1 201 Created\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", readResponse(in));
        }
    }

    @Test
    void sendResponseKeepsCallerFraming() throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Transfer-Encoding", "chunked");
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, headers, Http.latin1(Http.chunked("hi")));
            c.sendResponse(204, new byte[0]);
            c.sendResponse(200, "x".getBytes(StandardCharsets.ISO_8859_1), "Content-Length", "1", "Content-Length", "2");
            c.shutdownOutput();
        }); Socket client = connect(server)) {
            write(client, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
                            + "HTTP/1.1 204 No Content\r\n\r\n"
                            + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
                    new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void rawReadsServeBufferedBytesFirst() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            seen.add(c.readRequestHead());
            seen.add(new String(c.readExactly(3), StandardCharsets.ISO_8859_1));
            byte[] buf = new byte[64];
            int n = c.readAvailable(buf);
            seen.add(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        }); Socket client = connect(server)) {
            write(client, "GET / HTTP/1.1\r\nHost: h\r\n\r\nabcdef");
            assertEquals("/", take(RecordedRequest.class).target());
            assertEquals("abc", take(String.class));
            assertEquals("def", take(String.class));
        }
    }

    @Test
    void missingHostParses() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> seen.add(c.readRequest()));
             Socket client = connect(server)) {
            write(client, "GET / HTTP/1.1\r\n\r\n");
            RecordedRequest r = take(RecordedRequest.class);
            assertEquals(Optional.empty(), r.header("Host"));
            assertTrue(r.headers().isEmpty());
        }
    }

    @Test
    void bareLfFailsTheServer() throws Exception {
        ScriptedServer server = ScriptedServer.start(ServerConnection::readRequest);
        try (Socket client = connect(server)) {
            write(client, "GET / HTTP/1.1\nHost: h\r\n\r\n");
            client.shutdownOutput();
            awaitServerClose(client); // the handler has failed by then
        }
        AssertionError e = assertThrows(AssertionError.class, server::close);
        assertTrue(e.getMessage().contains("bare LF"), e.getMessage());
    }

    @Test
    void malformedRequestsFailStrictly() throws Exception {
        List<String> bad = List.of(
                "GET /  HTTP/1.1\r\n\r\n",
                "GET / HTTP/1.0\r\n\r\n",
                "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
                "\r\nGET / HTTP/1.1\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n");
        for (String request : bad) {
            try (ScriptedServer server = ScriptedServer.start(c -> {
                try {
                    c.readRequest();
                    seen.add("parsed");
                } catch (AssertionError expected) {
                    seen.add("rejected");
                }
            }); Socket client = connect(server)) {
                write(client, request);
                assertEquals("rejected", take(String.class), request);
            }
        }
    }

    @Test
    void closeRethrowsHandlerAssertionError() throws Exception {
        ScriptedServer server = ScriptedServer.start(c -> {
            throw new AssertionError("script saw the wrong request");
        });
        try (Socket client = connect(server)) {
            awaitServerClose(client); // the handler has thrown by then
        }
        AssertionError e = assertThrows(AssertionError.class, server::close);
        assertEquals("script saw the wrong request", e.getCause().getMessage());
        assertEquals(1, server.handlerErrors().size());
        server.close(); // idempotent: a second close does not throw again
    }

    @Test
    void closeIgnoresNormalConnectionEndings() throws Exception {
        ScriptedServer server = ScriptedServer.start(c -> {
            seen.add("reading");
            c.readRequest(); // blocks until close() closes the socket
        });
        try (Socket client = connect(server)) {
            assertEquals("reading", take(String.class));
            server.close(); // the handler's SocketException is a normal ending
            assertEquals(-1, client.getInputStream().read());
        }
        assertEquals(1, server.handlerErrors().size());
        assertTrue(server.handlerErrors().get(0) instanceof SocketException, server.handlerErrors().toString());
    }

    @Test
    void awaitFailsFastWhenAHandlerFails() throws Exception {
        ScriptedServer server = ScriptedServer.start(c -> {
            throw new IllegalStateException("script bug");
        });
        try (Socket client = connect(server)) {
            assertTrue(client.isConnected());
            AssertionError e = assertThrows(AssertionError.class, () -> server.awaitRequests(1));
            assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
        }
        assertThrows(AssertionError.class, server::close);
    }

    @Test
    void builderOptionsReachAcceptedSockets() throws Exception {
        int defaultWindow;
        try (Socket probe = new Socket()) {
            defaultWindow = probe.getReceiveBufferSize();
        }
        try (ScriptedServer server = ScriptedServer.builder().receiveBufferSize(4096).sendBufferSize(4096).backlog(4)
                .start(c -> seen.add(new int[] {c.socket().getReceiveBufferSize(), c.socket().getSendBufferSize()}));
             Socket client = connect(server)) {
            int[] sizes = take(int[].class);
            assertTrue(sizes[0] < defaultWindow && sizes[0] <= 16 * 1024, "receive buffer " + sizes[0]);
            assertTrue(sizes[1] <= 16 * 1024, "send buffer " + sizes[1]);
            assertEquals("127.0.0.1", server.host());
            assertEquals("http://127.0.0.1:" + server.port(), server.uri().toString());
            assertFalse(client.isClosed());
        }
    }

    @Test
    void httpHelpers() {
        assertEquals("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope", Http.response(404, "nope"));
        assertEquals("a\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n", Http.chunked("0123456789", "x"));
        assertEquals("0\r\n\r\n", Http.chunked());
        assertThrows(IllegalArgumentException.class, () -> Http.chunked(""));
        assertThrows(IllegalArgumentException.class, () -> Http.response(200, "\u20ac"));
        assertArrayEquals(new byte[] {(byte) 0xE9}, Http.latin1("\u00e9"));
    }

    // --- plain-socket client helpers ---

    private static Socket connect(ScriptedServer server) throws IOException {
        Socket s = new Socket(server.host(), server.port());
        s.setSoTimeout(10_000); // a broken script fails the test instead of hanging it
        return s;
    }

    private static void write(Socket s, String latin1) throws IOException {
        s.getOutputStream().write(latin1.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** Reads until the server closes (FIN) or resets (the latter when it left request bytes unread). */
    private static void awaitServerClose(Socket s) throws IOException {
        try {
            s.getInputStream().readAllBytes();
        } catch (SocketException reset) {
            // Also a close.
        }
    }

    /** Reads up to and including the blank line ending a response head. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("EOF in response head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads one Content-Length-framed response and returns it as raw text. */
    private static String readResponse(InputStream in) throws IOException {
        String head = readHead(in);
        int length = 0;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).strip());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    private <T> T take(Class<T> type) throws InterruptedException {
        Object o = seen.poll(10, TimeUnit.SECONDS);
        if (o == null) {
            throw new AssertionError("handler did not report a " + type.getSimpleName() + " within 10 s");
        }
        return type.cast(o);
    }
}
