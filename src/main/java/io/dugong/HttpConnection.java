package io.dugong;

import io.dugong.internal.Connector;
import io.dugong.internal.Durations;
import io.dugong.internal.HttpSyntax;
import io.dugong.internal.Origin;
import io.dugong.internal.RequestChecks;
import io.dugong.internal.ResponseParser;
import io.dugong.internal.Transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
 * {@link #connect()}), and again after the server or {@link #disconnect()} closed it. A connection
 * that has been idle (nothing in flight) is checked before it carries the next request: if bytes
 * arrived that answer nothing, or the server closed it, it is discarded and a new one opened, so a
 * stray response is never read as the answer to a later request.
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
    /** Default limit of the number of fields in a response header block (and in a trailer section). */
    public static final int DEFAULT_MAX_HEADER_FIELDS = ResponseParser.DEFAULT_MAX_HEADER_FIELDS;
    /** Default limit of interim (1xx) responses skipped before a final response. */
    public static final int DEFAULT_MAX_INTERIM_RESPONSES = 16;

    private static final int SCRATCH_SIZE = 16 * 1024;

    private final String host;
    private final int port;
    private final String hostHeader;
    private final Duration headTimeout;
    private volatile Duration timeout;
    private final String origin;
    private final TransportSlot slot;
    private final RequestSender sender;
    private final ResponseReceiver receiver;

    private HttpConnection(Builder b) {
        this.host = b.host;
        this.port = b.port != 0 ? b.port : b.tls != null ? 443 : 80;
        Connector connector = new Connector(host, port, b.tls, b.tlsParameters, b.verifyHostname, b.proxy,
                b.proxyAuthorization, b.connectTimeout, b.dnsTestHosts, b.localAddress);
        this.timeout = b.timeout;
        this.headTimeout = b.headTimeout;
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        this.hostHeader = port == (b.tls != null ? 443 : 80) ? h : h + ":" + port;
        this.origin = connector.origin();
        this.slot = new TransportSlot(connector, b.readBufferSize, b.timeout);
        this.receiver = new ResponseReceiver(new ResponseParser(b.statusLineLimit, b.headerBlockLimit, b.maxHeaderFields),
                b.headTimeout,
                b.maxInterimResponses, slot);
        this.sender = new RequestSender(slot, receiver, connector, hostHeader);
        receiver.sender(sender);
    }

    /**
     * A plain HTTP connection to {@code host:port}; no I/O happens until the first request.
     *
     * @param host a host name or IP address
     * @param port the TCP port
     * @return the connection, not yet connected
     */
    public static HttpConnection open(String host, int port) {
        return builder(host).port(port).build();
    }

    /**
     * A connection to the host and port of {@code uri}: {@code https} means TLS with the JDK's default
     * context and port 443 unless given; {@code http} means port 80 unless given.
     *
     * @param uri an {@code http} or {@code https} URI; only scheme, host and port are used
     * @return the connection, not yet connected
     * @throws IllegalArgumentException if the scheme is neither or the host is missing
     */
    public static HttpConnection open(URI uri) {
        return builder(uri).build();
    }

    /** A builder for the origin of {@code uri}: host, port, and TLS with the default context for https. */
    static Builder builder(URI uri) {
        Origin origin = Origin.of(uri);
        Builder b = builder(origin.host()).port(origin.port());
        if (origin.tls()) b.tls();
        return b;
    }

    /**
     * A builder for a connection to {@code host}, port 80 unless set.
     *
     * @param host a host name or IP address (IPv6 with or without brackets)
     * @return a builder with every other setting at its default
     */
    public static Builder builder(String host) {
        return new Builder(host);
    }

    // ------------------------------------------------------------------------------------------
    // Sender half

    /**
     * Sends a request. Its body is sent too, unless it is {@link Body#following(long)} or
     * {@link Body#chunked()} (write it next), or the request expects {@code 100-continue} (read the
     * 100 first). Opens the connection if it is not open, or if it was idle and turned out unfit.
     *
     * @param request the request
     * @throws StateException if a request body is unfinished or a 100-continue is awaited
     * @throws IllegalArgumentException if the request carries its own Content-Length or
     *         Transfer-Encoding (the body decides those); nothing is sent
     * @throws ConnectionClosedException if the connection failed while sending; if part of the request
     *         went out, its response (if the server sent one) can still be read
     * @throws IOException if the connection could not be opened, or reading a body source failed
     */
    public void sendRequest(Request request) throws IOException {
        sender.send(request, null, true);
    }

    /**
     * {@link #sendRequest(Request)}, telling {@code listener} (on this thread) when the request starts
     * to leave and when it is in flight, so {@code readResponse} may be called for it. If this throws
     * without having called {@code writing()}, nothing of the request was sent. With {@code flush} false, a request whose body
     * the connection sends itself may stay in the socket buffer (up to a batch limit) until a later
     * request or {@link #flush()} sends it: for a pipeline's sender, which flushes before it waits.
     */
    void sendRequest(Request request, SendListener listener, boolean flush) throws IOException {
        sender.send(request, listener, flush);
    }

    /**
     * Sends a request with no headers and no body.
     *
     * @param method the method, e.g. {@code GET}
     * @param target the origin-form target, e.g. {@code /a?b}
     * @throws IOException as {@link #sendRequest(Request)}
     */
    public void sendRequest(String method, String target) throws IOException {
        sendRequest(Request.builder(method, target).build());
    }

    /**
     * Sends a request with headers and no body.
     *
     * @param method  the method
     * @param target  the origin-form target
     * @param headers the request's header fields
     * @throws IOException as {@link #sendRequest(Request)}
     */
    public void sendRequest(String method, String target, Headers headers) throws IOException {
        sendRequest(Request.builder(method, target).headers(headers).build());
    }

    /**
     * Sends a request with headers and an in-memory body.
     *
     * @param method  the method
     * @param target  the origin-form target
     * @param headers the request's header fields
     * @param body    the body, sent with a Content-Length
     * @throws IOException as {@link #sendRequest(Request)}
     */
    public void sendRequest(String method, String target, Headers headers, byte[] body) throws IOException {
        sendRequest(Request.builder(method, target).headers(headers).body(body).build());
    }

    /**
     * Writes body data for the request sent last, whose body is {@link Body#following(long)} or
     * {@link Body#chunked()}. Writing the last announced byte of a fixed-length body completes the
     * request.
     *
     * @param b   the data
     * @param off where it starts in {@code b}
     * @param len how many bytes to write
     * @throws StateException if no such body is pending, or a 100-continue is still awaited
     * @throws IllegalArgumentException if this is more than the announced length; nothing is written
     * @throws IOException if the connection failed while writing
     */
    public void write(byte[] b, int off, int len) throws IOException {
        sender.write(b, off, len);
    }

    /**
     * Writes all of {@code b}; see {@link #write(byte[], int, int)}.
     *
     * @param b the data
     * @throws IOException if the connection failed while writing
     */
    public void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    /**
     * Writes the remaining bytes of {@code src}; see {@link #write(byte[], int, int)}.
     *
     * @param src the data, consumed to its limit
     * @throws IOException if the connection failed while writing
     */
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
     * @throws IOException if the connection failed while writing
     */
    public void finishBody() throws IOException {
        sender.finishBody();
    }

    /**
     * The pending request body as a stream: {@code write} calls {@link #write(byte[], int, int)}, and
     * {@code close} calls {@link #finishBody()}.
     *
     * @return a stream view of the pending body
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

    /**
     * Stops waiting for {@code 100 Continue}: the body of the request that expects it may now be
     * written. RFC 9110 §10.1.1 lets a client send the body after waiting a while for a server that
     * does not answer expectations. A 100 that arrives later is skipped like any interim response.
     *
     * @return true if a 100 was being awaited; false if none was (nothing changes)
     */
    public boolean skipContinue() {
        return sender.skipContinue();
    }

    /** For a pipeline's sender: {@link #skipContinue()} then {@link #finishBody()}, in one hold of the sender half. */
    void sendHeldBody() throws IOException {
        sender.sendHeldBody();
    }

    /** Writes requests that {@code sendRequest(..., false)} left buffered. */
    void flush() throws IOException {
        sender.flush();
    }

    /** {@code scheme://host:port}, for events and logs. */
    String origin() {
        return origin;
    }

    /** True if the next request would open a new TCP connection. For the pipeline's sender. */
    boolean willReconnect() {
        return slot.willReconnect();
    }

    /**
     * Cleared by a pipeline's sender for a request that must not open a new TCP connection (others sent
     * before it are unsettled): such a request is refused with {@link ReconnectDeferred}, nothing sent,
     * so that the replays of the others can go first on the new connection.
     */
    void reconnectAllowed(boolean allowed) {
        slot.reconnectAllowed(allowed);
    }

    /** The TCP connection new requests are written to (an identity only), or null before the first. */
    Object currentTransport() {
        return slot.current();
    }

    // ------------------------------------------------------------------------------------------
    // Reader half

    /** What the last final response head told about its server (reader half); null before the first. */
    ResponseFacts lastResponseFacts() {
        return receiver.lastFacts();
    }

    /** The TCP connection (an identity only) of the response read last or being read, or null. */
    Object lastTransportRead() {
        return receiver.lastTransportRead();
    }

    /**
     * Reads the head of the next response, for the oldest request in flight. Interim 1xx responses
     * are skipped, except the 100 Continue an {@code expect100} request is waiting for, which is
     * returned (with length 0) so its body can be sent. After a head with a body, read the body to its
     * end before the next {@code readResponse}.
     *
     * <p>If the inactivity timeout passes before a whole head has arrived, nothing is consumed and it
     * may be called again. If the head timeout passes, the connection is closed.
     *
     * @return the response head
     * @throws StateException if nothing is in flight, the previous body is unread, or the oldest
     *         request's body (after its 100 Continue) has not been sent and no other thread is sending it
     * @throws InvalidResponseException if the response is malformed; the connection is then unusable
     *         for further responses, but {@link #readRaw(int)} can show what came
     * @throws ConnectionClosedException if the connection ended before the response
     * @throws ConnectionTimedOutException if no data came within the timeout, or no whole head within the head timeout
     * @throws IOException if reading failed otherwise
     */
    public ResponseHead readResponse() throws IOException {
        return receiver.readResponse();
    }

    /**
     * Reads body bytes of the current response. A timeout or an error here ends the connection: the
     * requests behind this one fail at once instead of each waiting out another timeout.
     *
     * @param b   where to put them
     * @param off where in {@code b}
     * @param len the most bytes to read
     * @return the number of bytes read, or -1 at the end of the body (or when no body is being read)
     * @throws ConnectionClosedException if the body ended early (the bytes before were returned by
     *         earlier reads), or the connection was closed (by {@link #disconnect()}, say)
     * @throws ConnectionTimedOutException if no data came within the timeout
     * @throws IOException if reading failed otherwise
     */
    public int read(byte[] b, int off, int len) throws IOException {
        return receiver.read(b, off, len);
    }

    /**
     * Reads body bytes into the remaining space of {@code dst}.
     *
     * @param dst where to put them
     * @return the number of bytes read, or -1 at the end of the body
     * @throws IOException as {@link #read(byte[], int, int)}
     */
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

    /**
     * Reads the rest of the current body into an array.
     *
     * @return the bytes (empty if no body is being read)
     * @throws IOException as {@link #read(byte[], int, int)}
     */
    public byte[] readAll() throws IOException {
        return receiver.readAll();
    }

    /**
     * Reads and drops the rest of the current body.
     *
     * @return how many bytes were skipped
     * @throws IOException as {@link #read(byte[], int, int)}
     */
    public long discard() throws IOException {
        return receiver.discard();
    }

    /**
     * The current response body as a stream, for example to wrap in an {@code InputStreamReader};
     * {@code close()} discards what is left of it. The stream belongs to this response: once the body
     * has ended it returns -1, and closing it does not touch a later response.
     *
     * @return a stream view of the current body
     */
    public InputStream responseBody() {
        return receiver.responseBody();
    }

    /**
     * For debugging: up to {@code max} raw bytes from the connection (buffered ones first, else one
     * socket read), bypassing the HTTP framing; works after a protocol error too. Reading raw bytes
     * in the middle of a response desynchronises it.
     *
     * @param max the most bytes to return
     * @return the bytes; empty at end of stream
     * @throws IOException if the socket read failed
     */
    public byte[] readRaw(int max) throws IOException {
        return receiver.readRaw(max);
    }

    /**
     * True while a request has been sent whose response has not been read to its end.
     *
     * @return whether a response is pending
     */
    public boolean responsePending() {
        return receiver.responsePending();
    }

    /**
     * Gives up on the response to the request sent with {@code owner}, if it is
     * still unread (say, after a timeout): it is dropped and its transport closed, so requests behind it
     * there fail fast. For the pipeline's reader thread, after any failure.
     */
    void abandon(SendListener owner, String reason) {
        receiver.abandon(owner, reason);
    }

    // ------------------------------------------------------------------------------------------
    // Whole connection

    /**
     * Opens the connection now instead of at the first request; does nothing if it is open.
     *
     * @throws IOException if it cannot be opened
     */
    public void connect() throws IOException {
        sender.connect();
    }

    /**
     * Closes the socket, and any socket whose connect is in progress as soon as it completes. Requests
     * in flight stay recorded: reading their responses, or the rest of a body being read, raises
     * {@link ConnectionClosedException}. The next {@code sendRequest} opens a new connection. Safe to
     * call from any thread, also while another thread is blocked on this connection.
     */
    public void disconnect() {
        String reason = "the connection was closed by disconnect()";
        // What was open when this was called, taken first: a pipeline may replay its requests on a new
        // connection the moment the old one dies, and that one is not this call's to close.
        List<Transport> open = receiver.transports();
        slot.disconnect(reason);
        for (Transport t : open) t.kill(reason, true);
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
        sender.lock().lock();
        receiver.lock().lock();
        try {
            receiver.clear();
            sender.clear();
            slot.clear();
        } finally {
            receiver.lock().unlock();
            sender.lock().unlock();
        }
    }

    /**
     * The TLS session (peer certificates, cipher suite), once connected over TLS.
     *
     * @return the session; empty for plain HTTP or before connecting
     */
    public Optional<SSLSession> sslSession() {
        Transport t = slot.current();
        return t != null && t.socket() instanceof SSLSocket ssl ? Optional.of(ssl.getSession()) : Optional.empty();
    }

    /**
     * The host this connection talks to.
     *
     * @return the host name or address, IPv6 without brackets
     */
    public String host() {
        return host;
    }

    /**
     * The port this connection talks to.
     *
     * @return the TCP port
     */
    public int port() {
        return port;
    }

    /**
     * The inactivity timeout per blocking wait.
     *
     * @return the timeout, or null for none
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The whole-head timeout: from a request completely sent to its response head complete.
     *
     * @return the timeout, or null for none
     */
    public Duration headTimeout() {
        return headTimeout;
    }

    /**
     * Sets the inactivity timeout for later blocking waits; null waits forever.
     *
     * @param newTimeout a positive duration, or null
     * @throws IOException if the socket refused it
     */
    public void timeout(Duration newTimeout) throws IOException {
        Durations.positiveOrNull(newTimeout, "timeout");
        this.timeout = newTimeout;
        slot.timeout(newTimeout);
        for (Transport t : receiver.transports()) t.timeout(newTimeout);
    }

    @Override
    public String toString() {
        return "HttpConnection[" + hostHeader + ", in flight " + receiver.inFlightCount() + "]";
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
        private Duration headTimeout;
        private int maxInterimResponses = DEFAULT_MAX_INTERIM_RESPONSES;
        private int readBufferSize = DEFAULT_READ_BUFFER_SIZE;
        private int statusLineLimit = DEFAULT_STATUS_LINE_LIMIT;
        private int headerBlockLimit = DEFAULT_HEADER_BLOCK_LIMIT;
        private int maxHeaderFields = DEFAULT_MAX_HEADER_FIELDS;
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

        /**
         * The TCP port (default 80, or 443 with TLS).
         *
         * @param port the TCP port, 1 to 65535
         * @return this builder
         */
        public Builder port(int port) {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
            this.port = port;
            return this;
        }

        /**
         * Speaks TLS with the JDK's default {@code SSLContext}: the default trust store, SNI, and
         * hostname verification.
         *
         * @return this builder
         */
        public Builder tls() {
            return tls(Origin.defaultTlsContext());
        }

        /**
         * Speaks TLS with {@code context} (its trust managers decide which certificates are trusted).
         *
         * @param context the TLS context
         * @return this builder
         */
        public Builder tls(SSLContext context) {
            return tls(context, null);
        }

        /**
         * Speaks TLS with {@code context} and {@code parameters} (protocols, cipher suites). Hostname
         * verification is still switched on unless {@link #insecureDisableHostnameVerification()}.
         *
         * @param context the TLS context
         * @param parameters TLS parameters (protocols, cipher suites), or null
         * @return this builder
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
         *
         * @return this builder
         */
        public Builder insecureDisableHostnameVerification() {
            this.verifyHostname = false;
            return this;
        }

        /**
         * Sends requests through an HTTP proxy: plain HTTP with absolute-form targets, TLS through a
         * {@code CONNECT} tunnel.
         *
         * @param proxyAddress the proxy's address
         * @return this builder
         */
        public Builder proxy(InetSocketAddress proxyAddress) {
            this.proxy = proxyAddress;
            return this;
        }

        /**
         * The {@code Proxy-Authorization} value sent to the proxy (on the CONNECT request for TLS, on
         * every request for plain HTTP), e.g. {@code "Basic " + base64("user:password")}.
         *
         * @param value the header value, e.g. {@code "Basic " + base64("user:password")}
         * @return this builder
         */
        public Builder proxyAuthorization(String value) {
            this.proxyAuthorization = value == null ? null : RequestChecks.fieldValue("Proxy-Authorization", value);
            return this;
        }

        /**
         * Limit for opening the connection: resolving the name, the TCP connect, the proxy tunnel and the
         * TLS handshake together; past it, {@link ConnectTimeoutException}. Null (the default) waits as
         * long as the OS does.
         *
         * @param d the duration
         * @return this builder
         */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = Durations.positiveOrNull(d, "connectTimeout");
            return this;
        }

        /**
         * Inactivity timeout for each blocking read or write; null (the default) waits forever.
         *
         * @param d the duration
         * @return this builder
         */
        public Builder timeout(Duration d) {
            this.timeout = Durations.positiveOrNull(d, "timeout");
            return this;
        }

        /**
         * Limit for a whole response head, from the request completely sent (for an {@code expect100}
         * request: its head, then again its body) to the end of the response head — the semantics of
         * the JDK's {@code HttpRequest.timeout}. A server trickling bytes cannot hold a request longer;
         * when it passes, {@code readResponse} throws {@link ConnectionTimedOutException} and the
         * connection is closed. With pipelining the time counts from when the request was sent, so
         * slow responses ahead of it count too. Null (the default) sets no such limit.
         *
         * @param d the duration
         * @return this builder
         */
        public Builder headTimeout(Duration d) {
            this.headTimeout = Durations.positiveOrNull(d, "headTimeout");
            return this;
        }

        /**
         * Most interim (1xx) responses skipped before a final one (default 16); more is an {@link InvalidResponseException}.
         *
         * @param n the number
         * @return this builder
         */
        public Builder maxInterimResponses(int n) {
            if (n < 0) throw new IllegalArgumentException("maxInterimResponses must be >= 0, got " + n);
            this.maxInterimResponses = n;
            return this;
        }

        /**
         * Size of the read buffer (default 16 KiB; reads of a body at least this large bypass it); response heads larger than it grow it temporarily.
         *
         * @param bytes the size in bytes
         * @return this builder
         */
        public Builder readBufferSize(int bytes) {
            if (bytes < 1) throw new IllegalArgumentException("readBufferSize must be positive, got " + bytes);
            this.readBufferSize = bytes;
            return this;
        }

        /**
         * Longest status line (and chunk-size line) accepted (default 64 KiB).
         *
         * @param bytes the size in bytes
         * @return this builder
         */
        public Builder statusLineLimit(int bytes) {
            if (bytes < 16) throw new IllegalArgumentException("statusLineLimit must be at least 16, got " + bytes);
            this.statusLineLimit = bytes;
            return this;
        }

        /**
         * Largest header block (and trailer block) accepted (default 64 KiB).
         *
         * @param bytes the size in bytes
         * @return this builder
         */
        public Builder headerBlockLimit(int bytes) {
            if (bytes < 2) throw new IllegalArgumentException("headerBlockLimit must be at least 2, got " + bytes);
            this.headerBlockLimit = bytes;
            return this;
        }

        /**
         * Most fields in a response header block (and in a trailer section) accepted (default 256,
         * {@link #DEFAULT_MAX_HEADER_FIELDS}); more are an {@link InvalidResponseException}.
         *
         * @param fields the most fields, at least 1
         * @return this builder
         */
        public Builder maxHeaderFields(int fields) {
            if (fields < 1) throw new IllegalArgumentException("maxHeaderFields must be positive, got " + fields);
            this.maxHeaderFields = fields;
            return this;
        }

        /**
         * Host names probed to tell an unknown host from an unreachable DNS.
         *
         * @param hosts host names that resolve when DNS works
         * @return this builder
         */
        public Builder dnsTestHosts(List<String> hosts) {
            this.dnsTestHosts = List.copyOf(hosts);
            return this;
        }

        /**
         * The local address to connect from.
         *
         * @param address a local address of this machine, or null (the default: the system chooses)
         * @return this builder
         */
        public Builder localAddress(java.net.InetAddress address) {
            this.localAddress = address;
            return this;
        }

        /**
         * The connection (not yet connected).
         *
         * @return the new, unconnected instance
         */
        public HttpConnection build() {
            return new HttpConnection(this);
        }
    }
}
