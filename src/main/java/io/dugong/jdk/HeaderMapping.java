package io.dugong.jdk;

import io.dugong.Headers;
import java.net.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Headers between the two APIs, and the JDK's rules for the headers an application may set.
 */
final class HeaderMapping {
    /** The JDK client's restricted headers: it writes them itself (RFC framing, connection management). */
    private static final Set<String> RESTRICTED = restricted();

    private HeaderMapping() {
    }

    /**
     * Dugong's headers as the JDK's: names in lower case (the JDK's HTTP/1.1 parser lower-cases them,
     * so that is what {@code map().keySet()} shows), compared ignoring case, values in order.
     */
    static HttpHeaders toJdk(Headers headers) {
        Map<String, List<String>> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < headers.size(); i++) {
            map.computeIfAbsent(headers.name(i).toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(headers.value(i));
        }
        return HttpHeaders.of(map, (name, value) -> true);
    }

    /** Adds every field of {@code headers} to {@code out}. */
    static void addAll(HttpHeaders headers, Headers.Builder out) {
        headers.map().forEach((name, values) -> values.forEach(v -> out.add(name, v)));
    }

    /**
     * Checks the headers of a request the JDK's own builder did not make (an application's
     * {@code HttpRequest} subclass), with the JDK's exception and message.
     *
     * @throws IllegalArgumentException {@code restricted header name: "Host"} and the like
     */
    static void checkUserHeaders(HttpHeaders headers) {
        for (String name : headers.map().keySet()) {
            if (RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("restricted header name: \"" + name + "\"");
            }
        }
    }

    /** The restricted set less what {@code jdk.httpclient.allowRestrictedHeaders} allows, as in the JDK. */
    private static Set<String> restricted() {
        Set<String> names = new java.util.HashSet<>(Set.of("connection", "content-length", "expect", "host", "upgrade"));
        String allowed = System.getProperty("jdk.httpclient.allowRestrictedHeaders");
        if (allowed != null) {
            for (String token : allowed.split(",")) names.remove(token.trim().toLowerCase(Locale.ROOT));
        }
        return Set.copyOf(names);
    }
}
