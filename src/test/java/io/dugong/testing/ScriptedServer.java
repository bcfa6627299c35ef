package io.dugong.testing;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A raw-socket HTTP/1.1 server whose behaviour is a script, for testing the client against exact
 * byte sequences, pipelining, half-closes, resets and back-pressure.
 *
 * <p>It listens on 127.0.0.1 (or a {@link Builder#bindAddress(InetAddress) chosen address}) on an
 * ephemeral port, speaking plain TCP or, with {@link Builder#tls(SSLContext)}, TLS. Every accepted connection runs
 * {@link Handler#handle(ServerConnection)} on its own virtual thread; when the handler returns, the
 * connection is closed. Use it with try-with-resources:
 *
 * <pre>{@code
 * try (ScriptedServer server = ScriptedServer.start(c -> {
 *     RecordedRequest r = c.readRequest();
 *     assertEquals("/a", r.target());
 *     c.sendResponse(200, "hello");
 * })) {
 *     // drive the client against server.uri()
 * }
 * }</pre>
 *
 * <p>{@link #close()} rethrows, as an {@link AssertionError}, the first exception a handler threw,
 * so an assertion in a script (or a malformed request detected by {@link ServerConnection}) fails the
 * test. {@link SocketException}s and {@link EOFException}s are not rethrown: they are how connections
 * normally end when the client closes or resets, or when {@code close()} closes the sockets.
 *
 * <p>Synchronise with {@link #awaitRequests(int)} and {@link #awaitConnections(int)} rather than
 * sleeping.
 */
public final class ScriptedServer implements AutoCloseable {

    /** How long {@link #awaitRequests(int)} and {@link #awaitConnections(int)} wait before failing. */
    public static final Duration AWAIT_TIMEOUT = Duration.ofSeconds(10);

    /** How long {@link #close()} waits for handlers after closing their sockets. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    /** The script run for each accepted connection. */
    @FunctionalInterface
    public interface Handler {
        /**
         * Plays the server's side of one connection. The connection is closed when this returns.
         *
         * @param c the accepted connection
         * @throws Exception anything; {@link ScriptedServer#close()} rethrows it unless it is a
         *                   normal connection ending (socket exception or EOF)
         */
        void handle(ServerConnection c) throws Exception;
    }

    /** Options that must be applied to sockets before they exist. */
    public static final class Builder {
        private int receiveBufferSize;
        private int sendBufferSize;
        private int backlog = 50;
        private SSLContext tls;
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();

        private Builder() {
        }

        /**
         * Speaks TLS with {@code context} (its key managers hold the server certificate, e.g.
         * {@link TestCertificates#serverContext()}). Each accepted TCP socket gets a server-mode
         * {@link javax.net.ssl.SSLSocket} layered over it; the handshake runs on the script's first
         * read or write (or {@link ServerConnection#handshake()}), and
         * {@link ServerConnection#closeWithoutCloseNotify()} can drop the TCP connection without a
         * close_notify alert. {@link ScriptedServer#uri()} then has the scheme {@code https}.
         *
         * @param context the server's TLS context
         * @return this builder
         */
        public Builder tls(SSLContext context) {
            this.tls = java.util.Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * Listens on {@code address} instead of 127.0.0.1, e.g. the IPv6 loopback {@code ::1}.
         *
         * @param address a local address
         * @return this builder
         */
        public Builder bindAddress(InetAddress address) {
            this.bindAddress = java.util.Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * Sets SO_RCVBUF on the listening socket before bind, so accepted sockets inherit it and the
         * TCP window they advertise is small from the handshake on. A script that then stops reading
         * makes the client's writes block after a few KiB. The kernel may round the value (Linux
         * doubles it).
         *
         * @param bytes the requested receive buffer size
         * @return this builder
         */
        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = positive(bytes, "receiveBufferSize");
            return this;
        }

        /**
         * Sets SO_SNDBUF on each accepted socket, so a script's writes block sooner when the client
         * is not reading.
         *
         * @param bytes the requested send buffer size
         * @return this builder
         */
        public Builder sendBufferSize(int bytes) {
            this.sendBufferSize = positive(bytes, "sendBufferSize");
            return this;
        }

        /**
         * Sets the listen backlog (default 50).
         *
         * @param connections the requested backlog
         * @return this builder
         */
        public Builder backlog(int connections) {
            this.backlog = positive(connections, "backlog");
            return this;
        }

        /**
         * Binds and starts accepting.
         *
         * @param handler the script for each connection
         * @return the running server
         * @throws UncheckedIOException if the socket cannot be bound
         */
        public ScriptedServer start(Handler handler) {
            try {
                return new ScriptedServer(this, handler);
            } catch (IOException e) {
                throw new UncheckedIOException("could not start ScriptedServer", e);
            }
        }

        private static int positive(int value, String what) {
            if (value <= 0) {
                throw new IllegalArgumentException(what + " must be positive: " + value);
            }
            return value;
        }
    }

    private final ServerSocket serverSocket;
    private final Handler handler;
    private final int sendBufferSize;
    private final SSLContext tls;
    private final Thread acceptThread;
    private final AtomicInteger nextConnectionId = new AtomicInteger();

    /** Guards the fields below and signals waiters whenever a count changes or a handler fails. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean closed;
    private int accepted;
    private int requests;
    private final List<ServerConnection> openConnections = new ArrayList<>();
    private final List<Thread> handlerThreads = new ArrayList<>();

    private final List<Throwable> errors = new CopyOnWriteArrayList<>();

    private ScriptedServer(Builder builder, Handler handler) throws IOException {
        this.handler = handler;
        this.sendBufferSize = builder.sendBufferSize;
        this.tls = builder.tls;
        ServerSocket ss = new ServerSocket();
        try {
            if (builder.receiveBufferSize > 0) {
                // Must precede bind: the window scale is negotiated in the SYN/SYN-ACK, so a later
                // change on the accepted socket would not shrink the advertised window.
                ss.setReceiveBufferSize(builder.receiveBufferSize);
            }
            ss.bind(new InetSocketAddress(builder.bindAddress, 0), builder.backlog);
        } catch (IOException | RuntimeException e) {
            ss.close();
            throw e;
        }
        this.serverSocket = ss;
        this.acceptThread = Thread.ofVirtual().name("scripted-server-accept-" + ss.getLocalPort()).start(this::acceptLoop);
    }

    /**
     * Starts a server with default options.
     *
     * @param handler the script for each connection
     * @return the running server
     */
    public static ScriptedServer start(Handler handler) {
        return builder().start(handler);
    }

    /**
     * A builder for servers with socket buffer or backlog options.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The listening port.
     *
     * @return the ephemeral port
     */
    public int port() {
        return serverSocket.getLocalPort();
    }

    /**
     * The listening host.
     *
     * @return {@code "127.0.0.1"}, or the literal of the {@link Builder#bindAddress(InetAddress)}
     *         (e.g. {@code "::1"}, unbracketed)
     */
    public String host() {
        return serverSocket.getInetAddress().getHostAddress().replaceFirst("%.*$", "");
    }

    /**
     * The server's base URI.
     *
     * @return {@code http://127.0.0.1:<port>} ({@code https} with TLS, IPv6 hosts bracketed)
     */
    public URI uri() {
        String h = host();
        return URI.create((tls != null ? "https" : "http") + "://" + (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port());
    }

    /**
     * A URI on this server.
     *
     * @param pathAndQuery starting with {@code /}
     * @return {@code http://127.0.0.1:<port><pathAndQuery>} (see {@link #uri()})
     */
    public URI uri(String pathAndQuery) {
        return URI.create(uri() + pathAndQuery);
    }

    /**
     * The number of connections accepted so far.
     *
     * @return the count
     */
    public int acceptedConnections() {
        lock.lock();
        try {
            return accepted;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The number of requests read so far across all connections (see
     * {@link ServerConnection#readRequest()} for when a request counts).
     *
     * @return the count
     */
    public int requestsRead() {
        lock.lock();
        try {
            return requests;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until at least {@code n} requests have been read.
     *
     * @param n the number of requests
     * @throws AssertionError if that takes longer than {@link #AWAIT_TIMEOUT}, or a handler fails first
     */
    public void awaitRequests(int n) {
        awaitRequests(n, AWAIT_TIMEOUT);
    }

    /**
     * Blocks until at least {@code n} requests have been read.
     *
     * @param n       the number of requests
     * @param timeout how long to wait
     * @throws AssertionError if that takes longer than {@code timeout}, or a handler fails first
     */
    public void awaitRequests(int n, Duration timeout) {
        await(n, timeout, true);
    }

    /**
     * Blocks until at least {@code n} connections have been accepted.
     *
     * @param n the number of connections
     * @throws AssertionError if that takes longer than {@link #AWAIT_TIMEOUT}, or a handler fails first
     */
    public void awaitConnections(int n) {
        awaitConnections(n, AWAIT_TIMEOUT);
    }

    /**
     * Blocks until at least {@code n} connections have been accepted.
     *
     * @param n       the number of connections
     * @param timeout how long to wait
     * @throws AssertionError if that takes longer than {@code timeout}, or a handler fails first
     */
    public void awaitConnections(int n, Duration timeout) {
        await(n, timeout, false);
    }

    /**
     * Every exception handlers have thrown so far, in order, including normal connection endings.
     *
     * @return an unmodifiable snapshot
     */
    public List<Throwable> handlerErrors() {
        return List.copyOf(errors);
    }

    /**
     * Stops accepting, closes every open connection, waits up to 5 s for handlers to finish, then
     * rethrows the first handler failure. Idempotent; only the first call can throw.
     *
     * @throws AssertionError wrapping the first handler exception that is not a normal connection
     *                        ending (others are attached as suppressed), or if a handler is still
     *                        running after the wait
     */
    @Override
    public void close() {
        List<ServerConnection> toClose;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            toClose = List.copyOf(openConnections);
        } finally {
            lock.unlock();
        }
        closeQuietly(serverSocket);
        for (ServerConnection c : toClose) {
            // The TCP socket: closing a TLS socket from here would not wake a handler blocked reading it.
            closeQuietly(c.tcpSocket());
        }
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        List<Thread> stuck = new ArrayList<>();
        joinUntil(acceptThread, deadline, stuck);
        List<Thread> threads;
        lock.lock();
        try {
            // Complete now: the accept loop has ended, or has seen `closed` and will start no more.
            threads = List.copyOf(handlerThreads);
        } finally {
            lock.unlock();
        }
        for (Thread t : threads) {
            joinUntil(t, deadline, stuck);
        }
        AssertionError failure = null;
        for (Throwable t : errors) {
            if (isNormalEnding(t)) {
                continue;
            }
            if (failure == null) {
                failure = new AssertionError("ScriptedServer handler failed: " + t, t);
            } else {
                failure.addSuppressed(t);
            }
        }
        if (!stuck.isEmpty()) {
            AssertionError hang = new AssertionError(stuck.size() + " handler thread(s) still running "
                    + CLOSE_TIMEOUT.toSeconds() + " s after close(); interrupted them: " + stuck);
            for (Thread t : stuck) {
                hang.addSuppressed(stackOf(t));
                t.interrupt();
            }
            if (failure == null) {
                failure = hang;
            } else {
                failure.addSuppressed(hang);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "ScriptedServer[" + uri() + ", connections=" + acceptedConnections() + ", requests=" + requestsRead() + "]";
    }

    /** Called by connections when they finish reading a request. */
    void requestRead() {
        lock.lock();
        try {
            requests++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void acceptLoop() {
        while (true) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (!serverSocket.isClosed()) {
                    recordError(e); // not caused by close(): surface it
                }
                return;
            }
            ServerConnection connection;
            try {
                socket.setTcpNoDelay(true); // scripts send in deliberate pieces; don't let Nagle merge or delay them
                if (sendBufferSize > 0) {
                    socket.setSendBufferSize(sendBufferSize);
                }
                connection = tls == null
                        ? new ServerConnection(this, socket, nextConnectionId.incrementAndGet())
                        : new ServerConnection(this, layerTls(socket), socket, nextConnectionId.incrementAndGet());
            } catch (IOException e) {
                closeQuietly(socket);
                recordError(e);
                continue;
            }
            lock.lock();
            try {
                if (closed) {
                    // close() has already snapshotted the open connections; this one would leak.
                    closeQuietly(socket);
                    return;
                }
                accepted++;
                ServerConnection c = connection;
                Thread t = Thread.ofVirtual().name("scripted-server-conn-" + c.id()).unstarted(() -> run(c));
                openConnections.add(c);
                handlerThreads.add(t);
                t.start();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void run(ServerConnection c) {
        try {
            handler.handle(c);
        } catch (Throwable t) {
            recordError(t);
        } finally {
            closeQuietly(c.socket()); // over TLS this sends close_notify (unless the TCP socket is closed already)
            closeQuietly(c.tcpSocket());
            lock.lock();
            try {
                openConnections.remove(c);
            } finally {
                lock.unlock();
            }
        }
    }

    /** A server-mode TLS socket over {@code tcp} that leaves {@code tcp} open when closed. */
    private SSLSocket layerTls(Socket tcp) throws IOException {
        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(tcp, null, tcp.getPort(), false);
        ssl.setUseClientMode(false);
        return ssl;
    }

    private void recordError(Throwable t) {
        errors.add(t);
        lock.lock();
        try {
            changed.signalAll(); // wake awaiters so they can fail fast
        } finally {
            lock.unlock();
        }
    }

    private void await(int n, Duration timeout, boolean requestCount) {
        String what = requestCount ? "requests read" : "connections accepted";
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while ((requestCount ? requests : accepted) < n) {
                for (Throwable t : errors) {
                    if (!isNormalEnding(t)) {
                        throw new AssertionError("handler failed while waiting for " + n + " " + what + ": " + t, t);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + n + " " + what
                            + "; have " + (requestCount ? requests : accepted));
                }
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted waiting for " + n + " " + what, e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Socket exceptions and EOF are how a connection ends when the client closes or resets it or
     * close() closes it; anything else, including AssertionError, is a script or client bug.
     */
    private static boolean isNormalEnding(Throwable t) {
        if (t instanceof UncheckedIOException u) {
            t = u.getCause();
        }
        return t instanceof SocketException || t instanceof EOFException;
    }

    private static void joinUntil(Thread t, long deadline, List<Thread> stuck) {
        long left = deadline - System.nanoTime();
        try {
            if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                if (t.isAlive()) {
                    stuck.add(t);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stuck.add(t);
        }
    }

    private static Throwable stackOf(Thread t) {
        Throwable where = new Throwable("stack of " + t.getName());
        where.setStackTrace(t.getStackTrace());
        return where;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Closing is best effort: the socket may already be reset or closed.
        }
    }
}
