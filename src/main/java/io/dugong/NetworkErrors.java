package io.dugong;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * Classifies failures as temporary (worth retrying later) or permanent, like Python dugong's
 * {@code is_temp_network_error}.
 */
public final class NetworkErrors {
    private NetworkErrors() {
    }

    /**
     * True if {@code error}, or an exception in its cause chain, is a network condition that may pass:
     * a timeout, a closed or reset connection, a refused or unreachable connect, DNS being unavailable,
     * or a proxy answering 502, 503 or 504 to a tunnel. An unknown host name, a TLS certificate or
     * protocol error, an invalid response or a state error is not temporary.
     *
     * @param error any throwable, or null (false)
     * @return true if {@code error}, or an exception in its cause chain, is a network condition that may pass: a timeout, a closed or reset connection, a refused or unreachable connect, DNS being unavailable, or a proxy answering 502, 503 or 504 to a tunnel
     */
    public static boolean isTemporary(Throwable error) {
        // Identity set: a cause chain can be a cycle (a.initCause(b); b.initCause(a)).
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable t = error; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof HostnameNotResolvableException || t instanceof InvalidResponseException
                    || t instanceof StateException || t instanceof javax.net.ssl.SSLHandshakeException) {
                return false;
            }
            if (t instanceof ProxyTunnelException p) {
                return p.status() == 502 || p.status() == 503 || p.status() == 504;
            }
            if (t instanceof ConnectionTimedOutException || t instanceof ConnectionClosedException
                    || t instanceof DnsUnavailableException || t instanceof SocketTimeoutException
                    || t instanceof ConnectException
                    || t instanceof NoRouteToHostException || t instanceof PortUnreachableException) {
                return true;
            }
            if (t instanceof SocketException s && s.getMessage() != null) {
                String m = s.getMessage().toLowerCase(java.util.Locale.ROOT);
                if (m.contains("reset") || m.contains("broken pipe") || m.contains("unreachable")) return true;
            }
        }
        return false;
    }
}
