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
    /** Exchanges started here and not yet settled (request finished and response read or lost). */
    private final AtomicInteger outstanding = new AtomicInteger();
    /** System.nanoTime() when {@link #outstanding} last dropped to zero (or the socket opened). */
    private volatile long idleSinceNanos = System.nanoTime();
    /** System.nanoTime() by which the read in progress must end, or 0 for none (see {@link #readDeadline}). */
    private volatile long deadlineNanos;
    /** The SO_TIMEOUT in force, so that it is changed only when a deadline asks for a shorter one. */
    private volatile int appliedSoTimeout;
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

    /** "host:port" of the peer, for messages and logs. */
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

    /** Counts an exchange started here (before its first byte is written), until {@link #exchangeDone()}. */
    public void exchangeStarted() {
        outstanding.incrementAndGet();
    }

    /** Counts an exchange settled; a transport that cannot be reused closes once none is left. */
    public void exchangeDone() {
        if (outstanding.decrementAndGet() <= 0) {
            idleSinceNanos = System.nanoTime();
            if (!reusable && deadReason == null) close();
        }
    }

    /** Exchanges started here and not yet settled. */
    public int outstanding() {
        return outstanding.get();
    }

    /**
     * Whether an idle connection may carry a new request, checked the way OkHttp's {@code isHealthy}
     * does: nothing buffered, nothing readable on the socket, and, once it has been idle for
     * {@code probeAfterNanos}, no end of stream either (a server closing an idle keep-alive connection
     * is found here, not on the request sent next). Bytes that arrive with nothing in flight are not
     * an answer to anything: the connection is out of sync.
     *
     * @return null if it is fit, else why not
     */
    public String unfitForReuse(long probeAfterNanos) {
        if (input.buffered() > 0) return "bytes arrived while no request was in flight";
        try {
            if (socket.getInputStream().available() > 0) return "bytes arrived while no request was in flight";
            if (System.nanoTime() - idleSinceNanos < probeAfterNanos) return null;
            // A read that may wait 1 ms: finds an end of stream (or bytes) that available() does not show.
            int n = input.probe(1);
            if (n < 0) return "the server closed the idle connection";
            return n > 0 ? "bytes arrived while no request was in flight" : null;
        } catch (IOException e) {
            return "the idle connection failed: " + e.getMessage();
        }
    }

    /**
     * Bounds the reads that follow by an absolute deadline (System.nanoTime()), on top of the
     * inactivity timeout; 0 removes it. A read that reaches it fails with {@link ConnectionTimedOutException}.
     */
    public void readDeadline(long deadline) {
        this.deadlineNanos = deadline;
    }

    /** True while a deadline is set and has passed. */
    public boolean deadlinePassed() {
        long d = deadlineNanos;
        return d != 0 && System.nanoTime() - d >= 0;
    }

    /** Sets the inactivity timeout for later waits; null means wait forever. */
    public void timeout(Duration timeout) throws IOException {
        long nanos = timeout == null ? 0 : Math.max(1, timeout.toNanos());
        this.timeoutNanos = nanos;
        try {
            int millis = timeout == null ? 0 : (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            socket.setSoTimeout(millis);
            appliedSoTimeout = millis;
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
            applyReadTimeout(0);
            return in.read(b, off, len);
        } catch (IOException e) {
            throw translate(e, "reading");
        }
    }

    /**
     * Reads with a timeout of {@code millis} instead of the usual one (for {@link #unfitForReuse}).
     *
     * @return the count read, -1 at end of stream, 0 if nothing came in time
     */
    int socketProbe(InputStream in, byte[] b, int off, int len, int millis) throws IOException {
        try {
            applyReadTimeout(millis);
            return in.read(b, off, len);
        } catch (SocketTimeoutException e) {
            return 0;
        } catch (IOException e) {
            throw translate(e, "reading");
        }
    }

    /** Sets SO_TIMEOUT for the next read: {@code override} if positive, else the inactivity timeout cut to the deadline. */
    private void applyReadTimeout(int override) throws IOException {
        int wanted = override > 0 ? override : (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeoutNanos / 1_000_000));
        if (override <= 0 && timeoutNanos == 0) wanted = 0;
        long d = deadlineNanos;
        if (override <= 0 && d != 0) {
            long left = d - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("deadline");
            int leftMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000));
            if (wanted == 0 || leftMillis < wanted) wanted = leftMillis;
        }
        if (wanted != appliedSoTimeout) {
            socket.setSoTimeout(wanted);
            appliedSoTimeout = wanted;
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
        if (e instanceof SocketTimeoutException && deadlinePassed()) {
            return new ConnectionTimedOutException("no complete response head from " + peer
                    + " within the head timeout", e);
        }
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
