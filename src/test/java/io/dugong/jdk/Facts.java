package io.dugong.jdk;

import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What an application can observe of an exchange, as lines compared between the two clients:
 * status, the headers it sees (names lower-cased, as HTTP/1.1 makes them case-insensitive), the
 * body, the redirect chain, the exception type.
 */
public final class Facts {
    private final List<String> lines = new ArrayList<>();

    /** Adds one observation. */
    public Facts add(String line) {
        lines.add(line);
        return this;
    }

    /** Status, uri path, version, headers, previous responses and body of {@code r}. */
    public Facts response(HttpResponse<?> r) {
        add("status=" + r.statusCode());
        add("path=" + r.uri().getRawPath());
        add("version=" + r.version());
        add("headers=" + headers(r.headers()));
        List<String> chain = new ArrayList<>();
        for (HttpResponse<?> p = r.previousResponse().orElse(null); p != null; p = p.previousResponse().orElse(null)) {
            chain.add(p.statusCode() + " " + p.request().method() + " " + p.uri().getRawPath() + " body=" + p.body());
        }
        add("previous=" + chain);
        add("request=" + r.request().method() + " " + r.request().uri().getRawPath());
        add("body=" + body(r.body()));
        return this;
    }

    /** The failure, as the application catches it: its type (and message where the JDK's is fixed). */
    public Facts failure(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) t = t.getCause();
        add("failed: " + t.getClass().getName());
        return this;
    }

    /** The lines. */
    public List<String> lines() {
        return lines;
    }

    /** Headers that differ from one response to the next whichever client asks (nginx's clock and connection ids). */
    private static final java.util.Set<String> VARYING = java.util.Set.of("date", "x-connection", "x-connection-requests");

    static String headers(HttpHeaders h) {
        Map<String, List<String>> sorted = new TreeMap<>();
        h.map().forEach((k, v) -> {
            if (!VARYING.contains(k.toLowerCase(Locale.ROOT))) sorted.put(k.toLowerCase(Locale.ROOT), v);
        });
        return sorted.toString();
    }

    /** A body as compared: bytes by length and digest, long strings likewise. */
    public static String body(Object body) {
        if (body instanceof byte[] b) return b.length + " bytes, sha-256 " + sha(b);
        if (body instanceof String s && s.length() > 200) return s.length() + " chars, sha-256 " + sha(s.getBytes(StandardCharsets.UTF_8));
        return String.valueOf(body);
    }

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return String.join("\n", lines);
    }
}
