package io.dugong.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLSocket;

/**
 * The server side of one accepted connection, driven by a {@link ScriptedServer.Handler} script.
 *
 * <p>Reads are strict so that client bugs surface: a malformed request throws
 * {@link AssertionError} naming the problem (for example a bare LF line ending), which
 * {@link ScriptedServer#close()} then rethrows. Reads are buffered; {@link #readExactly(int)} and
 * {@link #readAvailable(byte[])} serve buffered bytes first, so mixing parsed and raw reads is safe.
 *
 * <p><b>Back-pressure.</b> There is no {@code stopReading()} method: a script makes a client's
 * writes block simply by not calling any read method. Combine that with
 * {@link ScriptedServer.Builder#receiveBufferSize(int)} so the kernel window fills after a few KiB
 * instead of several hundred.
 *
 * <p><b>Closing.</b> Closing a socket that still has unread input makes the kernel send RST instead
 * of FIN, which can destroy response bytes the client has not read yet. A script that returns
 * without reading everything the client sent gets that behaviour (as a real server would); use
 * {@link #closeGracefully()} for the RFC 9112 "lingering close" instead.
 *
 * <p>Instances are meant for the single handler thread that owns them; only {@link #close()},
 * {@link #reset()} and {@link #isClosed()} may be called from other threads.
 */
public final class ServerConnection {

    /** Larger heads are a client bug (or a framing bug making body bytes look like a head). */
    private static final int MAX_HEAD_BYTES = 64 * 1024;

    private final ScriptedServer server;
    private final Socket socket;
    /** The TCP socket: {@link #socket} itself, or the plain socket a TLS socket is layered over. */
    private final Socket tcpSocket;
    private final int id;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[16 * 1024];
    private int pos;
    private int limit;
    private int requestCount;

    ServerConnection(ScriptedServer server, Socket socket, int id) throws IOException {
        this(server, socket, socket, id);
    }

