package io.dugong.internal;

import io.dugong.ConnectTimeoutException;
import io.dugong.ConnectionClosedException;
import io.dugong.DnsUnavailableException;
import io.dugong.Headers;
import io.dugong.HostnameNotResolvableException;
import io.dugong.InvalidResponseException;
import io.dugong.ProxyTunnelException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Opens the socket of a connection: name resolution, TCP connect, an optional proxy {@code CONNECT}
 * tunnel, and an optional TLS handshake — all within one connect timeout.
 *
 * <p>Name resolution cannot be timed out by the JDK, so it runs on a virtual thread that is waited
 * for with the remaining time. When a name does not resolve, the test host names are resolved too,
 * to tell a name that does not exist ({@link HostnameNotResolvableException}) from DNS being down
 * ({@link DnsUnavailableException}), as Python dugong does.
 *
 * @param host                the origin host
 * @param port                the origin port
 * @param tls                 the TLS context, or null for plain HTTP
 * @param tlsParameters       TLS parameters to apply, or null for the context's defaults
 * @param verifyHostname      whether to check the certificate names the host (endpoint identification "HTTPS")
 * @param proxy               the HTTP proxy, or null
 * @param proxyAuthorization  the Proxy-Authorization value for the tunnel, or null
 * @param connectTimeout      the limit for the whole opening, or null for none
 * @param dnsTestHosts        names that should resolve whenever DNS works
 * @param localAddress        the local address to bind before connecting, or null for the system's choice
 */
