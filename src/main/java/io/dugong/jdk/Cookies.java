package io.dugong.jdk;

import io.dugong.Headers;
import java.io.IOException;
import java.net.CookieHandler;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.util.List;
import java.util.Map;

/**
 * The JDK client's use of a {@link CookieHandler}: before each request (every hop of a redirect
 * chain), the handler's {@code Cookie} and {@code Cookie2} values are added to the user's headers;
 * after each response, its headers are given to the handler.
 */
final class Cookies {
    private Cookies() {
    }

    /** Adds the cookies {@code handler} has for {@code uri}. */
    static void addTo(CookieHandler handler, URI uri, HttpHeaders userHeaders, Headers.Builder out) throws IOException {
        Map<String, List<String>> cookies = handler.get(uri, userHeaders.map());
        if (cookies == null) return;
        cookies.forEach((name, values) -> {
            if (values == null || !(name.equalsIgnoreCase("Cookie") || name.equalsIgnoreCase("Cookie2"))) return;
            for (String v : values) {
                if (v != null && v.chars().noneMatch(c -> c == '\r' || c == '\n' || c == 0)) out.add(name, v);
            }
        });
    }

    /** Gives a response's headers to {@code handler}. */
    static void store(CookieHandler handler, URI uri, HttpHeaders responseHeaders) throws IOException {
        handler.put(uri, responseHeaders.map());
    }
}
