package io.dugong;

import io.dugong.internal.ConnectEvent;
import io.dugong.internal.Connector;
import io.dugong.internal.Transport;
import io.dugong.internal.WireLog;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The transport (socket) that new requests of an {@link HttpConnection} are written to, and the rules
 * for replacing it: a transport that cannot be reused, or that turns out unfit after being idle, is
 * replaced by a new connection, unless a pipeline has deferred reconnecting.
 */
final class TransportSlot {
    /**
     * An idle connection older than this is probed for an end of stream before reuse (a read that may
     * wait a millisecond); younger ones only get the free checks.
     */
    static final long IDLE_PROBE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Connector connector;
    private final int readBufferSize;
    /** The transport new requests are written to; replaced when it cannot be reused. */
    private volatile Transport transport;
    /** Bumped by {@link #disconnect}: a connect that began before it must not survive it. */
    private final AtomicLong generation = new AtomicLong();
    /** Cleared by a pipeline's sender while older requests are unsettled; see {@link ReconnectDeferred}. */
    private volatile boolean reconnectAllowed = true;
    /** The inactivity timeout a new transport starts with. */
    private volatile Duration timeout;

    TransportSlot(Connector connector, int readBufferSize, Duration timeout) {
        this.connector = connector;
        this.readBufferSize = readBufferSize;
        this.timeout = timeout;
    }

    /** Sets the inactivity timeout of the current transport and of later ones. */
    void timeout(Duration newTimeout) throws IOException {
        this.timeout = newTimeout;
        Transport t = transport;
        if (t != null) t.timeout(newTimeout);
    }

    /** The transport in use, or null before the first connect. */
    Transport current() {
        return transport;
    }

    /** True if the next request would open a new TCP connection. */
    boolean willReconnect() {
        Transport t = transport;
        return t == null || !t.reusable();
    }

    void reconnectAllowed(boolean allowed) {
        reconnectAllowed = allowed;
    }

    /**
     * The transport for the next request (sender half only): the current one if it is reusable and,
     * when nothing is outstanding on it, still fit; else a new connection.
     *
     * @throws ReconnectDeferred if a new connection is needed but not allowed now
     */
    Transport forSending() throws IOException {
        Transport t = transport;
        if (t != null && t.reusable()) {
            if (t.outstanding() > 0) return t;
            String unfit = t.unfitForReuse(IDLE_PROBE_AFTER_NANOS);
            if (unfit == null) return t;
            t.kill("the idle connection was discarded: " + unfit, true);
            WireLog.get().event(connector.authority(), "idle connection discarded: " + unfit);
        }
        if (!reconnectAllowed) throw new ReconnectDeferred();
        if (t != null && t.output().pending() > 0) {
            try {
                t.output().flush(); // requests in flight there must leave, to be answered or fail
            } catch (IOException e) {
                t.output().discardBuffered();
            }
        }
        if (t != null && t.deadReason() != null) t.close(); // kept open only for readRaw until now
        long gen = generation.get();
        Transport fresh = open();
        transport = fresh;
        if (generation.get() != gen) {
            // disconnect() ran while this connect was in progress: it must not leave a socket open.
            fresh.kill("the connection was closed by disconnect() while connecting", true);
            throw new ConnectionClosedException("the connection was closed (disconnect, close or abort) while connecting to "
                    + connector.authority());
        }
        return fresh;
    }

    /** Closes the current transport, and any connect in progress as soon as it completes. */
    void disconnect(String reason) {
        generation.incrementAndGet();
        Transport t = transport;
        if (t != null) t.kill(reason, true);
    }

    /** Forgets the transport; for {@link HttpConnection#reset()}. */
    void clear() {
        transport = null;
    }

    private Transport open() throws IOException {
        ConnectEvent event = ConnectEvent.startIfEnabled(connector.origin(), connector.tls() != null);
        Socket socket;
        try {
            socket = connector.open();
        } catch (IOException | RuntimeException e) {
            if (event != null) event.failed(e);
            WireLog.get().event(connector.authority(), "connect failed: " + e);
            throw e;
        }
        try {
            Transport t = new Transport(socket, connector.authority(), readBufferSize, timeout);
            if (event != null) {
                event.connected(socket.getRemoteSocketAddress(),
                        connector.proxy() == null ? null : connector.proxy().getHostString() + ":" + connector.proxy().getPort(),
                        socket instanceof javax.net.ssl.SSLSocket ssl ? ssl.getSession().getProtocol() : null);
            }
            WireLog.get().event(connector.authority(), "connected to " + socket.getRemoteSocketAddress());
            return t;
        } catch (IOException | RuntimeException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // a socket that never became a transport: nothing more to do
            }
            if (event != null) event.failed(e);
            throw e;
        }
    }
}
