package io.dugong;

import io.dugong.internal.BodyDecoder;
import io.dugong.internal.Connector;
import io.dugong.internal.HttpSyntax;
import io.dugong.internal.RequestWriter;
import io.dugong.internal.ResponseParser;
import io.dugong.internal.SocketInput;
import io.dugong.internal.SocketOutput;
import io.dugong.internal.Transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * One HTTP/1.1 connection with pipelining: any number of requests may be sent before the first
 * response is read, and responses are read back in the order the requests were sent.
 *
 * <p>The connection has two halves. The <b>sender half</b> ({@code sendRequest}, {@code write},
 * {@code finishBody}, {@code requestBody}) and the <b>reader half</b> ({@code readResponse},
 * {@code read}, {@code readAll}, {@code discard}, {@code responseBody}, {@code readRaw}) may each be
 * driven by its own thread at the same time; any other concurrent use fails at once with a
 * {@link StateException} and changes nothing.
 *
 * <pre>{@code
 * try (HttpConnection conn = HttpConnection.open("example.org", 80)) {
 *     conn.sendRequest("GET", "/a");                 // both requests leave before
 *     conn.sendRequest("GET", "/b");                 // the first answer is read
 *     ResponseHead a = conn.readResponse();
 *     byte[] bodyA = conn.readAll();
 *     ResponseHead b = conn.readResponse();
 *     try (InputStream in = conn.responseBody()) { in.transferTo(System.out); }
 * }
 * }</pre>
 *
 * <p>Constructing a connection does no I/O: the socket opens on the first {@code sendRequest} (or
 * {@link #connect()}), and again after the server or {@link #disconnect()} closed it.
 *
 * <p><b>Interrupts:</b> the JDK closes a socket when a thread blocked reading or writing it is
 * interrupted. Interrupting a thread that uses this connection therefore closes the connection; the
 * blocked call throws {@link ConnectionClosedException}. Code that must survive cancellation should use
 * {@code Pipeline}, where only the pipeline's own threads touch the socket.
 */
public final class HttpConnection implements AutoCloseable {
    /** Default size of the read buffer. */
    public static final int DEFAULT_READ_BUFFER_SIZE = 16 * 1024;
    /** Default limit of a status line (and of a chunk-size line). */
    public static final int DEFAULT_STATUS_LINE_LIMIT = ResponseParser.DEFAULT_STATUS_LINE_LIMIT;
    /** Default limit of a response header block (and of a trailer block). */
    public static final int DEFAULT_HEADER_BLOCK_LIMIT = ResponseParser.DEFAULT_HEADER_BLOCK_LIMIT;

    private static final int SCRATCH_SIZE = 16 * 1024;
    /** Most bytes of unflushed requests a pipeline's burst leaves buffered before they are written. */
    static final int BATCH_LIMIT = 32 * 1024;
    private static final int INITIAL_READ_ALL = 8 * 1024;
    private static final long MAX_PRESIZE = 16L * 1024 * 1024;

    private final String host;
    private final int port;
    private final Connector connector;
    private final int readBufferSize;
    private final ResponseParser parser;
    private final String hostHeader;
    private volatile Duration timeout;

    /** Requests sent (or failed part-way) whose responses have not been read to the end, oldest first. */
    private final ConcurrentLinkedDeque<Exchange> inFlight = new ConcurrentLinkedDeque<>();
    /** The transport new requests are written to; replaced when it cannot be reused. */
    private volatile Transport transport;

    // Sender half.
    private final ReentrantLock senderLock = new ReentrantLock();
    /** The reader moves this out of AWAITING_CONTINUE when the 100 (or a final status) arrives. */
    private final AtomicReference<SendState> sendState = new AtomicReference<>(SendState.IDLE);
    private Exchange sending;
    private long bodyRemaining;

    // Reader half.
    private final ReentrantLock readerLock = new ReentrantLock();
    private Exchange reading;
    private BodyDecoder body;
    private boolean closeAfterBody;
    private boolean closeAnnounced;
    private Transport lastRead;

    /** What the sender half is doing. */
    private enum SendState {
        /** Ready for {@code sendRequest}. */
        IDLE,
        /** A request body is being written with {@code write} / {@code finishBody}. */
        WRITING_BODY,
        /** An {@code Expect: 100-continue} head was sent; the body waits for the reader to see 100. */
        AWAITING_CONTINUE
    }

    /** Where one request is in its life. */
    private enum Phase {
        /** Head sent, body being written. */
        WRITING_BODY,
        /** Expect head sent, waiting for 100 or a final status. */
        AWAITING_CONTINUE,
        /** Completely sent. */
        SENT,
        /** A write failed part-way; the server may still have answered. */
        SEND_FAILED,
        /** A final status came instead of 100, so the body was never sent. */
        BODY_WITHHELD
    }

    /** One request on the wire and the state of its exchange. */
    private static final class Exchange {
        final String method;
        final String target;
        final Transport transport;
        final Body body;
        final boolean expect100;
        /** Told when the request enters flight; lets a pipeline hand it to its reader thread. */
        Runnable onInFlight;
        volatile Phase phase;

        Exchange(String method, String target, Transport transport, Body body, boolean expect100) {
            this.method = method;
            this.target = target;
            this.transport = transport;
            this.body = body;
            this.expect100 = expect100;
        }

        @Override
        public String toString() {
            return method + " " + target;
        }
    }

    private HttpConnection(Builder b) {
        this.host = b.host;
        this.port = b.port != 0 ? b.port : b.tls != null ? 443 : 80;
        this.connector = new Connector(host, port, b.tls, b.tlsParameters, b.verifyHostname, b.proxy,
                b.proxyAuthorization, b.connectTimeout, b.dnsTestHosts, b.localAddress);
        this.timeout = b.timeout;
        this.readBufferSize = b.readBufferSize;
        this.parser = new ResponseParser(b.statusLineLimit, b.headerBlockLimit);
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        this.hostHeader = port == (b.tls != null ? 443 : 80) ? h : h + ":" + port;
    }

    /**
     * A plain HTTP connection to {@code host:port}; no I/O happens until the first request.
     *
     * @param host a host name or IP address
     * @param port the TCP port
     */
    public static HttpConnection open(String host, int port) {
        return builder(host).port(port).build();
    }

    /**
     * A connection to the host and port of {@code uri}: {@code https} means TLS with the JDK's default
     * context and port 443 unless given; {@code http} means port 80 unless given.
     *
     * @param uri an {@code http} or {@code https} URI; only scheme, host and port are used
     * @throws IllegalArgumentException if the scheme is neither or the host is missing
     */
    public static HttpConnection open(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("unsupported scheme " + uri.getScheme() + " in " + uri + " (http or https)");
        }
        if (uri.getHost() == null) throw new IllegalArgumentException("no host in " + uri);
        Builder b = builder(uri.getHost());
        if (scheme.equals("https")) b.tls();
        if (uri.getPort() >= 0) b.port(uri.getPort());
        return b.build();
    }

    /**
     * A builder for a connection to {@code host}, port 80 unless set.
     *
     * @param host a host name or IP address (IPv6 with or without brackets)
     */
    public static Builder builder(String host) {
        return new Builder(host);
    }

    // ------------------------------------------------------------------------------------------
    // Sender half

    /**
     * Sends a request. Its body is sent too, unless it is {@link Body#following(long)} or
     * {@link Body#chunked()} (write it next), or the request expects {@code 100-continue} (read the
     * 100 first). Opens the connection if it is not open.
     *
     * @throws StateException if a request body is unfinished or a 100-continue is awaited
     * @throws IllegalArgumentException if the request carries its own Content-Length or
     *         Transfer-Encoding (the body decides those); nothing is sent
     * @throws ConnectionClosedException if the connection failed while sending; if part of the request
     *         went out, its response (if the server sent one) can still be read
     */
    public void sendRequest(Request request) throws IOException {
        sendRequest(request, null);
    }

    /**
     * {@link #sendRequest(Request)}, calling {@code onInFlight} (on this thread) at the moment the
     * request is in flight, so {@code readResponse} may be called for it. If this throws without
     * having called it, nothing of the request was sent.
     */
    void sendRequest(Request request, Runnable onInFlight) throws IOException {
        sendRequest(request, onInFlight, true);
    }

    /**
     * {@link #sendRequest(Request, Runnable)}; with {@code flush} false, a request whose body the
     * connection sends itself may stay in the socket buffer (up to {@link #BATCH_LIMIT} bytes) until a
     * later request or {@link #flush()} sends it. For a pipeline's sender, which flushes before it waits.
     */
    void sendRequest(Request request, Runnable onInFlight, boolean flush) throws IOException {
        Objects.requireNonNull(request, "request");
        lockSender("sendRequest");
        try {
            if (sendState.get() != SendState.IDLE) requireSendState(SendState.IDLE, "sendRequest(" + request + ")");
            Headers headers = request.headers();
            if (headers.contains("Content-Length") || headers.contains("Transfer-Encoding")) {
                throw new IllegalArgumentException("the request carries its own "
                        + (headers.contains("Content-Length") ? "Content-Length" : "Transfer-Encoding")
                        + " header; the connection derives framing from the Body");
            }
            String method = request.method();
            Body body = request.body();
            long length = body.length().orElse(-1);
            boolean expect100 = request.expect100() && length != 0;
            String target = connector.absoluteFormTargets() ? absoluteForm(request) : request.originForm();
            if (connector.absoluteFormTargets() && connector.proxyAuthorization() != null
                    && !headers.contains("Proxy-Authorization")) {
                headers = headers.toBuilder().add("Proxy-Authorization", connector.proxyAuthorization()).build();
            }
            long announced = body instanceof Body.Empty && !methodDefinesContent(method) ? -1 : length;

            Transport t = transportForSending();
            Exchange ex = new Exchange(method, target, t, body, expect100);
            ex.onInFlight = onInFlight;
            SocketOutput out = t.output();
            RequestWriter.writeHead(out, method, target, headers.contains("Host") ? null : hostHeader, headers,
                    announced, length < 0, expect100);
            t.exchangeStarted();
            try {
                if (expect100) {
                    awaitContinue(ex, length);
                } else if (body instanceof Body.Following || body instanceof Body.Chunked) {
                    out.flush();
                    ex.phase = Phase.WRITING_BODY;
                    startBody(ex, length);
                    if (length == 0) complete(ex);
                } else {
                    writeContent(out, body);
                    if (flush || out.pending() >= BATCH_LIMIT) out.flush();
                    complete(ex);
                }
            } catch (IOException | RuntimeException e) {
                sendFailed(ex, e);
                throw e;
            }
        } finally {
            senderLock.unlock();
        }
    }

    /**
     * Sends a request with no headers and no body.
     *
     * @param method the method, e.g. {@code GET}
     * @param target the origin-form target, e.g. {@code /a?b}
     */
    public void sendRequest(String method, String target) throws IOException {
        sendRequest(Request.builder(method, target).build());
    }

    /** Sends a request with headers and no body. */
    public void sendRequest(String method, String target, Headers headers) throws IOException {
        sendRequest(Request.builder(method, target).headers(headers).build());
    }

    /** Sends a request with headers and an in-memory body. */
    public void sendRequest(String method, String target, Headers headers, byte[] body) throws IOException {
        sendRequest(Request.builder(method, target).headers(headers).body(body).build());
    }

    /**
     * Writes body data for the request sent last, whose body is {@link Body#following(long)} or
     * {@link Body#chunked()}. Writing the last announced byte of a fixed-length body completes the
     * request.
     *
     * @throws StateException if no such body is pending, or a 100-continue is still awaited
     * @throws IllegalArgumentException if this is more than the announced length; nothing is written
     */
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        lockSender("write");
        try {
            Exchange ex = requireWritableBody("write");
            if (bodyRemaining >= 0 && len > bodyRemaining) {
                throw new IllegalArgumentException("write of " + len + " bytes exceeds the " + bodyRemaining
                        + " bytes left of the body of " + ex + "; nothing was written");
            }
            SocketOutput out = ex.transport.output();
            try {
                if (bodyRemaining < 0) {
                    RequestWriter.writeChunk(out, b, off, len);
                } else {
                    out.write(b, off, len);
                    bodyRemaining -= len;
                }
                out.flush();
            } catch (IOException | RuntimeException e) {
                sendFailed(ex, e);
                throw e;
            }
            if (bodyRemaining == 0) complete(ex);
        } finally {
            senderLock.unlock();
        }
    }

    /** Writes all of {@code b}; see {@link #write(byte[], int, int)}. */
    public void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    /** Writes the remaining bytes of {@code src}; see {@link #write(byte[], int, int)}. */
    public void write(ByteBuffer src) throws IOException {
        if (src.hasArray()) {
            int n = src.remaining();
            write(src.array(), src.arrayOffset() + src.position(), n);
            src.position(src.position() + n);
        } else {
            byte[] copy = new byte[src.remaining()];
            src.duplicate().get(copy);
            write(copy, 0, copy.length);
            src.position(src.limit());
        }
    }

    /**
     * Completes the pending request body: sends the last chunk of a {@link Body#chunked()} body, or,
     * after a 100 Continue, the content of a {@link Body#of(byte[])} or {@link Body#ofFile} body. Does
     * nothing when no body is pending, so closing a body stream twice is harmless.
     *
     * @throws StateException if a 100-continue is awaited, or a fixed-length body is short of bytes
     */
    public void finishBody() throws IOException {
        lockSender("finishBody");
        try {
            if (sendState.get() == SendState.IDLE) return;
            Exchange ex = requireWritableBody("finishBody");
            if (ex.body instanceof Body.Following) {
                throw new StateException("finishBody: " + bodyRemaining + " of the " + ex.body.length().orElseThrow()
                        + " announced body bytes of " + ex + " are still to be written");
            }
            SocketOutput out = ex.transport.output();
            try {
                if (ex.body instanceof Body.Chunked) {
                    RequestWriter.writeLastChunk(out);
                } else {
                    writeContent(out, ex.body);
                }
                out.flush();
            } catch (IOException | RuntimeException e) {
                sendFailed(ex, e);
                throw e;
            }
            complete(ex);
        } finally {
            senderLock.unlock();
        }
    }

    /**
     * The pending request body as a stream: {@code write} calls {@link #write(byte[], int, int)}, and
     * {@code close} calls {@link #finishBody()}.
     */
    public OutputStream requestBody() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                HttpConnection.this.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                HttpConnection.this.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                finishBody();
            }
        };
    }

    private void awaitContinue(Exchange ex, long length) throws IOException {
        ex.phase = Phase.AWAITING_CONTINUE;
        startBody(ex, length);
        // The reader may see the 100 as soon as the head leaves, so publish the state first.
        sendState.set(SendState.AWAITING_CONTINUE);
        ex.transport.output().flush();
        enterFlight(ex); // in flight once the head is sent: the 100 or a final status answers it
    }

    private void startBody(Exchange ex, long length) {
        sending = ex;
        bodyRemaining = ex.body instanceof Body.Following ? length : -1;
        if (ex.phase == Phase.WRITING_BODY) sendState.set(SendState.WRITING_BODY);
    }

    private Exchange requireWritableBody(String op) {
        SendState s = sendState.get();
        if (s == SendState.AWAITING_CONTINUE) {
            throw new StateException(op + ": the request " + sending + " is waiting for 100 Continue; read it first");
        }
        if (s != SendState.WRITING_BODY) throw new StateException(op + ": no request body is pending");
        Exchange ex = sending;
        if (op.equals("write") && !(ex.body instanceof Body.Following || ex.body instanceof Body.Chunked)) {
            throw new StateException("write: the body of " + ex + " is held by the request; call finishBody() to send it");
        }
        return ex;
    }

    private void writeContent(SocketOutput out, Body body) throws IOException {
        if (body instanceof Body.Bytes bytes) {
            out.write(bytes.content(), 0, bytes.content().length);
        } else if (body instanceof Body.FileBody file) {
            try (InputStream in = Files.newInputStream(file.file())) {
                copyExactly(in, out, file.length().orElseThrow(), "file " + file.file());
            }
        } else if (body instanceof Body.Streamed streamed) {
            try (InputStream in = streamed.source().open()) {
                if (streamed.contentLength() >= 0) {
                    copyExactly(in, out, streamed.contentLength(), "the body stream");
                } else {
                    byte[] chunk = new byte[SCRATCH_SIZE];
                    for (int n; (n = in.read(chunk)) >= 0; ) RequestWriter.writeChunk(out, chunk, 0, n);
                    RequestWriter.writeLastChunk(out);
                }
            }
        }
    }

    /** Copies exactly the announced length: a source that is short or long would corrupt the framing. */
    private static void copyExactly(InputStream in, SocketOutput out, long expected, String what) throws IOException {
        long sent = 0;
        byte[] chunk = new byte[SCRATCH_SIZE];
        for (int n; sent < expected && (n = in.read(chunk, 0, (int) Math.min(chunk.length, expected - sent))) > 0; ) {
            out.write(chunk, 0, n);
            sent += n;
        }
        if (sent != expected) {
            throw new IOException(what + " ended after " + sent + " of the " + expected + " bytes announced");
        }
        if (in.read() >= 0) {
            throw new IOException(what + " has more than the " + expected + " bytes announced");
        }
    }

    /** The request is completely on the wire: it is now in flight. */
    private void complete(Exchange ex) {
        doneSending(ex, Phase.SENT);
    }

    /**
     * A write failed. The request may have reached the server in part, which may have answered it (a
     * 413 before closing, say), so it goes in flight and its response can still be read.
     */
    private void sendFailed(Exchange ex, Throwable cause) {
        ex.transport.output().discardBuffered();
        ex.transport.stopReuse();
        if (!(cause instanceof ConnectionClosedException || cause instanceof ConnectionTimedOutException)) {
            // Not a socket failure but the body's source (a file, a stream) or a bug: the wire now holds a
            // request that can never be completed, so no response can be read from it either.
            ex.transport.kill("sending " + ex + " failed: " + cause, true);
        }
        doneSending(ex, Phase.SEND_FAILED);
    }

    /** The sender half is free again; the request is in flight (an expect100 one since its head left). */
    private void doneSending(Exchange ex, Phase phase) {
        ex.phase = phase;
        sending = null;
        sendState.set(SendState.IDLE);
        if (!ex.expect100) enterFlight(ex);
    }

    private void enterFlight(Exchange ex) {
        inFlight.add(ex);
        if (ex.onInFlight != null) ex.onInFlight.run();
    }

    /** Writes requests that {@code sendRequest(..., false)} left buffered. */
    void flush() throws IOException {
        lockSender("flush");
        try {
            Transport t = transport;
            if (t == null) return;
            try {
                t.output().flush();
            } catch (IOException | RuntimeException e) {
                t.output().discardBuffered();
                t.stopReuse(); // requests already in flight there fail when read, and are replayed
                throw e;
            }
        } finally {
            senderLock.unlock();
        }
    }

    /**
     * Stops waiting for {@code 100 Continue}: the body of the request that expects it may now be
     * written. RFC 9110 §10.1.1 lets a client send the body after waiting a while for a server that
     * does not answer expectations. A 100 that arrives later is skipped like any interim response.
     *
     * @return true if a 100 was being awaited; false if none was (nothing changes)
     */
    public boolean skipContinue() {
        lockSender("skipContinue");
        try {
            Exchange ex = sending;
            if (ex == null || !sendState.compareAndSet(SendState.AWAITING_CONTINUE, SendState.WRITING_BODY)) return false;
            ex.phase = Phase.WRITING_BODY;
            return true;
        } finally {
            senderLock.unlock();
        }
    }

    private void requireSendState(SendState expected, String op) {
        SendState s = sendState.get();
        if (s == expected) return;
        throw new StateException(op + ": " + switch (s) {
            case WRITING_BODY -> "the body of " + sending + " is not finished (write the rest, or finishBody())";
            case AWAITING_CONTINUE -> sending + " is waiting for 100 Continue (readResponse first)";
            case IDLE -> "no request body is pending";
        });
    }

    /** True if the next request would open a new TCP connection. For the pipeline's sender. */
    boolean willReconnect() {
        Transport t = transport;
        return t == null || !t.reusable();
    }

    /**
     * Cleared by a pipeline's sender for a request that must not open a new TCP connection (others sent
     * before it are unsettled): such a request is refused with {@link ReconnectDeferred}, nothing sent, so
     * that the replays of the others can go first on the new connection.
     */
    volatile boolean reconnectAllowed = true;

    /**
     * A request sent after the response on which the server announced {@code Connection: close}: by
     * RFC 9112 §9.6 the server did not process it, so replaying it is safe.
     */
    static final class NotProcessedException extends ConnectionClosedException {
        private static final long serialVersionUID = 1L;

        NotProcessedException(String message) {
            super(message);
        }
    }

    /** See {@link #reconnectAllowed}. */
    static final class ReconnectDeferred extends IOException {
        private static final long serialVersionUID = 1L;

        ReconnectDeferred() {
            super("a new connection must wait for the requests in flight on the old one");
        }
    }

    private Transport transportForSending() throws IOException {
        Transport t = transport;
        if (t != null && t.reusable()) return t;
        if (!reconnectAllowed) throw new ReconnectDeferred();
        if (t != null && t.output().pending() > 0) {
            try {
                t.output().flush(); // requests in flight there must leave, to be answered or fail
            } catch (IOException e) {
                t.output().discardBuffered();
            }
        }
        if (t != null && t.deadReason() != null) t.close(); // kept open only for readRaw until now
        t = openTransport();
        transport = t;
        return t;
    }

    private Transport openTransport() throws IOException {
        Socket socket = connector.open();
        try {
            return new Transport(socket, connector.authority(), readBufferSize, timeout);
        } catch (IOException | RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    private String absoluteForm(Request request) {
        URI uri = request.uri();
        if (uri.isAbsolute()) return uri.toString();
        return "http://" + hostHeader + request.originForm();
    }

    /** RFC 9110 §8.6: send Content-Length: 0 for an empty body only where the method defines content. */
    private static boolean methodDefinesContent(String method) {
        return method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
    }

    // ------------------------------------------------------------------------------------------
    // Reader half

    /**
     * Reads the head of the next response, for the oldest request in flight. Interim 1xx responses
     * are skipped, except the 100 Continue an {@code expect100} request is waiting for, which is
     * returned (with length 0) so its body can be sent. After a head with a body, read the body to its
     * end before the next {@code readResponse}.
     *
     * <p>If it times out before a whole head has arrived, nothing is consumed and it may be called again.
     *
     * @throws StateException if nothing is in flight, the previous body is unread, or the oldest
     *         request's body (after its 100 Continue) has not been sent
     * @throws InvalidResponseException if the response is malformed; the connection is then unusable
     *         for further responses, but {@link #readRaw(int)} can show what came
     * @throws ConnectionClosedException if the connection ended before the response
     * @throws ConnectionTimedOutException if no data came within the timeout
     */
    public ResponseHead readResponse() throws IOException {
        lockReader("readResponse");
        try {
            if (body != null) {
                throw new StateException("readResponse: the body of the response to " + reading
                        + " has not been read to its end (read, readAll or discard it first)");
            }
            Exchange ex = inFlight.peekFirst();
            if (ex == null) {
                throw new StateException("readResponse: no request is in flight"
                        + (sendState.get() == SendState.WRITING_BODY ? " (the body of " + sending + " is not finished)" : ""));
            }
            if (ex.phase == Phase.WRITING_BODY) {
                throw new StateException("readResponse: the body of " + ex + " has not been sent yet; write it first");
            }
            Transport t = ex.transport;
            lastRead = t;
            String dead = t.deadReason();
            if (dead != null) {
                lost(ex);
                String message = ex + " was sent but will not be answered: " + dead;
                throw t.closedAsAnnounced() ? new NotProcessedException(message) : new ConnectionClosedException(message);
            }
            SocketInput in = t.input();
            in.mark();
            try {
                return readHead(ex, t, in);
            } catch (ConnectionTimedOutException e) {
                in.rewind(); // nothing consumed: the caller may try again
                throw e;
            } catch (IOException | RuntimeException e) {
                in.unmark();
                lost(ex);
                t.kill("the connection failed reading the response to " + ex + ": " + e.getMessage(),
                        !(e instanceof InvalidResponseException));
                throw e;
            }
        } finally {
            readerLock.unlock();
        }
    }

    private ResponseHead readHead(Exchange ex, Transport t, SocketInput in) throws IOException {
        while (true) {
            ResponseParser.Head h = parser.readHead(in);
            if (h == null) {
                throw new ConnectionClosedException("the server closed the connection without answering " + ex
                        + (ex.phase == Phase.SEND_FAILED ? " (sending it had failed)" : ""));
            }
            int status = h.status();
            if (status == 100 && ex.phase == Phase.AWAITING_CONTINUE) {
                in.unmark();
                ex.phase = Phase.WRITING_BODY;
                sendState.compareAndSet(SendState.AWAITING_CONTINUE, SendState.WRITING_BODY);
                return head(ex, h, OptionalLong.of(0));
            }
            if (status == 101) {
                throw new UnsupportedResponseException("101 Switching Protocols in answer to " + ex
                        + ", which asked for no upgrade");
            }
            if (status < 200) {
                in.mark(); // an interim response to skip; a retry after a timeout starts after it
                continue;
            }
            ResponseParser.Framing framing = parser.framing(h, ex.method);
            in.unmark();
            boolean withheld = false;
            if (ex.phase == Phase.AWAITING_CONTINUE) {
                // A final status instead of 100: the body is never sent. The server may still expect it,
                // so this connection is not reused; the next request opens a new one.
                ex.phase = Phase.BODY_WITHHELD;
                sendState.compareAndSet(SendState.AWAITING_CONTINUE, SendState.IDLE);
                withheld = true;
            }
            reading = ex;
            closeAfterBody = framing.closeAfter() || withheld || ex.phase == Phase.SEND_FAILED;
            closeAnnounced = framing.announced();
            body = BodyDecoder.of(framing, in, parser);
            OptionalLong length = switch (framing.kind()) {
                case NONE -> OptionalLong.of(0);
                case FIXED -> OptionalLong.of(framing.length());
                default -> OptionalLong.empty();
            };
            ResponseHead head = head(ex, h, length);
            if (closeAfterBody) t.stopReuse();
            if (body.isComplete()) endOfBody();
            return head;
        }
    }

    private static ResponseHead head(Exchange ex, ResponseParser.Head h, OptionalLong length) {
        return new ResponseHead(ex.method, ex.target, h.status(), h.reason(), Headers.ofTrusted(h.fields()), length);
    }

    /**
     * Reads body bytes of the current response.
     *
     * @return the number of bytes read, or -1 at the end of the body (or when no body is being read)
     * @throws ConnectionClosedException if the body ended early; the bytes before were returned by earlier reads
     * @throws ConnectionTimedOutException if no data came within the timeout; the read may be retried
     */
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        lockReader("read");
        try {
            return readBody(b, off, len);
        } finally {
            readerLock.unlock();
        }
    }

    /** Reads body bytes into the remaining space of {@code dst}; -1 at the end of the body. */
    public int read(ByteBuffer dst) throws IOException {
        if (dst.hasArray()) {
            int n = read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) dst.position(dst.position() + n);
            return n;
        }
        byte[] tmp = new byte[Math.min(dst.remaining(), SCRATCH_SIZE)];
        int n = read(tmp, 0, tmp.length);
        if (n > 0) dst.put(tmp, 0, n);
        return n;
    }

    /** Reads the rest of the current body into an array (empty if no body is being read). */
    public byte[] readAll() throws IOException {
        lockReader("readAll");
        try {
            if (body == null) return new byte[0];
            long known = body.remainingLength();
            // Trust Content-Length for sizing only up to a bound, so a lying header cannot exhaust the heap.
            byte[] buf = new byte[(int) (known >= 0 ? Math.min(known, MAX_PRESIZE) : INITIAL_READ_ALL)];
            int count = 0;
            while (body != null) { // null once the body is complete, often right after its last byte
                if (count == buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, 1024));
                int n = readBody(buf, count, buf.length - count);
                if (n < 0) break;
                count += n;
            }
            return count == buf.length ? buf : Arrays.copyOf(buf, count);
        } finally {
            readerLock.unlock();
        }
    }

    /** Reads and drops the rest of the current body; returns how many bytes were skipped. */
    public long discard() throws IOException {
        lockReader("discard");
        try {
            long skipped = 0;
            byte[] scratch = new byte[SCRATCH_SIZE];
            for (int n; (n = readBody(scratch, 0, scratch.length)) >= 0; ) skipped += n;
            return skipped;
        } finally {
            readerLock.unlock();
        }
    }

    /**
     * The current response body as a stream, for example to wrap in an {@code InputStreamReader};
     * {@code close()} discards what is left of it. The stream belongs to this response: once the body
     * has ended it returns -1, and closing it does not touch a later response.
     */
    public InputStream responseBody() {
        lockReader("responseBody");
        try {
            Exchange owner = reading;
            return new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    int n = read(one, 0, 1);
                    return n < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    Objects.checkFromIndexSize(off, len, b.length);
                    lockReader("read");
                    try {
                        return owner != null && owner == reading ? readBody(b, off, len) : -1;
                    } finally {
                        readerLock.unlock();
                    }
                }

                @Override
                public void close() throws IOException {
                    lockReader("close");
                    try {
                        if (owner != null && owner == reading) {
                            byte[] scratch = new byte[SCRATCH_SIZE];
                            while (readBody(scratch, 0, scratch.length) >= 0) {
                                // drain so the next response can be read
                            }
                        }
                    } finally {
                        readerLock.unlock();
                    }
                }
            };
        } finally {
            readerLock.unlock();
        }
    }

    /**
     * For debugging: up to {@code max} raw bytes from the connection (buffered ones first, else one
     * socket read), bypassing the HTTP framing; works after a protocol error too. Reading raw bytes
     * in the middle of a response desynchronises it.
     *
     * @return the bytes; empty at end of stream
     */
    public byte[] readRaw(int max) throws IOException {
        lockReader("readRaw");
        try {
            Transport t = lastRead != null ? lastRead : transport;
            if (t == null) throw new StateException("readRaw: the connection has never been opened");
            return t.input().readRaw(max);
        } finally {
            readerLock.unlock();
        }
    }

    /** True while a request has been sent whose response has not been read to its end. */
    public boolean responsePending() {
        return !inFlight.isEmpty();
    }

    private int readBody(byte[] b, int off, int len) throws IOException {
        BodyDecoder d = body;
        if (d == null) return -1;
        int n;
        try {
            n = d.read(b, off, len);
        } catch (ConnectionTimedOutException e) {
            throw e; // the decoder is unchanged; the read may be retried
        } catch (IOException | RuntimeException e) {
            Exchange ex = reading;
            body = null;
            reading = null;
            lost(ex);
            ex.transport.kill("the connection failed reading the body of the response to " + ex + ": " + e.getMessage(),
                    !(e instanceof InvalidResponseException));
            throw e;
        }
        if (d.isComplete()) endOfBody();
        return n;
    }

    private void endOfBody() {
        Exchange ex = reading;
        body = null;
        reading = null;
        inFlight.pollFirst();
        if (closeAfterBody && closeAnnounced) {
            ex.transport.closeAsAnnounced("the server announced it would close the connection after answering " + ex);
        } else if (closeAfterBody) {
            ex.transport.kill("the server closed the connection after answering " + ex, true);
        }
        ex.transport.exchangeDone();
    }

    /**
     * Gives up on the oldest request in flight (say, after a timeout): any body being read is dropped
     * and the transport it was sent on is closed, so requests behind it on that transport fail fast.
     * For the pipeline's reader thread.
     */
    void abandonOldest(String reason) {
        lockReader("abandonOldest");
        try {
            Exchange ex = body != null ? reading : inFlight.peekFirst();
            body = null;
            reading = null;
            if (ex == null) return;
            lost(ex);
            ex.transport.kill(reason, true);
        } finally {
            readerLock.unlock();
        }
    }

    /** The oldest request will get no response. */
    private void lost(Exchange ex) {
        inFlight.remove(ex);
        if (ex.phase == Phase.AWAITING_CONTINUE) {
            sendState.compareAndSet(SendState.AWAITING_CONTINUE, SendState.IDLE);
        }
        ex.transport.exchangeDone();
    }


    // ------------------------------------------------------------------------------------------
    // Whole connection

    /** Opens the connection now instead of at the first request; does nothing if it is open. */
    public void connect() throws IOException {
        lockSender("connect");
        try {
            transportForSending();
        } finally {
            senderLock.unlock();
        }
    }

    /**
     * Closes the socket. Requests in flight stay recorded: reading their responses raises
     * {@link ConnectionClosedException}. The next {@code sendRequest} opens a new connection.
     * Safe to call from any thread, also while another thread is blocked on this connection.
     */
    public void disconnect() {
        for (Transport t : transports()) t.kill("the connection was closed by disconnect()", true);
    }

    /** Same as {@link #disconnect()}. */
    @Override
    public void close() {
        disconnect();
    }

    /**
     * Closes the socket and forgets every request in flight and any unfinished body, leaving the
     * connection as new. Waits for calls blocked on other threads to fail (they fail promptly, since
     * the socket is closed).
     */
    public void reset() {
        disconnect();
        senderLock.lock();
        readerLock.lock();
        try {
            inFlight.clear();
            sendState.set(SendState.IDLE);
            sending = null;
            body = null;
            reading = null;
            lastRead = null;
            transport = null;
        } finally {
            readerLock.unlock();
            senderLock.unlock();
        }
    }

    /** The TLS session (peer certificates, cipher suite), once connected over TLS; empty for plain HTTP. */
    public Optional<SSLSession> sslSession() {
        Transport t = transport;
        return t != null && t.socket() instanceof SSLSocket ssl ? Optional.of(ssl.getSession()) : Optional.empty();
    }

    /** The host this connection talks to. */
    public String host() {
        return host;
    }

    /** The port this connection talks to. */
    public int port() {
        return port;
    }

    /** The inactivity timeout per blocking wait, or null for none. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Sets the inactivity timeout for later blocking waits; null waits forever.
     *
     * @param newTimeout a positive duration, or null
     */
    public void timeout(Duration newTimeout) throws IOException {
        if (newTimeout != null && (newTimeout.isNegative() || newTimeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive or null, got " + newTimeout);
        }
        this.timeout = newTimeout;
        for (Transport t : transports()) t.timeout(newTimeout);
    }

    @Override
    public String toString() {
        return "HttpConnection[" + hostHeader + ", in flight " + inFlight.size() + "]";
    }

    private List<Transport> transports() {
        List<Transport> all = new ArrayList<>();
        for (Transport t : new Transport[] {transport, lastRead}) {
            if (t != null && !all.contains(t)) all.add(t);
        }
        for (Exchange ex : inFlight) {
            if (!all.contains(ex.transport)) all.add(ex.transport);
        }
        return all;
    }

    private void lockSender(String op) {
        if (!senderLock.tryLock()) {
            throw new StateException(op + ": another thread is using the sender half of this connection");
        }
    }

    private void lockReader(String op) {
        if (!readerLock.tryLock()) {
            throw new StateException(op + ": another thread is using the reader half of this connection");
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing more to do for a socket that never became a connection
        }
    }

    /** Builds an {@link HttpConnection}; every setting has a default. */
    public static final class Builder {
        private final String host;
        private int port;
        private SSLContext tls;
        private SSLParameters tlsParameters;
        private boolean verifyHostname = true;
        private InetSocketAddress proxy;
        private String proxyAuthorization;
        private Duration connectTimeout;
        private Duration timeout;
        private int readBufferSize = DEFAULT_READ_BUFFER_SIZE;
        private int statusLineLimit = DEFAULT_STATUS_LINE_LIMIT;
        private int headerBlockLimit = DEFAULT_HEADER_BLOCK_LIMIT;
        private List<String> dnsTestHosts = List.of("www.google.com", "www.iana.org", "www.debian.org");
        private java.net.InetAddress localAddress;

        private Builder(String host) {
            Objects.requireNonNull(host, "host");
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            if (host.isEmpty()) throw new IllegalArgumentException("host is empty");
            for (int i = 0; i < host.length(); i++) {
                char c = host.charAt(i);
                if (c <= ' ' || c >= 0x7f || c == '/' || c == '@' || c == '?' || c == '#') {
                    throw new IllegalArgumentException("invalid host " + HttpSyntax.quote(host));
                }
            }
            this.host = host;
        }

        /** The TCP port (default 80, or 443 with TLS). */
        public Builder port(int port) {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
            this.port = port;
            return this;
        }

        /**
         * Speaks TLS with the JDK's default {@code SSLContext}: the default trust store, SNI, and
         * hostname verification.
         */
        public Builder tls() {
            try {
                return tls(SSLContext.getDefault());
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("this JDK has no default SSLContext", e);
            }
        }

        /** Speaks TLS with {@code context} (its trust managers decide which certificates are trusted). */
        public Builder tls(SSLContext context) {
            return tls(context, null);
        }

        /**
         * Speaks TLS with {@code context} and {@code parameters} (protocols, cipher suites). Hostname
         * verification is still switched on unless {@link #insecureDisableHostnameVerification()}.
         */
        public Builder tls(SSLContext context, SSLParameters parameters) {
            this.tls = Objects.requireNonNull(context, "context");
            this.tlsParameters = parameters;
            return this;
        }

        /**
         * INSECURE: accepts a certificate issued for another host name, which lets anyone holding any
         * trusted certificate impersonate the server. For tests and for servers addressed by a name their
         * certificate lacks; never for the open internet.
         */
        public Builder insecureDisableHostnameVerification() {
            this.verifyHostname = false;
            return this;
        }

        /**
         * Sends requests through an HTTP proxy: plain HTTP with absolute-form targets, TLS through a
         * {@code CONNECT} tunnel.
         */
        public Builder proxy(InetSocketAddress proxyAddress) {
            this.proxy = proxyAddress;
            return this;
        }

        /**
         * The {@code Proxy-Authorization} value sent to the proxy (on the CONNECT request for TLS, on
         * every request for plain HTTP), e.g. {@code "Basic " + base64("user:password")}.
         */
        public Builder proxyAuthorization(String value) {
            this.proxyAuthorization = value == null ? null : HttpSyntax.requireFieldValue("Proxy-Authorization", value);
            return this;
        }

        /** Limit for opening the connection; null (the default) waits as long as the OS does. */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positiveOrNull(d, "connectTimeout");
            return this;
        }

        /** Inactivity timeout for each blocking read or write; null (the default) waits forever. */
        public Builder timeout(Duration d) {
            this.timeout = positiveOrNull(d, "timeout");
            return this;
        }

        /** Size of the read buffer (default 16 KiB; reads of a body at least this large bypass it); response heads larger than it grow it temporarily. */
        public Builder readBufferSize(int bytes) {
            if (bytes < 1) throw new IllegalArgumentException("readBufferSize must be positive, got " + bytes);
            this.readBufferSize = bytes;
            return this;
        }

        /** Longest status line (and chunk-size line) accepted (default 64 KiB). */
        public Builder statusLineLimit(int bytes) {
            if (bytes < 16) throw new IllegalArgumentException("statusLineLimit must be at least 16, got " + bytes);
            this.statusLineLimit = bytes;
            return this;
        }

        /** Largest header block (and trailer block) accepted (default 64 KiB). */
        public Builder headerBlockLimit(int bytes) {
            if (bytes < 2) throw new IllegalArgumentException("headerBlockLimit must be at least 2, got " + bytes);
            this.headerBlockLimit = bytes;
            return this;
        }

        /** Host names probed to tell an unknown host from an unreachable DNS. */
        public Builder dnsTestHosts(List<String> hosts) {
            this.dnsTestHosts = List.copyOf(hosts);
            return this;
        }

        /** The local address to connect from (null, the default: the system chooses). */
        public Builder localAddress(java.net.InetAddress address) {
            this.localAddress = address;
            return this;
        }

        /** The connection (not yet connected). */
        public HttpConnection build() {
            return new HttpConnection(this);
        }

        private static Duration positiveOrNull(Duration d, String what) {
            if (d != null && (d.isNegative() || d.isZero())) {
                throw new IllegalArgumentException(what + " must be positive or null, got " + d);
            }
            return d;
        }
    }
}
