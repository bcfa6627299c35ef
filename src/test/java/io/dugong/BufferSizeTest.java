package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.testing.ScriptedServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Body framing and head parsing do not depend on how the bytes fall into the read buffer: every case
 * runs with buffers just below, at and above powers of two (and the default), with several responses
 * arriving in one server write and bodies read in 7-byte pieces, whole, or discarded.
 */
@Timeout(30)
class BufferSizeTest {
    private static final int SMALL_READ = 7;

    /** A read buffer size; 0 stands for the builder's default. */
    record BufferSize(int bytes) {
        @Override
        public String toString() {
            return bytes == 0 ? "default" : bytes + " bytes";
        }
    }

    static Stream<BufferSize> bufferSizes() {
        return IntStream.of(63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 0).mapToObj(BufferSize::new);
    }

    // ------------------------------------------------------------------------------------------
    // Content-Length

    @ParameterizedTest(name = "{0}")
    @MethodSource("bufferSizes")
    void identityBodiesPipelinedInOneWrite(BufferSize size) throws IOException {
        byte[] a = randomBytes(5000, 1);
        byte[] b = randomBytes(3000, 2);
        byte[] c = randomBytes(4097, 3);
        byte[] d = randomBytes(1, 4);
        byte[] e = randomBytes(6000, 5);
        try (ScriptedServer server = answering(5, concat(
                identity(a), identity(b), identity(c), identity(d), identity(e)));
             HttpConnection conn = connect(server, size)) {
            sendGets(conn, 5);

            assertEquals(OptionalLong.of(a.length), conn.readResponse().length());
            assertArrayEquals(a, readInSmallPieces(conn));
            conn.readResponse();
            assertArrayEquals(b, conn.readAll());
            conn.readResponse();
            assertEquals(c.length, conn.discard());
            conn.readResponse();
            assertArrayEquals(d, readInSmallPieces(conn));
            assertEquals("/4", conn.readResponse().target());
            assertArrayEquals(e, readInSmallPieces(conn));

            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Chunked

    @ParameterizedTest(name = "{0}")
    @MethodSource("bufferSizes")
    void chunkedBodiesPipelinedInOneWrite(BufferSize size) throws IOException {
        byte[] a = randomBytes(6000, 11);
        byte[] b = randomBytes(4500, 12);
        byte[] c = randomBytes(5200, 13);
        byte[] d = randomBytes(3333, 14);
        try (ScriptedServer server = answering(4, concat(chunked(a, 21), chunked(b, 22), chunked(c, 23), chunked(d, 24)));
             HttpConnection conn = connect(server, size)) {
            sendGets(conn, 4);

            assertEquals(OptionalLong.empty(), conn.readResponse().length());
            assertArrayEquals(a, readInSmallPieces(conn));
            conn.readResponse();
            assertArrayEquals(b, conn.readAll());
            conn.readResponse();
            assertEquals(c.length, conn.discard());
            assertEquals("/3", conn.readResponse().target());
            assertArrayEquals(d, readInSmallPieces(conn));

            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Read until close

    @ParameterizedTest(name = "{0}")
    @MethodSource("bufferSizes")
    void readUntilCloseBodyAfterAPipelinedResponse(BufferSize size) throws IOException {
        byte[] first = randomBytes(3000, 31);
        byte[] last = randomBytes(5000, 32);
        try (ScriptedServer server = answering(2, concat(identity(first),
                "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".getBytes(ISO_8859_1), last));
             HttpConnection conn = connect(server, size)) {
            sendGets(conn, 2);
            conn.readResponse();
            assertArrayEquals(first, readInSmallPieces(conn));

            ResponseHead head = conn.readResponse();
            assertEquals(OptionalLong.empty(), head.length());
            assertArrayEquals(last, readInSmallPieces(conn));

            assertFalse(conn.responsePending());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bufferSizes")
    void readUntilCloseBodyReadWhole(BufferSize size) throws IOException {
        byte[] body = randomBytes(7000, 33);
        try (ScriptedServer server = answering(1, concat("HTTP/1.0 200 OK\r\n\r\n".getBytes(ISO_8859_1), body));
             HttpConnection conn = connect(server, size)) {
            sendGets(conn, 1);
            conn.readResponse();

            assertArrayEquals(body, conn.readAll());
            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Heads

    @ParameterizedTest(name = "{0}")
    @MethodSource("bufferSizes")
    void responseHeadsLargerThanTheBuffer(BufferSize size) throws IOException {
        String reason = "Fine " + "r".repeat(600);
        String longValue = "v".repeat(1500);
        StringBuilder manyFields = new StringBuilder();
        for (int i = 0; i < 40; i++) manyFields.append("X-Field-").append(i).append(": value ").append(i).append(" ").append("f".repeat(50)).append("\r\n");
        byte[] a = randomBytes(2000, 41);
        byte[] b = randomBytes(2500, 42);
        byte[] wire = concat(
                ("HTTP/1.1 200 " + reason + "\r\n" + manyFields + "Content-Length: " + a.length + "\r\n\r\n").getBytes(ISO_8859_1), a,
                ("HTTP/1.1 201 Created\r\nX-Long: " + longValue + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(ISO_8859_1),
                chunkedBody(b, 43, ""));
        try (ScriptedServer server = answering(2, wire);
             HttpConnection conn = connect(server, size)) {
            sendGets(conn, 2);

            ResponseHead first = conn.readResponse();
            assertEquals(reason, first.reason());
            for (int i = 0; i < 40; i++) {
                assertEquals("value " + i + " " + "f".repeat(50), first.headers().first("X-Field-" + i).orElseThrow());
            }
            assertArrayEquals(a, readInSmallPieces(conn));

            ResponseHead second = conn.readResponse();
            assertEquals(201, second.status());
            assertEquals(longValue, second.headers().first("X-Long").orElseThrow());
            assertArrayEquals(b, conn.readAll());

            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Bodies around the default buffer size: discard steps over them without copying, readAll reads
    // them straight into the result; either way the next response must start exactly after them.

    static Stream<Integer> sizesAroundTheDefaultBuffer() {
        int b = HttpConnection.DEFAULT_READ_BUFFER_SIZE;
        return Stream.of(0, 1, b - 1, b, b + 1, 2 * b - 1, 2 * b + 1, 4 * b + 7);
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("sizesAroundTheDefaultBuffer")
    void discardLeavesTheConnectionInStepWithEveryFraming(int length) throws IOException {
        byte[] fixed = randomBytes(length, 51);
        byte[] chunkedOne = randomBytes(length, 52);
        byte[] chunkedMany = randomBytes(length, 53);
        byte[] untilClose = randomBytes(length, 54);
        byte[] marker = randomBytes(100, 55);
        try (ScriptedServer server = answering(6, concat(identity(fixed), identity(marker),
                oneChunk(chunkedOne), identity(marker), chunked(chunkedMany, 56),
                "HTTP/1.0 200 OK\r\n\r\n".getBytes(ISO_8859_1), untilClose));
             HttpConnection conn = connect(server, new BufferSize(0))) {
            sendGets(conn, 6);

            conn.readResponse();
            assertEquals(length, conn.discard());
            assertEquals("/1", conn.readResponse().target());
            assertArrayEquals(marker, conn.readAll());
            conn.readResponse();
            assertEquals(length, conn.discard());
            assertEquals("/3", conn.readResponse().target());
            assertArrayEquals(marker, conn.readAll());
            conn.readResponse();
            assertEquals(length, conn.discard());
            assertEquals("/5", conn.readResponse().target());
            assertEquals(length, conn.discard());

            assertFalse(conn.responsePending());
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("sizesAroundTheDefaultBuffer")
    void readAllReadsWholeBodiesOfEveryFraming(int length) throws IOException {
        byte[] fixed = randomBytes(length, 61);
        byte[] chunkedOne = randomBytes(length, 62);
        byte[] chunkedMany = randomBytes(length, 63);
        byte[] untilClose = randomBytes(length, 64);
        try (ScriptedServer server = answering(4, concat(identity(fixed), oneChunk(chunkedOne), chunked(chunkedMany, 65),
                "HTTP/1.0 200 OK\r\n\r\n".getBytes(ISO_8859_1), untilClose));
             HttpConnection conn = connect(server, new BufferSize(0))) {
            sendGets(conn, 4);

            conn.readResponse();
            assertArrayEquals(fixed, conn.readAll());
            conn.readResponse();
            assertArrayEquals(chunkedOne, conn.readAll());
            conn.readResponse();
            assertArrayEquals(chunkedMany, conn.readAll());
            conn.readResponse();
            assertArrayEquals(untilClose, conn.readAll());

            assertFalse(conn.responsePending());
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("sizesAroundTheDefaultBuffer")
    void discardOfATruncatedBodyFailsAndTheBodyStaysFailed(int length) throws IOException {
        byte[] body = randomBytes(length, 71);
        try (ScriptedServer server = answering(1, concat(
                ("HTTP/1.1 200 OK\r\nContent-Length: " + (length + 1) + "\r\n\r\n").getBytes(ISO_8859_1), body));
             HttpConnection conn = connect(server, new BufferSize(0))) {
            sendGets(conn, 1);
            conn.readResponse();

            assertThrows(ConnectionClosedException.class, conn::discard);
            assertThrows(ConnectionClosedException.class, () -> conn.read(new byte[1], 0, 1));
            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    private static HttpConnection connect(ScriptedServer server, BufferSize size) {
        HttpConnection.Builder b = HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5));
        if (size.bytes() > 0) b.readBufferSize(size.bytes());
        return b.build();
    }

    /** A server that reads {@code requests} requests, then sends {@code wire} in one write and closes gracefully. */
    private static ScriptedServer answering(int requests, byte[] wire) {
        return ScriptedServer.start(c -> {
            for (int i = 0; i < requests; i++) {
                if (c.readRequest() == null) return;
            }
            c.send(wire);
            c.closeGracefully();
        });
    }

    private static void sendGets(HttpConnection conn, int n) throws IOException {
        for (int i = 0; i < n; i++) conn.sendRequest("GET", "/" + i);
    }

    /** Reads the current body to its end, {@value #SMALL_READ} bytes at a time. */
    private static byte[] readInSmallPieces(HttpConnection conn) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] piece = new byte[SMALL_READ];
        for (int n; (n = conn.read(piece, 0, piece.length)) >= 0; ) {
            assertTrue(n > 0, "read returned 0");
            body.write(piece, 0, n);
        }
        return body.toByteArray();
    }

    private static byte[] identity(byte[] body) {
        return concat(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(ISO_8859_1), body);
    }

    /** A chunked response with the whole body in one chunk (none if it is empty). */
    private static byte[] oneChunk(byte[] body) {
        String size = body.length == 0 ? "" : Integer.toHexString(body.length) + "\r\n";
        return concat(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size).getBytes(ISO_8859_1), body,
                ((body.length == 0 ? "" : "\r\n") + "0\r\n\r\n").getBytes(ISO_8859_1));
    }

    /** A chunked response whose chunking and trailers are chosen by {@code seed}. */
    private static byte[] chunked(byte[] body, long seed) {
        String trailers = seed % 2 == 0 ? "" : "X-Checksum: none\r\nX-Long-Trailer: " + "t".repeat(700) + "\r\n";
        return concat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(ISO_8859_1),
                chunkedBody(body, seed, trailers));
    }

    /**
     * {@code body} as chunks of varied sizes (1 byte up to well past the largest buffer), in upper- and
     * lower-case hex, some with chunk extensions (one longer than the smaller buffers), then the last
     * chunk, {@code trailers} and the blank line.
     */
    private static byte[] chunkedBody(byte[] body, long seed, String trailers) {
        List<Integer> sizes = List.of(1, 7, 63, 64, 65, 128, 257, 600, 1500, 2049, 511, 512, 513);
        List<String> extensions = List.of("", ";name=value", "", " ; quoted=\"a;b\"", "", ";ext-" + "e".repeat(300), ";flag");
        Random random = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        for (int i = 0; pos < body.length; i++) {
            int n = Math.min(sizes.get(random.nextInt(sizes.size())), body.length - pos);
            String hex = Integer.toHexString(n);
            if (i % 2 == 1) hex = hex.toUpperCase();
            if (i % 5 == 4) hex = "00" + hex;
            out.writeBytes((hex + extensions.get(i % extensions.size()) + "\r\n").getBytes(ISO_8859_1));
            out.write(body, pos, n);
            out.writeBytes("\r\n".getBytes(ISO_8859_1));
            pos += n;
        }
        out.writeBytes(("0;last=yes\r\n" + trailers + "\r\n").getBytes(ISO_8859_1));
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