    /**
     * A connection whose {@code socket} may be a server-mode {@link SSLSocket} layered (without
     * auto-close) over {@code tcpSocket}, so the TCP socket can be closed without a TLS close_notify.
     */
    ServerConnection(ScriptedServer server, Socket socket, Socket tcpSocket, int id) throws IOException {
        this.server = server;
        this.socket = socket;
        this.tcpSocket = tcpSocket;
        this.id = id;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /**
     * Reads one full request: request line, headers and the body framed by {@code Content-Length}
     * or {@code Transfer-Encoding: chunked}. Never sends {@code 100 Continue}; for that use
     * {@link #readRequestHead()}, send it, then {@link #readBody(RecordedRequest)}.
     *
     * <p>The request counts toward {@link #requestCount()} and
     * {@link ScriptedServer#requestsRead()} once its body has been read.
     *
     * @return the request, or {@code null} if the client closed cleanly before sending any byte of it
     * @throws AssertionError if the request is malformed
     * @throws EOFException   if the connection ends partway through the request
     * @throws IOException    on socket errors (for example a reset)
     */
    public RecordedRequest readRequest() throws IOException {
        RecordedRequest head = parseHead();
        if (head == null) {
            return null;
        }
        RecordedRequest request = head.withBody(readBody(head));
        countRequest();
        return request;
    }

    /**
     * Reads only the request line and headers, leaving the body unread, for
     * {@code Expect: 100-continue} scripts. The request counts toward {@link #requestCount()} and
     * {@link ScriptedServer#requestsRead()} as soon as its head is read, since the body may
     * legitimately never come. Read the body with {@link #readBody(RecordedRequest)}.
     *
     * @return the head (with an empty body), or {@code null} on clean EOF before any byte
     * @throws AssertionError if the head is malformed
     * @throws EOFException   if the connection ends partway through the head
     * @throws IOException    on socket errors
     */
    public RecordedRequest readRequestHead() throws IOException {
        RecordedRequest head = parseHead();
        if (head != null) {
            countRequest();
        }
        return head;
    }

    /**
     * Reads the body of a request whose head was read with {@link #readRequestHead()}, following its
     * framing: chunked if the last transfer coding is {@code chunked}, else {@code Content-Length},
     * else no body.
     *
     * @param head the head the body belongs to
     * @return the decoded body, possibly empty
     * @throws AssertionError if the framing headers are invalid or conflicting, or the chunked
     *                        encoding is malformed
     * @throws EOFException   if the connection ends before the body does
     * @throws IOException    on socket errors
     */
    public byte[] readBody(RecordedRequest head) throws IOException {
        List<String> te = head.headers("Transfer-Encoding");
        List<String> cl = head.headers("Content-Length");
        if (!te.isEmpty()) {
            // Both headers at once is the classic request-smuggling ambiguity: a client must never send it.
            check(cl.isEmpty(), "request has both Transfer-Encoding and Content-Length: " + head);
            check(head.isChunked(), "request Transfer-Encoding does not end in chunked, so the body has no framing: " + te);
            return readChunkedBody();
        }
        if (cl.isEmpty()) {
            return new byte[0];
        }
        String value = cl.get(0);
        for (String other : cl) {
            check(other.equals(value), "request has conflicting Content-Length headers: " + cl);
        }
        check(value.matches("[0-9]{1,9}"), "request Content-Length is not a decimal length under 1e9: '" + value + "'");
        return readExactly(Integer.parseInt(value));
    }

    /**
     * Reads a chunked body: hex size lines (chunk extensions ignored), data each followed by CRLF,
     * the last chunk {@code 0} and any trailer fields (ignored) up to the blank line.
     *
     * @return the concatenated chunk data
     * @throws AssertionError if the encoding is malformed
     * @throws EOFException   if the connection ends before the last chunk and trailers
     * @throws IOException    on socket errors
     */
    public byte[] readChunkedBody() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(null, "chunk size line");
            int semi = line.indexOf(';');
            // chunk-ext may be preceded by BWS, so whitespace before ';' is legal.
            String hex = (semi < 0 ? line : line.substring(0, semi)).stripTrailing();
            check(hex.matches("[0-9A-Fa-f]{1,7}"), "bad chunk size line: '" + line + "'");
            int size = Integer.parseInt(hex, 16);
            if (size == 0) {
                break;
            }
            body.writeBytes(readExactly(size));
            byte[] crlf = readExactly(2);
            check(crlf[0] == '\r' && crlf[1] == '\n',
                    "chunk data of size " + size + " not followed by CRLF but by " + escape(crlf));
        }
        while (!readLine(null, "chunked trailer").isEmpty()) {
            // Trailer fields are ignored; the loop ends at the blank line.
        }
        return body.toByteArray();
    }

    /**
     * Reads exactly {@code n} bytes, buffered bytes first.
     *
     * @param n the number of bytes
     * @return the bytes
     * @throws EOFException if the connection ends first
     * @throws IOException  on socket errors
     */
    public byte[] readExactly(int n) throws IOException {
        byte[] result = new byte[n];
        int filled = 0;
        while (filled < n) {
            if (pos == limit && !fill()) {
                throw new EOFException("connection " + id + " closed after " + filled + " of " + n + " expected bytes");
            }
            int take = Math.min(n - filled, limit - pos);
            System.arraycopy(buf, pos, result, filled, take);
            pos += take;
            filled += take;
        }
        return result;
    }

    /**
     * One raw read: returns buffered bytes if there are any, otherwise blocks for one socket read.
     *
     * @param dst where to put the bytes
     * @return the number of bytes read, or -1 at EOF
     * @throws IOException on socket errors
     */
    public int readAvailable(byte[] dst) throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        int take = Math.min(dst.length, limit - pos);
        System.arraycopy(buf, pos, dst, 0, take);
        pos += take;
        return take;
    }

    /**
     * Reads everything until the client closes its side (EOF).
     *
     * @return the bytes read
     * @throws IOException on socket errors
     */
    public byte[] readToEof() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        for (int n; (n = readAvailable(chunk)) >= 0; ) {
            all.write(chunk, 0, n);
        }
        return all.toByteArray();
    }

    /**
     * Writes ISO-8859-1 text and flushes it.
     *
     * @param latin1 raw wire text, one byte per char
     * @throws IllegalArgumentException if a char is above U+00FF
     * @throws IOException              on socket errors
     */
    public void send(String latin1) throws IOException {
        send(Http.latin1(latin1));
    }

    /**
     * Writes bytes and flushes them.
     *
     * @param bytes raw wire bytes
     * @throws IOException on socket errors
     */
    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Sends {@code HTTP/1.1 100 Continue} and the blank line.
     *
     * @throws IOException on socket errors
     */
    public void send100Continue() throws IOException {
        send("HTTP/1.1 100 Continue\r\n\r\n");
    }

    /**
     * Sends {@code HTTP/1.1 <status> <reason>\r\nContent-Length: n\r\n\r\n<body>}.
     *
     * @param status the status code
     * @param body   the body, ISO-8859-1
     * @throws IOException on socket errors
     */
    public void sendResponse(int status, String body) throws IOException {
        send(Http.response(status, body));
    }

    /**
     * Sends a response with the given headers in order. Adds {@code Content-Length} only if the
     * headers contain neither {@code Content-Length} nor {@code Transfer-Encoding} and the status
     * allows one (not 1xx, 204 or 304); the body is written exactly as given either way, so a
     * caller-supplied framing header may deliberately lie.
     *
     * @param status  the status code
     * @param headers header names to values, written in iteration order
     * @param body    the body bytes
     * @throws IOException on socket errors
     */
    public void sendResponse(int status, Map<String, String> headers, byte[] body) throws IOException {
        List<String> pairs = new ArrayList<>();
        headers.forEach((k, v) -> {
            pairs.add(k);
            pairs.add(v);
        });
        sendResponse(status, body, pairs.toArray(String[]::new));
    }

    /**
     * Like {@link #sendResponse(int, Map, byte[])} but with headers as name/value pairs, which allows
     * duplicates (e.g. two {@code Content-Length} headers to test a client's rejection).
     *
     * @param status      the status code
     * @param body        the body bytes
     * @param headerPairs name, value, name, value, ...
     * @throws IllegalArgumentException if {@code headerPairs} has odd length
     * @throws IOException              on socket errors
     */
    public void sendResponse(int status, byte[] body, String... headerPairs) throws IOException {
        if (headerPairs.length % 2 != 0) {
            throw new IllegalArgumentException("header pairs must be name, value, ...: odd count " + headerPairs.length);
        }
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(Http.reason(status)).append("\r\n");
        boolean framed = false;
        for (int i = 0; i < headerPairs.length; i += 2) {
            String name = headerPairs[i].toLowerCase(Locale.ROOT);
            framed |= name.equals("content-length") || name.equals("transfer-encoding");
            head.append(headerPairs[i]).append(": ").append(headerPairs[i + 1]).append("\r\n");
        }
        boolean bodyless = status / 100 == 1 || status == 204 || status == 304;
        if (!framed && !bodyless) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = Http.latin1(head.toString());
        byte[] all = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(body, 0, all, headBytes.length, body.length);
        // One write so the head and body usually share a segment, like most servers.
        send(all);
    }

    /**
     * Half-closes: sends FIN (over TLS: close_notify, then FIN) so the client reads EOF, while this
     * side can keep reading.
     *
     * @throws IOException on socket errors
     */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput(); // over TLS: a close_notify alert (the TLS socket leaves the TCP socket open)
        if (tcpSocket != socket && !tcpSocket.isOutputShutdown()) {
            tcpSocket.shutdownOutput();
        }
    }

    /**
     * Aborts the connection with RST (SO_LINGER 0, then close): the client's next read or write
     * fails with {@code SocketException: Connection reset} (or a broken pipe on write).
     *
     * @throws IOException on socket errors
     */
    public void reset() throws IOException {
        if (!tcpSocket.isClosed()) {
            // On the TCP socket itself: closing a TLS socket would first send a close_notify alert.
            tcpSocket.setSoLinger(true, 0);
            tcpSocket.close();
        }
    }

    /**
     * Closes the socket (idempotent). Sends FIN, or RST if client bytes are still unread. Over TLS,
     * sends a close_notify alert first.
     *
     * @throws IOException on socket errors
     */
    public void close() throws IOException {
        try {
            socket.close();
        } finally {
            tcpSocket.close();
        }
    }

    /**
     * Over TLS: closes the TCP connection (FIN) without sending a TLS close_notify alert first, as
     * a crashed or careless server does. Without TLS this is {@link #close()}.
     *
     * @throws IOException on socket errors
     */
    public void closeWithoutCloseNotify() throws IOException {
        tcpSocket.close();
    }

    /**
     * Over TLS: runs the handshake now (it otherwise runs on the first read or write), so a script can
     * expect it to fail, e.g. {@code assertThrows(IOException.class, c::handshake)} when the client
     * rejects the certificate. Without TLS, does nothing.
     *
     * @throws IOException if the handshake fails
     */
    public void handshake() throws IOException {
        if (socket instanceof SSLSocket ssl) {
            ssl.startHandshake();
        }
    }

    /**
     * Whether this connection speaks TLS (the server was built with
     * {@link ScriptedServer.Builder#tls(javax.net.ssl.SSLContext)}).
     *
     * @return true over TLS
     */
    public boolean isTls() {
        return socket instanceof SSLSocket;
    }

    /**
     * Lingering close (RFC 9112 section 9.6): sends FIN, then discards client input until the client
     * closes too, then closes. Unlike {@link #close()}, never turns into an RST that could destroy
     * response bytes the client has not read yet. Bounded by the server's close().
     *
     * @throws IOException on socket errors
     */
    public void closeGracefully() throws IOException {
        try {
            if (!socket.isOutputShutdown()) {
                socket.shutdownOutput();
            }
            byte[] sink = new byte[8192];
            while (readAvailable(sink) >= 0) {
                // Discard.
            }
        } finally {
            close();
        }
    }

    /**
     * Whether this side has closed or reset the socket.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return socket.isClosed() || tcpSocket.isClosed();
    }

    /**
     * The accepted socket, for options this class does not wrap (e.g. {@code setSoTimeout}).
     * Read through this connection, not the socket's stream, or buffered bytes are skipped. Over TLS
     * this is the {@link SSLSocket} (its session shows e.g. the SNI names the client sent).
     *
     * @return the socket
     */
    public Socket socket() {
        return socket;
    }

    /** The TCP socket (under the TLS socket, if any), for the server to close. */
    Socket tcpSocket() {
        return tcpSocket;
    }

    /**
     * The number of requests read on this connection (see {@link #readRequest()} for when one counts).
     *
     * @return the count
     */
    public int requestCount() {
        return requestCount;
    }

    /**
     * This connection's 1-based accept order on its server.
     *
     * @return the connection number
     */
    public int id() {
        return id;
    }

    @Override
    public String toString() {
        return "ServerConnection#" + id + " " + socket;
    }

    private void countRequest() {
        requestCount++;
        server.requestRead();
    }

    /** Parses a head, or returns null on clean EOF before its first byte. */
    private RecordedRequest parseHead() throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        if (pos == limit && !fill()) {
            return null;
        }
        String requestLine = readLine(raw, "request line");
        check(!requestLine.isEmpty(), "empty line where a request line was expected"
                + " (stray CRLF after a previous request's body?)");
        String[] parts = requestLine.split(" ", -1);
        check(parts.length == 3 && !parts[0].isEmpty() && !parts[1].isEmpty(),
                "request line is not 'METHOD SP target SP HTTP/1.1': '" + requestLine + "'");
        check(isToken(parts[0]), "request method is not a token: '" + parts[0] + "'");
        check(parts[2].equals("HTTP/1.1"), "request version is not HTTP/1.1: '" + requestLine + "'");
        for (char c : parts[1].toCharArray()) {
            check(c > 0x20 && c < 0x7F, "request target has a non-visible-ASCII char " + (int) c + ": '" + parts[1] + "'");
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (String line; !(line = readLine(raw, "header line")).isEmpty(); ) {
            check(line.charAt(0) != ' ' && line.charAt(0) != '\t', "obsolete header line folding: '" + line + "'");
            int colon = line.indexOf(':');
            check(colon > 0, "header line without 'name:': '" + line + "'");
            String name = line.substring(0, colon);
            check(isToken(name), "header name is not a token (whitespace before ':'?): '" + name + "'");
            String value = line.substring(colon + 1).strip();
            for (char c : value.toCharArray()) {
                check(c == '\t' || (c >= 0x20 && c != 0x7F), "header " + name + " value has control char " + (int) c);
            }
            headers.add(Map.entry(name, value));
        }
        return new RecordedRequest(parts[0], parts[1], parts[2], headers, new byte[0],
                raw.toString(StandardCharsets.ISO_8859_1));
    }

    /**
     * Reads one CRLF-terminated line (without the CRLF), appending its raw bytes to {@code raw}.
     * A bare LF or a CR not followed by LF fails as an AssertionError, since lenient parsing here
     * would hide exactly the client bugs these tests exist to catch.
     */
    private String readLine(ByteArrayOutputStream raw, String what) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean afterCr = false;
        while (true) {
            if (pos == limit && !fill()) {
                throw new EOFException("connection " + id + " closed in the middle of a " + what
                        + " after " + escape(line.toByteArray()));
            }
            byte b = buf[pos++];
            if (raw != null) {
                raw.write(b);
                check(raw.size() <= MAX_HEAD_BYTES, "request head exceeds " + MAX_HEAD_BYTES + " bytes");
            }
            if (b == '\n') {
                check(afterCr, "bare LF (no CR) ending " + what + " after " + escape(line.toByteArray()));
                return line.toString(StandardCharsets.ISO_8859_1);
            }
            check(!afterCr, "bare CR (not followed by LF) in " + what + " after " + escape(line.toByteArray()));
            if (b == '\r') {
                afterCr = true; // held back: it is either the line's CR or a bare CR
            } else {
                line.write(b);
                check(line.size() <= MAX_HEAD_BYTES, what + " exceeds " + MAX_HEAD_BYTES + " bytes");
            }
        }
    }

    /** Refills the buffer with one socket read; false at EOF. Only called when the buffer is empty. */
    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n < 0) {
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (char c : s.toCharArray()) {
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private void check(boolean ok, String problem) {
        if (!ok) {
            throw new AssertionError("connection " + id + ": " + problem);
        }
    }

    /** Shows bytes with CR/LF and other controls visible, for error messages about line endings. */
    static String escape(byte[] bytes) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte b : bytes) {
            int c = b & 0xFF;
            switch (c) {
                case '\r' -> sb.append("\\r");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '"', '\\' -> sb.append('\\').append((char) c);
                default -> {
                    if (c < 0x20 || c == 0x7F) {
                        sb.append(String.format("\\x%02x", c));
                    } else {
                        sb.append((char) c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
