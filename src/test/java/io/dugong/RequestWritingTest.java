package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dugong.testing.Http;
import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What a request looks like on the wire: request line, Host, user headers, body framing, and validation that sends nothing. */
@Timeout(30)
class RequestWritingTest {

    // ------------------------------------------------------------------------------------------
    // Request line and headers

    @Test
    void requestLineAndHostWithPortAreExact() throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/a/b?c=d&e");

            RecordedRequest r = server.exchange(conn);

            assertEquals("GET /a/b?c=d&e HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n\r\n", r.headText());
        }
    }

    @Test
    void userHeadersFollowHostInOrderAndCaseAsGiven() throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/", Headers.of("X-B", "2", "x-a", "1", "ACCEPT", "*/*", "X-B", "3"));

            RecordedRequest r = server.exchange(conn);

            assertEquals("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"
                    + "X-B: 2\r\nx-a: 1\r\nACCEPT: */*\r\nX-B: 3\r\n\r\n", r.headText());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Host", "host", "HOST"})
    void userHostHeaderReplacesTheConnectionsOne(String name) throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest("GET", "/", Headers.of("X-First", "1", name, "example.org:8080"));

            RecordedRequest r = server.exchange(conn);

            assertEquals("GET / HTTP/1.1\r\nX-First: 1\r\n" + name + ": example.org:8080\r\n\r\n", r.headText());
        }
    }

    @Test
    void ipv6HostIsBracketedWithItsPort() throws Exception {
        InetAddress loopback6 = ipv6LoopbackOrSkip();
        try (Recorder server = new Recorder(ScriptedServer.builder().bindAddress(loopback6));
             HttpConnection conn = HttpConnection.builder("::1").port(server.port()).timeout(Duration.ofSeconds(5)).build()) {
            conn.sendRequest("GET", "/six");

            RecordedRequest r = server.exchange(conn);

            assertEquals("GET /six HTTP/1.1\r\nHost: [::1]:" + server.port() + "\r\n\r\n", r.headText());
        }
    }

    /*
     * Port 80 cannot be bound without privileges, so the default-port forms are checked where a user
     * sees them without one: a plain-HTTP proxy receives the origin's Host header (and absolute target)
     * exactly as a direct connection to port 80 would send it.
     */

    @Test
    void hostOnDefaultPortHasNoPort() throws Exception {
        try (Recorder proxy = new Recorder(); HttpConnection conn = throughProxy("example.org", proxy)) {
            conn.sendRequest("GET", "/x");

            RecordedRequest r = proxy.exchange(conn);

            assertEquals("GET http://example.org/x HTTP/1.1\r\nHost: example.org\r\n\r\n", r.headText());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"::1", "[::1]"})
    void ipv6HostOnDefaultPortIsBracketedWithoutPort(String host) throws Exception {
        try (Recorder proxy = new Recorder(); HttpConnection conn = throughProxy(host, proxy)) {
            conn.sendRequest("GET", "/x");

            RecordedRequest r = proxy.exchange(conn);

            assertEquals("GET http://[::1]/x HTTP/1.1\r\nHost: [::1]\r\n\r\n", r.headText());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Body framing

    @Test
    void inMemoryBodyIsAnnouncedByContentLength() throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.post("/p", bytes("hello")));

            RecordedRequest r = server.exchange(conn);

            assertEquals("POST /p HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nContent-Length: 5\r\n\r\n", r.headText());
            assertEquals("hello", r.bodyAsString());
        }
    }

    @Test
    void fileBodyIsAnnouncedByItsSize(@TempDir Path dir) throws Exception {
        byte[] content = new byte[100_000];
        for (int i = 0; i < content.length; i++) content[i] = (byte) ('a' + i % 26);
        Path file = Files.write(dir.resolve("upload.bin"), content);
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/f").body(Body.ofFile(file)).build());

            RecordedRequest r = server.exchange(conn);

            assertEquals("PUT /f HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nContent-Length: 100000\r\n\r\n", r.headText());
            assertEquals(new String(content, ISO_8859_1), r.bodyAsString());
        }
    }

    @Test
    void followingBodyIsAnnouncedByContentLengthAndWrittenAfter() throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("POST", "/f").body(Body.following(11)).build());
            conn.write(bytes("hello "));
            conn.write(bytes("world"));

            RecordedRequest r = server.exchange(conn);

            assertEquals("POST /f HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nContent-Length: 11\r\n\r\n", r.headText());
            assertEquals("hello world", r.bodyAsString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"POST", "PUT", "PATCH"})
    void emptyBodyOfMethodWithContentSendsContentLengthZero(String method) throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder(method, "/e").build());

            RecordedRequest r = server.exchange(conn);

            assertEquals(method + " /e HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nContent-Length: 0\r\n\r\n", r.headText());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"GET", "DELETE", "OPTIONS"})
    void emptyBodyOfOtherMethodsSendsNoFramingHeader(String method) throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder(method, "/e").build());

            RecordedRequest r = server.exchange(conn);

            assertEquals(method + " /e HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n\r\n", r.headText());
        }
    }

    @Test
    void chunkedBodyIsSentAsChunksTheServerDecodes() throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("POST", "/c").body(Body.chunked()).build());
            conn.write(bytes("abc"));
            conn.write(bytes("0123456789abcdefXYZ"));
            conn.finishBody();

            RecordedRequest r = server.exchange(conn);

            assertEquals("POST /c HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nTransfer-Encoding: chunked\r\n\r\n",
                    r.headText());
            assertEquals("abc0123456789abcdefXYZ", r.bodyAsString());
        }
    }

    @Test
    void chunkedBodyBytesAreOneChunkPerWriteThenTheLastChunk() throws Exception {
        BlockingQueue<String> raw = new LinkedBlockingQueue<>();
        String expected = Http.chunked("abc", "0123456789abcdefXYZ");
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequestHead();
            raw.add(new String(c.readExactly(expected.length()), ISO_8859_1));
            c.sendResponse(200, "ok");
            c.closeGracefully();
        }); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("POST", "/c").body(Body.chunked()).build());
            conn.write(bytes("abc"));
            conn.write(bytes("0123456789abcdefXYZ"));
            conn.finishBody();

            assertEquals(expected, raw.poll(10, TimeUnit.SECONDS));
            assertEquals(200, conn.readResponse().status());
        }
    }

    @Test
    void emptyWriteDoesNotEndAChunkedBody() throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("POST", "/c").body(Body.chunked()).build());
            conn.write(new byte[0]);
            conn.write(bytes("after"));
            conn.finishBody();

            assertEquals("after", server.exchange(conn).bodyAsString());
        }
    }

    @Test
    void requestBodyStreamWritesAFollowingBody() throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/s").body(Body.following(6)).build());
            try (OutputStream out = conn.requestBody()) {
                out.write(bytes("xhelly"), 1, 4);
                out.write('o');
                out.write('!');
            }

            RecordedRequest r = server.exchange(conn);

            assertEquals(6, r.contentLength().orElseThrow());
            assertEquals("hello!", r.bodyAsString());
        }
    }

    @Test
    void closingTheRequestBodyStreamEndsAChunkedBody() throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("POST", "/s").body(Body.chunked()).build());
            try (OutputStream out = conn.requestBody()) {
                out.write(bytes("streamed "));
                out.write(bytes("chunks"));
            }

            RecordedRequest r = server.exchange(conn);

            assertTrue(r.isChunked());
            assertEquals("streamed chunks", r.bodyAsString());
        }
    }

    @Test
    void writeOfHeapByteBufferSendsItsRemainingBytes() throws Exception {
        // A slice of a wrapped array: array offset 1, then position 1 and limit 6 within the slice.
        ByteBuffer src = ByteBuffer.wrap(bytes("[-hello-]"), 1, 7).slice().position(1).limit(6);
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("POST", "/b").body(Body.following(5)).build());
            conn.write(src);

            assertEquals(src.limit(), src.position());
            assertEquals("hello", server.exchange(conn).bodyAsString());
        }
    }

    @Test
    void writeOfDirectByteBufferSendsItsRemainingBytes() throws Exception {
        ByteBuffer src = ByteBuffer.allocateDirect(16).put(bytes("--direct--")).flip().position(2).limit(8);
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("POST", "/b").body(Body.following(6)).build());
            conn.write(src);

            assertEquals(src.limit(), src.position());
            assertEquals("direct", server.exchange(conn).bodyAsString());
        }
    }

    @Test
    void contentMd5IsTheBase64OfTheBodysDigest() throws Exception {
        byte[] content = bytes("The quick brown fox jumps over the lazy dog");
        String expected = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(content));
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.post("/md5", content).withContentMd5());

            RecordedRequest r = server.exchange(conn);

            assertEquals("nhB9nTcrtoJr2B01QqQZ1g==", expected); // RFC 1321 test vector, as a check of the check
            assertEquals(List.of(expected), r.headers("Content-MD5"));
            assertEquals(new String(content, ISO_8859_1), r.bodyAsString());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Validation: rejected before any byte is sent (the connection is not even opened)

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"GE T", "GET\r", "GET\n", "GE\0T", "GET/", "G(ET", "GÉT", ""})
    void invalidMethodIsRejectedAndNothingSent(String method) throws Exception {
        assertRejectedBeforeSending(conn -> conn.sendRequest(method, "/"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/a b", "/a\r\nX-Injected: 1", "/a\n", "/a\r", "/a\0b", "/a\tb"})
    void invalidTargetIsRejectedAndNothingSent(String target) throws Exception {
        assertRejectedBeforeSending(conn -> conn.sendRequest("GET", target));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"X Name", "X-Name:", "X-Name\r", "X\nName", "X-Na\0me", "X(Name)", ""})
    void invalidHeaderNameIsRejectedAndNothingSent(String name) throws Exception {
        assertRejectedBeforeSending(conn -> conn.sendRequest("GET", "/", Headers.of(name, "v")));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a\r\nX-Injected: 1", "a\rb", "a\nb", "a\0b", "a\u0007b", "\u0100"})
    void invalidHeaderValueIsRejectedAndNothingSent(String value) throws Exception {
        assertRejectedBeforeSending(conn -> conn.sendRequest("GET", "/", Headers.of("X-Value", value)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Content-Length", "content-length", "Transfer-Encoding", "TRANSFER-ENCODING"})
    void userFramingHeaderIsRejectedAndNothingSent(String name) throws Exception {
        String value = name.equalsIgnoreCase("Content-Length") ? "5" : "chunked";
        assertRejectedBeforeSending(conn -> conn.sendRequest(Request.post("/p", bytes("hello")).withHeader(name, value)));
    }

    @Test
    void userFramingHeaderIsRejectedWhenTheRequestIsBuilt() {
        Request.Builder withLength = Request.builder("POST", "/p").body(bytes("hello")).header("Content-Length", "5");
        Request.Builder withCoding = Request.builder("POST", "/p").body(Body.chunked()).header("Transfer-Encoding", "chunked");

        assertThrows(IllegalArgumentException.class, withLength::build);
        assertThrows(IllegalArgumentException.class, withCoding::build);
    }

    @Test
    void secondHostHeaderIsRejectedAndNothingSent() throws Exception {
        // Two Host fields could send a proxy and the origin to different virtual hosts (RFC 9112 §3.2).
        assertRejectedBeforeSending(conn -> conn.sendRequest("GET", "/", Headers.of("Host", "a.example", "Host", "b.example")));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a.example/path", "a.example b.example", "user@a.example", "a.example\t", "a.example?q", "a\u00e9.example"})
    void hostHeaderWithMoreThanHostAndPortIsRejectedAndNothingSent(String host) throws Exception {
        assertRejectedBeforeSending(conn -> conn.sendRequest("GET", "/", Headers.of("Host", host)));
    }

    @Test
    void userFramingHeaderOnAnOpenConnectionSendsNothing() throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            conn.connect();
            server.awaitConnections(1);

            assertThrows(IllegalArgumentException.class,
                    () -> conn.sendRequest("GET", "/bad", Headers.of("Content-Length", "0")));
            conn.sendRequest("GET", "/good");

            // Anything sent for the rejected request would come first (or break the server's parse).
            assertEquals("GET /good HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n\r\n", server.exchange(conn).headText());
            assertEquals(1, server.requestsRead());
            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    @FunctionalInterface
    private interface ClientAction {
        void run(HttpConnection conn) throws Exception;
    }

    /**
     * The action throws IllegalArgumentException, no connection is opened, and a valid request sent
     * afterwards is the first and only thing the server reads.
     */
    private static void assertRejectedBeforeSending(ClientAction action) throws Exception {
        try (Recorder server = new Recorder(); HttpConnection conn = connect(server)) {
            assertThrows(IllegalArgumentException.class, () -> action.run(conn));

            assertEquals(0, server.acceptedConnections());
            assertEquals(0, server.requestsRead());
            assertFalse(conn.responsePending());

            conn.sendRequest("GET", "/after");
            assertEquals("GET /after HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n\r\n", server.exchange(conn).headText());
            assertEquals(1, server.acceptedConnections());
            assertEquals(1, server.requestsRead());
        }
    }

    /** A server that records every request and answers each with 200 "ok". */
    private static final class Recorder implements AutoCloseable {
        private final BlockingQueue<RecordedRequest> requests = new LinkedBlockingQueue<>();
        private final ScriptedServer server;

        Recorder() {
            this(ScriptedServer.builder());
        }

        Recorder(ScriptedServer.Builder builder) {
            server = builder.start(c -> {
                for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                    requests.add(r);
                    c.sendResponse(200, "ok");
                }
            });
        }

        /** Reads the response to the oldest request in flight and returns that request as the server saw it. */
        RecordedRequest exchange(HttpConnection conn) throws Exception {
            ResponseHead head = conn.readResponse();
            assertEquals(200, head.status());
            assertEquals("ok", new String(conn.readAll(), ISO_8859_1));
            RecordedRequest r = requests.poll(10, TimeUnit.SECONDS);
            assertNotNull(r, "the server recorded no request");
            return r;
        }

        String host() {
            return server.host();
        }

        int port() {
            return server.port();
        }

        int acceptedConnections() {
            return server.acceptedConnections();
        }

        int requestsRead() {
            return server.requestsRead();
        }

        void awaitConnections(int n) {
            server.awaitConnections(n);
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private static HttpConnection connect(Recorder server) {
        return HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5)).build();
    }

    private static HttpConnection connect(ScriptedServer server) {
        return HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5)).build();
    }

    /** A connection to {@code host} on the default port, through {@code proxy} as a plain-HTTP proxy. */
    private static HttpConnection throughProxy(String host, Recorder proxy) {
        return HttpConnection.builder(host)
                .proxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port()))
                .timeout(Duration.ofSeconds(5))
                .build();
    }

    /** ::1 if this machine can listen on it; otherwise the test is skipped. */
    private static InetAddress ipv6LoopbackOrSkip() throws IOException {
        InetAddress six = InetAddress.getByName("::1");
        boolean available;
        try (ServerSocket probe = new ServerSocket(0, 1, six)) {
            available = probe.getLocalPort() > 0;
        } catch (IOException e) {
            available = false;
        }
        assumeTrue(available, "no IPv6 loopback on this machine");
        return six;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(ISO_8859_1);
    }
}
