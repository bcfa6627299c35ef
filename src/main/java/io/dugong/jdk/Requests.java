package io.dugong.jdk;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Locale;

/** The checks the JDK client makes on a request before sending it, with its exceptions and messages. */
final class Requests {
    private Requests() {
    }

    /**
     * Checks {@code request}: an {@code http} or {@code https} URI with a host, and no restricted
     * header (the JDK checks again in {@code send}, for requests its builder did not make).
     *
     * @throws IllegalArgumentException as the JDK client
     */
    static void check(HttpRequest request) {
        URI uri = request.uri();
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("invalid URI scheme " + uri.getScheme());
        }
        if (uri.getHost() == null) throw new IllegalArgumentException("unsupported URI " + uri);
        HeaderMapping.checkUserHeaders(request.headers());
    }
}