public record Connector(String host, int port, SSLContext tls, SSLParameters tlsParameters, boolean verifyHostname,
                        InetSocketAddress proxy, String proxyAuthorization, Duration connectTimeout,
                        List<String> dnsTestHosts, InetAddress localAddress) {

    /** A connector that lets the system choose the local address. */
    public Connector(String host, int port, SSLContext tls, SSLParameters tlsParameters, boolean verifyHostname,
                     InetSocketAddress proxy, String proxyAuthorization, Duration connectTimeout,
                     List<String> dnsTestHosts) {
        this(host, port, tls, tlsParameters, verifyHostname, proxy, proxyAuthorization, connectTimeout, dnsTestHosts, null);
    }

    private static final int TUNNEL_HEAD_LIMIT = 64 * 1024;

    /** {@code scheme://host:port} of the server (not the proxy), for events and logs. */
    public String origin() {
        return (tls != null ? "https://" : "http://") + authority();
    }

    /** True if requests go to an HTTP proxy as absolute-form targets (plain HTTP through a proxy). */
    public boolean absoluteFormTargets() {
        return proxy != null && tls == null;
    }

    /**
     * Opens a connected, handshaken socket.
     *
     * @throws ConnectTimeoutException if the connect timeout passed in any step
     * @throws HostnameNotResolvableException if the host name does not exist
     * @throws DnsUnavailableException if name resolution does not work at all
     * @throws ProxyTunnelException if the proxy refused the tunnel
     * @throws java.net.ConnectException if the connection was refused
     * @throws javax.net.ssl.SSLException if the TLS handshake failed (untrusted certificate, wrong name)
     */
    public Socket open() throws IOException {
        long deadline = connectTimeout == null ? 0 : System.nanoTime() + connectTimeout.toNanos();
        String dialHost = proxy != null ? proxy.getHostString() : host;
        int dialPort = proxy != null ? proxy.getPort() : port;
        InetAddress[] addresses = proxy != null && !proxy.isUnresolved()
                ? new InetAddress[] {proxy.getAddress()} : resolve(dialHost, deadline);
        Socket socket = connectAny(addresses, dialPort, deadline);
        try {
            if (proxy != null && tls != null) tunnel(socket, deadline);
            if (tls != null) socket = handshake(socket, deadline);
            socket.setSoTimeout(0);
            return socket;
        } catch (SocketTimeoutException e) {
            closeQuietly(socket);
            throw timedOut(proxy != null && tls != null ? "opening the proxy tunnel or the TLS handshake" : "the TLS handshake", e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    private InetAddress[] resolve(String name, long deadline) throws IOException {
        CompletableFuture<InetAddress[]> lookup = lookUp(name);
        try {
            return deadline == 0 ? lookup.get() : lookup.get(remainingNanos(deadline, "resolving " + name), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw timedOut("resolving " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionClosedException("interrupted while resolving " + name, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownHostException) throw classifyUnknownHost(name, deadline);
            throw new IOException("resolving " + name + " failed: " + e.getCause(), e.getCause());
        }
    }

    /** Resolves the test host names in parallel: if any resolves, DNS works and {@code name} does not exist. */
    private UnknownHostException classifyUnknownHost(String name, long deadline) {
        List<CompletableFuture<InetAddress[]>> probes = new ArrayList<>();
        for (String probe : dnsTestHosts) probes.add(lookUp(probe));
        if (probes.isEmpty()) return new HostnameNotResolvableException(name);
        CompletableFuture<Object> anyResolved = new CompletableFuture<>();
        for (CompletableFuture<InetAddress[]> p : probes) p.thenAccept(a -> anyResolved.complete(Boolean.TRUE));
        // Once all are done, decide from the probes themselves: a probe that resolved before these
        // callbacks were registered must not lose to "all done" (their order is not guaranteed).
        CompletableFuture.allOf(probes.toArray(new CompletableFuture<?>[0])).whenComplete((ok, err) ->
                anyResolved.complete(probes.stream().anyMatch(p -> !p.isCompletedExceptionally())));
        try {
            long wait = deadline == 0 ? TimeUnit.SECONDS.toNanos(10) : Math.max(1, deadline - System.nanoTime());
            return Boolean.TRUE.equals(anyResolved.get(wait, TimeUnit.NANOSECONDS))
                    ? new HostnameNotResolvableException(name) : new DnsUnavailableException(name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new DnsUnavailableException(name);
        } catch (ExecutionException | TimeoutException e) {
            return new DnsUnavailableException(name);
        }
    }

    private static CompletableFuture<InetAddress[]> lookUp(String name) {
        CompletableFuture<InetAddress[]> f = new CompletableFuture<>();
        Thread.ofVirtual().name("dugong-dns " + name).start(() -> {
            try {
                f.complete(InetAddress.getAllByName(name));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    private Socket connectAny(InetAddress[] addresses, int dialPort, long deadline) throws IOException {
        IOException last = null;
        for (InetAddress address : addresses) {
            Socket socket = tls != null ? new TlsTcpSocket() : new Socket();
            try {
                socket.setTcpNoDelay(true); // pipelined requests must not wait for ACKs of earlier ones
                if (localAddress != null) socket.bind(new InetSocketAddress(localAddress, 0));
                socket.connect(new InetSocketAddress(address, dialPort), millis(deadline, "connecting to " + address));
                return socket;
            } catch (SocketTimeoutException e) {
                closeQuietly(socket);
                throw timedOut("connecting to " + address.getHostAddress() + ":" + dialPort, e);
            } catch (IOException e) {
                closeQuietly(socket);
                if (last != null) e.addSuppressed(last);
                last = e;
            }
        }
        throw last != null ? last : new UnknownHostException("no address for " + host);
    }

    /** Asks the proxy for a tunnel to host:port (RFC 9110 §9.3.6). */
    private void tunnel(Socket socket, long deadline) throws IOException {
        String authority = authority();
        StringBuilder head = new StringBuilder()
                .append("CONNECT ").append(authority).append(" HTTP/1.1\r\n")
                .append("Host: ").append(authority).append("\r\n");
        if (proxyAuthorization != null) head.append("Proxy-Authorization: ").append(proxyAuthorization).append("\r\n");
        head.append("\r\n");
        socket.setSoTimeout(millis(deadline, "opening the proxy tunnel"));
        OutputStream out = socket.getOutputStream();
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        // Read byte by byte so that nothing after the proxy's head (the TLS handshake) is swallowed.
        InputStream in = socket.getInputStream();
        String statusLine = readTunnelLine(in);
        ResponseParser.Head status = ResponseParser.parseStatusLine(statusLine);
        int used = statusLine.length();
        Headers.Builder headers = Headers.builder(); // kept for the refusal: a Proxy-Authenticate, say
        for (String line; !(line = readTunnelLine(in)).isEmpty(); ) {
            used += line.length() + 2;
            if (used > TUNNEL_HEAD_LIMIT) throw new InvalidResponseException("the proxy's answer to CONNECT is too long");
            int colon = line.indexOf(':');
            if (colon > 0) {
                try {
                    headers.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                } catch (IllegalArgumentException malformed) {
                    // a field the proxy got wrong does not hide its status
                }
            }
        }
        if (status.status() < 200 || status.status() > 299) {
            throw new ProxyTunnelException(authority, status.status(), status.reason(), headers.build());
        }
    }

    private static String readTunnelLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) throw new ConnectionClosedException("the proxy closed the connection while answering CONNECT");
            if (line.size() >= TUNNEL_HEAD_LIMIT) throw new InvalidResponseException("the proxy's answer to CONNECT is too long");
            line.write(b);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private Socket handshake(Socket plain, long deadline) throws IOException {
        if (plain instanceof TlsTcpSocket t) t.finOnlyWithCloseNotify = true;
        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true);
        // Apply the caller's parameters, then adjust a copy: their object may be shared with other connections.
        if (tlsParameters != null) ssl.setSSLParameters(tlsParameters);
        SSLParameters params = ssl.getSSLParameters();
        if (verifyHostname) params.setEndpointIdentificationAlgorithm("HTTPS");
        if (!isIpLiteral(host)) params.setServerNames(List.of(new SNIHostName(host))); // SNI takes names only
        ssl.setSSLParameters(params);
        ssl.setSoTimeout(millis(deadline, "the TLS handshake"));
        try {
            ssl.startHandshake();
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (SocketException | SSLHandshakeException e) {
            // A reset or a FIN in the middle of the handshake is the connection failing, not TLS rejecting
            // the peer: the JDK reports the FIN as SSLHandshakeException("Remote host terminated the
            // handshake") caused by an EOFException, or (through TlsTcpSocket) as a SocketException.
            if (e instanceof SocketException || e.getCause() instanceof java.io.EOFException
                    || e.getCause() instanceof SocketException) {
                throw new ConnectionClosedException("the connection to " + authority()
                        + (proxy != null ? " through the proxy " + proxy : "")
                        + " was closed or reset during the TLS handshake: " + e.getMessage(), e);
            }
            throw e;
        }
        return ssl;
    }

    /**
     * The TCP socket under a TLS connection. The JDK treats a FIN without a preceding TLS close_notify
     * alert as a clean end of stream (unless the JVM-wide {@code com.sun.net.ssl.requireCloseNotify} is
     * set), which would silently truncate a response delimited by the connection closing. The JDK reads
     * TLS records with exact-length reads and stops at a close_notify, so it reads the FIN from this
     * socket only when none came first: this socket reports that as an error, which the JDK passes on
     * and {@link Transport} turns into a {@link ConnectionClosedException}.
     */
    private static final class TlsTcpSocket extends Socket {
        /** Set once the TLS layer starts reading; before it, the proxy tunnel sees EOF normally. */
        volatile boolean finOnlyWithCloseNotify;

        /** A fresh, stateless view each call: the wrapper holds no buffer, so views cannot disagree. */
        @Override
        public InputStream getInputStream() throws IOException {
            return new java.io.FilterInputStream(super.getInputStream()) {
                @Override
                public int read() throws IOException {
                    return eof(super.read());
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return eof(super.read(b, off, len));
                }
            };
        }

        private int eof(int n) throws SocketException {
            if (n < 0 && finOnlyWithCloseNotify) {
                throw new SocketException("the peer closed the TCP connection without a TLS close_notify alert,"
                        + " so the data may have been truncated");
            }
            return n;
        }
    }

    /** {@code host:port} with IPv6 literals bracketed. */
    public String authority() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static boolean isIpLiteral(String h) {
        return h.indexOf(':') >= 0 || h.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    private int millis(long deadline, String doing) throws ConnectTimeoutException {
        if (deadline == 0) return 0;
        long ms = TimeUnit.NANOSECONDS.toMillis(remainingNanos(deadline, doing));
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
    }

    private long remainingNanos(long deadline, String doing) throws ConnectTimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw timedOut(doing, null);
        return left;
    }

    private ConnectTimeoutException timedOut(String doing, Throwable cause) {
        return new ConnectTimeoutException("the connect timeout of " + connectTimeout + " to " + authority()
                + " passed while " + doing, cause);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // the socket never became a connection
        }
    }
}
