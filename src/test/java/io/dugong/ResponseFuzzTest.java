package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing (Jazzer) of everything a server can send back: the bytes go through a real
 * {@link HttpConnection} on loopback, from a server that writes one input and closes its side.
 *
 * <p>The rule for every input: the client ends with parsed responses or one of the library's own
 * exceptions for a bad response ({@link InvalidResponseException}, {@link UnsupportedResponseException},
 * {@link ConnectionClosedException}) — never another exception, never a timeout (the server has sent
 * everything and closed, so waiting is a hang), and never more body bytes than the server sent.
 * {@link #structuredResponses} also knows, when it generated a well-formed sequence, exactly which
 * status and body each request must get, and which requests (those pipelined behind a response that
 * ends the connection) must get none even though more bytes follow.
 *
 * <p>Without {@code -Djazzer.fuzz=1} (or {@code JAZZER_FUZZ=1}) these run the committed inputs under
 * {@code src/test/resources/io/dugong/ResponseFuzzTestInputs/} as regression tests; {@code .ci/fuzz}
 * fuzzes each target for a while. See SECURITY.md for the figures.
 */
class ResponseFuzzTest {
    /** Longer than any honest wait on loopback: a timeout here means the client waits for nothing. */
    private static final Duration HANG = Duration.ofSeconds(5);
    private static final byte[] POST_BODY = {'a', 'b', 'c'};
    private static final int[] READ_BUFFER_SIZES = {16, 64, 1024, 16 * 1024};

    private static WritingServer server;

    @BeforeAll
    static void startServer() throws IOException {
        server = new WritingServer();
    }

    @AfterAll
    static void stopServer() throws IOException {
        server.close();
    }

    /**
     * Raw bytes: the first byte plans the requests (how many, HEAD or expect-100 POST, the read buffer
     * size, how bodies are read); the rest is what the server sends.
     */
    @FuzzTest(maxDuration = "60s")
    void rawResponses(byte[] input) throws IOException {
        if (input.length == 0) return;
        int plan = input[0] & 0xff;
        byte[] wire = Arrays.copyOfRange(input, 1, input.length);
        int requests = 1 + (plan & 3);
        List<Request> sent = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            boolean last = i == requests - 1;
            if (i == 0 && (plan & 0x10) != 0) sent.add(Request.head("/" + i));
            else if (last && (plan & 0x20) != 0) sent.add(Request.builder("POST", "/" + i).body(Body.following(POST_BODY.length)).expect100().build());
            else sent.add(Request.get("/" + i));
        }
        exchange(wire, sent, READ_BUFFER_SIZES[(plan >> 2) & 3], (plan & 0x80) != 0, null);
    }

    /**
     * Well-formed response sequences (status lines, framing headers, chunked bodies with extensions and
     * trailers, interim responses, HEAD/204/304) with, sometimes, one targeted corruption; when none was
     * applied, each request must get exactly the status and body generated for it.
     */
    @FuzzTest(maxDuration = "60s")
    void structuredResponses(FuzzedDataProvider data) throws IOException {
        Generated g = Generated.from(data);
        exchange(g.wire(), g.requests(), READ_BUFFER_SIZES[data.consumeInt(0, 3)], data.consumeBoolean(),
                g.corrupted() ? null : g.expected());
    }

    /** What one well-formed response must look like to the client; status -1: no response at all. */
    record Expected(int status, byte[] body) {
        static final Expected UNANSWERED = new Expected(-1, new byte[0]);
    }

    /**
     * Sends {@code requests} pipelined, has the server answer with {@code wire}, reads every response,
     * and checks the rules of the class description.
     *
     * @param expected the responses the client must see, or null if the wire may be invalid
     */
    private static void exchange(byte[] wire, List<Request> requests, int readBufferSize, boolean asStream,
                                 List<Expected> expected) throws IOException {
        server.next(wire);
        try (HttpConnection conn = HttpConnection.builder("127.0.0.1").port(server.port())
                .timeout(HANG).readBufferSize(readBufferSize)
                // Small limits, so that inputs of a few hundred bytes reach them.
                .statusLineLimit(256).headerBlockLimit(1024).maxHeaderFields(16)
                .build()) {
            long delivered = 0;
            int answered = 0;
            try {
                for (Request r : requests) conn.sendRequest(r);
                for (Request r : requests) {
                    if (expected != null && expected.get(answered) == Expected.UNANSWERED) {
                        answered++;
                        try {
                            ResponseHead stray = conn.readResponse();
                            throw new AssertionError(r + " behind the connection's last response received " + stray);
                        } catch (ConnectionClosedException e) {
                            continue; // as it must
                        }
                    }
                    ResponseHead head = conn.readResponse();
                    if (r.expect100() && head.status() == 100) {
                        conn.write(POST_BODY);
                        head = conn.readResponse();
                    }
                    check(head.status() >= 200 && head.status() <= 599, "final status " + head.status() + " for " + r);
                    check(!r.method().equals("HEAD") || head.length().orElse(-1) == 0, "a HEAD response with a body length " + head);
                    check(head.headers().size() <= 16, "more fields than the limit: " + head.headers().size());
                    byte[] body = readBody(conn, asStream);
                    delivered += body.length;
                    check(delivered <= wire.length, delivered + " body bytes from " + wire.length + " bytes sent");
                    if (expected != null) {
                        Expected e = expected.get(answered);
                        check(head.status() == e.status(), "status " + head.status() + " instead of " + e.status() + " for " + r);
                        check(Arrays.equals(body, e.body()), "body " + new String(body, ISO_8859_1) + " instead of "
                                + new String(e.body(), ISO_8859_1) + " for " + r);
                    }
                    answered++;
                }
            } catch (ConnectionTimedOutException e) {
                throw new AssertionError("the client waited " + HANG + " for bytes that were never coming", e);
            } catch (InvalidResponseException | ConnectionClosedException e) { // Unsupported... is an Invalid...
                if (expected != null) throw new AssertionError("a well-formed response sequence failed", e);
            }
            if (expected != null) check(answered == expected.size(), answered + " of " + expected.size() + " answered");
        }
    }

    private static byte[] readBody(HttpConnection conn, boolean asStream) throws IOException {
        if (asStream) {
            try (InputStream in = conn.responseBody()) {
                return in.readAllBytes();
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[7]; // odd and small: reads end inside chunks and framing
        for (int n; (n = conn.read(buf, 0, buf.length)) >= 0; ) out.write(buf, 0, n);
        return out.toByteArray();
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    /** A response sequence built from fuzzer choices, and what the client must make of it. */
    record Generated(byte[] wire, List<Request> requests, List<Expected> expected, boolean corrupted) {
        private static final int[] STATUSES = {200, 201, 204, 206, 304, 404, 500, 599};
        private static final String[] EXTENSIONS = {"", ";a", ";a=b", " ; a = \"q;\\\"x\"", ";a=b;c"};
        private static final String[] EXTRA = {"Server: x", "X-Empty:", "X-Tab:\tv\t", "Set-Cookie: a=1",
                "X-Latin: caf\u00e9", "Vary: a, b"};
        private static final String[] CORRUPTIONS = {"Content-Length: \u000b5", "Transfer-Encoding: \u000cchunked",
                "Content-Length: 5\r\n 5", "X-A: 1\rX-B: 2", "Transfer-Encoding: gzip", "Content-Length: -1",
                "Content-Length: 1, 2", " folded-first: 1", "Bad Name: 1", "X-Nul: \u0000"};

        static Generated from(FuzzedDataProvider data) {
            StringBuilder w = new StringBuilder();
            List<Request> requests = new ArrayList<>();
            List<Expected> expected = new ArrayList<>();
            boolean corrupted = false;
            int n = data.consumeInt(1, 4);
            for (int i = 0; i < n; i++) {
                String eol = data.consumeBoolean() ? "\r\n" : "\n";
                boolean head = data.consumeInt(0, 4) == 0;
                requests.add(head ? Request.head("/" + i) : Request.get("/" + i));
                for (int k = data.consumeInt(0, 2); k > 0; k--) {
                    w.append("HTTP/1.1 1").append(data.consumeInt(2, 99) < 10 ? "03" : "02").append(" Interim").append(eol);
                    if (data.consumeBoolean()) w.append("Link: </a>").append(eol);
                    w.append(eol);
                }
                int status = STATUSES[data.consumeInt(0, STATUSES.length - 1)];
                boolean http10 = data.consumeInt(0, 7) == 0;
                w.append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(status).append(data.consumeBoolean() ? " Reason" : "").append(eol);
                for (int k = data.consumeInt(0, 3); k > 0; k--) w.append(EXTRA[data.consumeInt(0, EXTRA.length - 1)]).append(eol);
                byte[] body = data.consumeAsciiString(40).getBytes(ISO_8859_1);
                boolean bodiless = head || status == 204 || status == 304;
                // The last response may be delimited by the close; the others need a length.
                int framing = data.consumeInt(0, i == n - 1 ? 2 : 1); // 0 length, 1 chunked, 2 until close
                // A server may announce mid-pipeline that it closes after this response (RFC 9112 §9.6).
                boolean announcesClose = !http10 && framing != 2 && i < n - 1 && data.consumeInt(0, 5) == 0;
                // HTTP/1.0 with chunked coding is faulty framing (RFC 9112 §6.1): the client closes after it.
                boolean closes = framing == 2 || (http10 && framing == 1) || announcesClose;
                if (data.consumeInt(0, 7) == 0) {
                    w.append(CORRUPTIONS[data.consumeInt(0, CORRUPTIONS.length - 1)]).append(eol);
                    corrupted = true;
                }
                if (http10 && !closes) {
                    if (i < n - 1) w.append("Connection: keep-alive").append(eol);
                    else closes = true;
                }
                String chunked = null;
                if (framing == 0) {
                    w.append("Content-Length: ").append(bodiless && !head ? 0 : body.length).append(eol);
                } else if (framing == 1) {
                    w.append("Transfer-Encoding: chunked").append(eol);
                    chunked = chunked(data, body, eol);
                }
                if (closes && !http10) w.append("Connection: close").append(eol);
                w.append(eol);
                if (!bodiless) {
                    w.append(chunked != null ? chunked : new String(body, ISO_8859_1));
                }
                expected.add(new Expected(status, bodiless ? new byte[0] : body));
                if (closes) {
                    // Whatever follows a response that ends the connection answers none of the requests
                    // pipelined behind it: they must fail, not receive it.
                    for (int k = i + 1; framing != 2 && k < n; k++) {
                        requests.add(Request.get("/" + k));
                        expected.add(Expected.UNANSWERED);
                        w.append("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nwrong");
                    }
                    break;
                }
            }
            byte[] wire = w.toString().getBytes(ISO_8859_1);
            if (data.consumeInt(0, 7) == 0 && wire.length > 0) {
                wire = Arrays.copyOf(wire, data.consumeInt(0, wire.length - 1)); // truncated
                corrupted = true;
            }
            return new Generated(wire, requests, expected, corrupted);
        }

        private static String chunked(FuzzedDataProvider data, byte[] body, String eol) {
            StringBuilder c = new StringBuilder();
            int at = 0;
            while (at < body.length) {
                int size = Math.min(body.length - at, data.consumeInt(1, 16));
                c.append("0".repeat(data.consumeInt(0, 1))).append(Integer.toHexString(size))
                        .append(EXTENSIONS[data.consumeInt(0, EXTENSIONS.length - 1)]).append(eol)
                        .append(new String(body, at, size, ISO_8859_1)).append(eol);
                at += size;
            }
            c.append('0').append(eol);
            for (int k = data.consumeInt(0, 2); k > 0; k--) c.append("X-Trailer-").append(k).append(": t").append(eol);
            return c.append(eol).toString();
        }
    }

    /**
     * Answers each connection with the bytes set by {@link #next}, then closes its side and drains
     * what the client sends until the client closes (so no reset destroys the answer).
     */
    static final class WritingServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Thread acceptor = Thread.ofVirtual().name("fuzz-server-accept").start(this::acceptLoop);
        private volatile byte[] next = new byte[0];

        WritingServer() throws IOException {
        }

        int port() {
            return socket.getLocalPort();
        }

        void next(byte[] wire) {
            next = wire;
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    byte[] wire = next;
                    Thread.ofVirtual().name("fuzz-server-conn").start(() -> answer(s, wire));
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private static void answer(Socket s, byte[] wire) {
            try (s) {
                OutputStream out = s.getOutputStream();
                out.write(wire);
                out.flush();
                s.shutdownOutput();
                s.getInputStream().transferTo(OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // the client reset or closed first: nothing left to do
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            try {
                acceptor.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
