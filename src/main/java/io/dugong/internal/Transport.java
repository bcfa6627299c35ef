package io.dugong.internal;

import io.dugong.ConnectionClosedException;
import io.dugong.ConnectionTimedOutException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One open socket and its buffered input and output: the unit a connection replaces when it reconnects.
 *
 * <p>Every socket call goes through here so that low-level errors become the library's exceptions with
 * one consistent message: a read or write that outlasts the timeout is a
 * {@link ConnectionTimedOutException}; a reset, an EOF, a local {@link #close()} or an interrupt (which
 * the JDK turns into closing the socket) is a {@link ConnectionClosedException}.
 *
 * <p>Reads time out through {@code SO_TIMEOUT}. Writes have no such option, so a blocked write is
 * watched by {@link WriteWatchdog}, which closes the socket when the deadline passes.
 */
public final class Transport {
    private static final int WRITE_SLICE = 256 * 1024;

    private final Socket socket;
    private final String peer;
    private final SocketInput input;
    private final SocketOutput output;
    private volatile long timeoutNanos;
    /** False once no new request may be written here (the server closes, a write failed, ...). */
    private volatile boolean reusable = true;
    /** Why requests still unanswered here will never be answered, or null while responses may come. */
    private volatile String deadReason;
    private volatile boolean closedAsAnnounced;
    /** Requests written here whose responses have not been read to the end (or failed). */
    private final AtomicInteger outstanding = new AtomicInteger();
    /** Registered with {@link WriteWatchdog}. */
    private final java.util.concurrent.atomic.AtomicBoolean watched = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closedLocally;
    private volatile boolean writeTimedOut;
    /** System.nanoTime() when the write in progress started, or 0 when none is in progress. */
    private volatile long writeStartedNanos;

    /**
     * Wraps a connected socket.
     *
     * @param socket          the connected (and, for TLS, handshaken) socket
     * @param peer            "host:port" for messages
     * @param readBufferSize  size of the read buffer
     * @param timeout         inactivity timeout per blocking wait, or null for none
     */
    public Transport(Socket socket, String peer, int readBufferSize, Duration timeout) throws IOException {
        this.socket = socket;
        this.peer = peer;
        this.input = new SocketInput(socket.getInputStream(), this, readBufferSize);
        this.output = new SocketOutput(socket.getOutputStream(), this);
        timeout(timeout);
    }

    /** The buffered input. */
    public SocketInput input() {
        return input;
    }

    /** The buffered output. */
    public SocketOutput output() {
        return output;
    }

    /** The underlying socket. */
    public Socket socket() {
        return socket;
    }

    /** "host:port" of the peer. */
    public String peer() {
        return peer;
    }

    /** True while new requests may be written on this transport. */
    public boolean reusable() {
        return reusable && !socket.isClosed();
    }

    /** Stops new requests from being written here; responses to those already sent may still be read. */
    public void stopReuse() {
        reusable = false;
    }

    /**
     * Marks every request still unanswered here as lost, with {@code reason}, and stops reuse.
     *
     * @param closeSocket false keeps the socket open so {@code readRaw} can show what came
     */
    public void kill(String reason, boolean closeSocket) {
        reusable = false;
        if (deadReason == null) deadReason = reason;
        if (closeSocket) close();
    }

    /**
     * Like {@link #kill}, after the server announced it would close: RFC 9112 §9.6 forbids it to
     * process any later request on this connection, so those were certainly not acted upon.
     */
    public void closeAsAnnounced(String reason) {
        closedAsAnnounced = true;
        kill(reason, true);
    }

    /** True if requests unanswered here were certainly not processed (see {@link #closeAsAnnounced}). */
    public boolean closedAsAnnounced() {
        return closedAsAnnounced;
    }

    /** Why unanswered requests here are lost, or null if their responses may still be read. */
    public String deadReason() {
        return deadReason;
    }

    /** Counts a request written here, until {@link #exchangeDone()}. */
    public void exchangeStarted() {
        outstanding.incrementAndGet();
    }

    /** Counts a request answered (or failed); a transport that cannot be reused closes once none is left. */
    public void exchangeDone() {
        if (outstanding.decrementAndGet() <= 0 && !reusable && deadReason == null) close();
    }

    /** Sets the inactivity timeout for later waits; null means wait forever. */
    public void timeout(Duration timeout) throws IOException {
        long nanos = timeout == null ? 0 : Math.max(1, timeout.toNanos());
        this.timeoutNanos = nanos;
        try {
            socket.setSoTimeout(timeout == null ? 0 : (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        } catch (SocketException e) {
            throw translate(e, "setting the timeout");
        }
        if (nanos > 0) WriteWatchdog.INSTANCE.watch(this);
    }

    /** True the first time: the caller registers this transport with the watchdog. */
    boolean markWatched() {
        return watched.compareAndSet(false, true);
    }

    void unmarkWatched() {
        watched.set(false);
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    long writeStartedNanos() {
        return writeStartedNanos;
    }

    boolean isClosed() {
        return socket.isClosed();
    }

    /** Called by the watchdog when a write has blocked past the timeout. */
    void abortBlockedWrite() {
        writeTimedOut = true;
        closeQuietly();
    }

    /** True once this side closed the socket (disconnect, reset, or a failure we handled). */
    public boolean closedLocally() {
        return closedLocally;
    }

    /** Closes the socket; blocked reads and writes on other threads fail with ConnectionClosedException. */
    public void close() {
        closedLocally = true;
        reusable = false;
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing is best effort: the socket is unusable either way.
        }
    }

    int socketRead(InputStream in, byte[] b, int off, int len) throws IOException {
        try {
            return in.read(b, off, len);
        } catch (IOException e) {
            throw translate(e, "reading");
        }
    }

    void socketWrite(OutputStream out, byte[] b, int off, int len) throws IOException {
        try {
            // Slices keep the watchdog measuring inactivity, not the duration of one huge write.
            for (int end = off + len; off < end; off += WRITE_SLICE) {
                writeStartedNanos = System.nanoTime() | 1; // never 0 while in progress
                out.write(b, off, Math.min(WRITE_SLICE, end - off));
            }
        } catch (IOException e) {
            throw translate(e, "writing");
        } finally {
            writeStartedNanos = 0;
        }
    }

    void socketFlush(OutputStream out) throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            throw translate(e, "writing");
        }
    }

    private IOException translate(IOException e, String doing) {
        if (e instanceof ConnectionClosedException || e instanceof ConnectionTimedOutException) return e;
        if (e instanceof SocketTimeoutException) {
            return new ConnectionTimedOutException("no data from " + peer + " within " + Duration.ofNanos(timeoutNanos)
                    + " while " + doing, e);
        }
        if (writeTimedOut && doing.equals("writing")) {
            return new ConnectionTimedOutException("the write to " + peer + " made no progress within "
                    + Duration.ofNanos(timeoutNanos) + " (the peer is not reading); the connection was closed", e);
        }
        if (writeTimedOut) {
            // Not a read timeout: the socket is gone, so a retry could never succeed.
            return new ConnectionClosedException("the connection to " + peer + " was closed because a write made no progress within "
                    + Duration.ofNanos(timeoutNanos) + " (the peer is not reading)", e);
        }
        if (Thread.currentThread().isInterrupted()) {
            return new ConnectionClosedException("the connection to " + peer
                    + " was closed because the thread was interrupted while " + doing, e);
        }
        if (closedLocally) {
            return new ConnectionClosedException("the connection to " + peer + " was closed locally (disconnect or reset)", e);
        }
        return new ConnectionClosedException("the connection to " + peer + " failed while " + doing + ": " + e.getMessage(), e);
    }
}
