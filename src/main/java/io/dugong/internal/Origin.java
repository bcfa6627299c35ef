package io.dugong.internal;

import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import javax.net.ssl.SSLContext;

/**
 * The scheme, host and port of an {@code http} or {@code https} URI: the one place that parses an
 * origin and fills in the default port.
 *
 * @param scheme {@code http} or {@code https}, lower case
 * @param host   the host as the URI gives it (an IPv6 literal keeps its brackets)
 * @param port   the explicit port, or 80 / 443
 */
public record Origin(String scheme, String host, int port) {
    /**
     * The origin of {@code uri}.
     *
     * @throws IllegalArgumentException if the scheme is not http or https, or the host is missing
     */
    public static Origin of(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("an absolute http or https URI is needed, not " + uri);
        }
        if (uri.getHost() == null) throw new IllegalArgumentException("no host in " + uri);
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return new Origin(scheme, uri.getHost(), port);
    }

    /** True for https. */
    public boolean tls() {
        return scheme.equals("https");
    }

    /** {@code scheme://host:port} with the host in lower case: equal for URIs of the same origin. */
    public String key() {
        return scheme + "://" + host.toLowerCase(Locale.ROOT) + ":" + port;
    }

    /** The JDK's default TLS context (default trust store): the one used when none is configured. */
    public static SSLContext defaultTlsContext() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no default SSLContext", e);
        }
    }
}
