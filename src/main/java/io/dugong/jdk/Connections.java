package io.dugong.jdk;

import io.dugong.DugongClient;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;

/**
 * The {@link DugongClient}s behind one adapter: one for direct connections and one per HTTP proxy the
 * {@code ProxySelector} chooses (a dugong client has one proxy for all origins), each with per-origin
 * pools of pipelined connections.
 */
final class Connections {
    private final Settings settings;
    private final SSLContext userContext;
    private final TlsContext tls;
    private final Map<Optional<InetSocketAddress>, DugongClient> clients = new ConcurrentHashMap<>();

    Connections(Settings settings) {
        this.settings = settings;
        this.userContext = settings.sslContext() != null ? settings.sslContext() : defaultContext();
        this.tls = TlsContext.wrap(userContext, settings.sslParameters());
    }

    /** The context https connections use: the builder's, or the JDK's default. */
    SSLContext sslContext() {
        return userContext;
    }

    /**
     * The HTTP proxy for {@code uri}, or null to go direct: the selector's first choice if it is an
     * HTTP proxy, as in the JDK (a SOCKS or DIRECT first choice means direct). As in the JDK's client
     * (unlike {@code HttpURLConnection}), a proxy that cannot be reached is not reported to
     * {@code ProxySelector.connectFailed} and the other choices are not tried: the connect failure
     * reaches the application.
     */
    InetSocketAddress proxyFor(URI uri) {
        if (settings.proxySelector() == null) return null;
        List<Proxy> choices = settings.proxySelector().select(uri);
        if (choices == null || choices.isEmpty()) return null;
        Proxy first = choices.getFirst();
        return first.type() == Proxy.Type.HTTP && first.address() instanceof InetSocketAddress a ? a : null;
    }

    /** The client that connects through {@code proxy} (null: directly). */
    DugongClient via(InetSocketAddress proxy) {
        return clients.computeIfAbsent(Optional.ofNullable(proxy), p -> {
            DugongClient.Builder b = DugongClient.builder()
                    .maxConnectionsPerOrigin(settings.maxConnectionsPerOrigin())
                    .pipelineDepth(settings.pipelineDepth())
                    .connectTimeout(settings.connectTimeout()) // null: none, like the JDK's default
                    // Like the JDK's client: no inactivity or head limit of its own; HttpRequest.timeout bounds a request.
                    .timeout(null)
                    .headTimeout(null)
                    .tls(tls);
            p.ifPresent(b::proxy);
            if (settings.localAddress() != null) b.localAddress(settings.localAddress());
            return b.build();
        });
    }

    /** The TLS session of the newest connection to {@code uri}'s origin, or null for plain HTTP. */
    SSLSession session(URI uri) {
        if (!"https".equalsIgnoreCase(uri.getScheme())) return null;
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1); // as dugong connects
        return tls.session(host, uri.getPort() >= 0 ? uri.getPort() : 443);
    }

    /** Closes every connection. */
    void close() {
        clients.values().forEach(DugongClient::close);
        clients.clear();
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no default SSLContext", e);
        }
    }
}
