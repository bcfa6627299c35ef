package io.dugong.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event: one connection being opened (DNS, TCP connect, proxy tunnel, TLS handshake); its
 * duration is the time that took. Recorded by any JFR recording unless its settings say
 * {@code io.dugong.Connect#enabled=false}: connections are few, so every one is kept.
 *
 * <pre>{@code
 * ConnectEvent e = ConnectEvent.startIfEnabled(origin);   // null when nobody records it
 * ... connect ...
 * if (e != null) e.connected(socket.getRemoteSocketAddress(), proxy, tlsProtocolOrNull);  // or failed(exception)
 * }</pre>
 */
@Name(ConnectEvent.NAME)
@Label("HTTP Connect")
@Category({"dugong", "HTTP"})
@Description("A connection opened by dugong: name resolution, TCP connect, proxy tunnel and TLS handshake")
@StackTrace(false)
public final class ConnectEvent extends Event {
    /** The JFR name of this event. */
    public static final String NAME = "io.dugong.Connect";
    /** Asked whether the event is enabled; JFR keeps that state per event class, not per instance. */
    private static final ConnectEvent PROBE = new ConnectEvent();

    /** {@code scheme://host:port} of the server the connection is for. */
    @Label("Origin")
    public String origin;

    /** The address the socket connected to: the server's, or the proxy's. */
    @Label("Address")
    public String address;

    /** {@code host:port} of the HTTP proxy, or null for a direct connection. */
    @Label("Proxy")
    public String proxy;

    /** Whether the connection speaks TLS. */
    @Label("TLS")
    public boolean tls;

    /** The negotiated TLS protocol (e.g. {@code TLSv1.3}), or null. */
    @Label("TLS Protocol")
    public String tlsProtocol;

    /** Why the connection could not be opened ({@code ExceptionClass: message}), or null. */
    @Label("Failure")
    public String failure;

    /** Only {@link #startIfEnabled} makes one (and the probe). */
    private ConnectEvent() {
    }

    /**
     * A started event for a connection to {@code origin}, or null when no recording wants it (the
     * cheap path: no allocation, no clock read).
     *
     * @param origin {@code scheme://host:port}
     * @param tls    whether the connection will speak TLS
     * @return the event, timing from now, or null
     */
    public static ConnectEvent startIfEnabled(String origin, boolean tls) {
        if (!PROBE.isEnabled()) return null;
        ConnectEvent e = new ConnectEvent();
        e.origin = origin;
        e.tls = tls;
        e.begin();
        return e;
    }

    /**
     * The connection is open: records the event.
     *
     * @param remoteAddress the socket's remote address
     * @param proxyAddress  the proxy's {@code host:port}, or null
     * @param protocol      the negotiated TLS protocol, or null for plain TCP
     */
    public void connected(Object remoteAddress, String proxyAddress, String protocol) {
        address = remoteAddress == null ? null : remoteAddress.toString();
        proxy = proxyAddress;
        tlsProtocol = protocol;
        commit();
    }

    /**
     * Opening failed: records the event with the reason.
     *
     * @param cause what went wrong
     */
    public void failed(Throwable cause) {
        failure = ExchangeEvent.describe(cause);
        commit();
    }
}
