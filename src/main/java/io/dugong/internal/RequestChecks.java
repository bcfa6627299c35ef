package io.dugong.internal;

import io.dugong.Headers;

import java.net.URI;

/**
 * Every check a request passes before any byte of it can be written, in one place (SECURITY.md lists
 * them). A request that fails one is an {@link IllegalArgumentException} naming the part and the
 * character, raised while the request is built, so nothing of it ever reaches a socket.
 *
 * <p>What they prevent: request splitting and header injection (CR, LF, NUL or other controls in the
 * method, target, a field name or value), and request smuggling through framing the server reads
 * differently from the connection (a caller's {@code Content-Length} or {@code Transfer-Encoding} next
 * to the ones the connection derives from the body, or two {@code Host} fields).
 *
 * <p>{@link #check} is the entry point for a whole request; the other methods check one part, for
 * builders that fail at the call that added it.
 */
public final class RequestChecks {
    /** Characters of a Host value besides ALPHA and DIGIT: uri-host and port (RFC 3986 §3.2.2). */
    private static final String HOST_PUNCTUATION = "-._~!$&'()*+,;=:[]%";

    private RequestChecks() {
    }

    /**
     * Checks a whole request.
     *
     * @param method  the request method
     * @param uri     the target (origin-form or absolute)
     * @param headers the caller's header fields
     * @throws IllegalArgumentException if any part is invalid; the message names it
     */
    public static void check(String method, URI uri, Headers headers) {
        method(method);
        if (uri == null) throw new IllegalArgumentException("request target is null");
        target(uri.toString());
        if (headers == null) throw new IllegalArgumentException("request headers are null");
        int hosts = 0;
        for (int i = 0, n = headers.size(); i < n; i++) {
            String name = fieldName(headers.name(i));
            String value = fieldValue(name, headers.value(i));
            if (name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")) {
                // The connection announces the body's framing itself; a second, caller-made announcement
                // could contradict it, and a server and a proxy could each believe a different one.
                throw new IllegalArgumentException("the request carries its own " + name
                        + " header; the connection derives framing from the Body");
            }
            if (name.equalsIgnoreCase("Host")) {
                if (++hosts > 1) {
                    throw new IllegalArgumentException("the request has more than one Host header (RFC 9112 §3.2)");
                }
                host(value);
            }
        }
    }

    /**
     * Checks a request method: a non-empty token (RFC 9110 §9.1).
     *
     * @return {@code method}
     */
    public static String method(String method) {
        return token(method, "request method");
    }

    /**
     * Checks a field name: a non-empty token (RFC 9110 §5.1).
     *
     * @return {@code name}
     */
    public static String fieldName(String name) {
        return token(name, "header name");
    }

    /**
     * Checks a field value: ISO-8859-1 without control characters other than HTAB, so no CR, LF or NUL
     * that could end the field early or truncate the header block (RFC 9110 §5.5).
     *
     * @return {@code value}
     */
    public static String fieldValue(String name, String value) {
        if (value == null) throw new IllegalArgumentException("header " + name + " has a null value");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                throw new IllegalArgumentException("header " + name + " has a value with " + HttpSyntax.describe(c)
                        + " at index " + i + " (only visible ISO-8859-1 characters, space and tab are allowed)");
            }
        }
        return value;
    }

    /**
     * Checks a request target: visible ASCII only (RFC 9112 §3.2), so no space, CR, LF or NUL.
     *
     * @return {@code target}
     */
    public static String target(String target) {
        if (target == null || target.isEmpty()) throw new IllegalArgumentException("request target is empty");
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new IllegalArgumentException("request target " + HttpSyntax.quote(target) + " has "
                        + HttpSyntax.describe(c) + " at index " + i + " (percent-encode it)");
            }
        }
        return target;
    }

    /** A caller's Host value must be an authority (host and port), possibly empty, and nothing more. */
    private static void host(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || HOST_PUNCTUATION.indexOf(c) >= 0;
            if (!ok) {
                throw new IllegalArgumentException("Host header " + HttpSyntax.quote(value) + " has "
                        + HttpSyntax.describe(c) + " at index " + i + " (a host and an optional port only)");
            }
        }
    }

    private static String token(String s, String what) {
        if (s == null || s.isEmpty()) throw new IllegalArgumentException(what + " is empty");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!HttpSyntax.isTokenChar(c)) {
                throw new IllegalArgumentException(what + " " + HttpSyntax.quote(s)
                        + " has a character not allowed in a token: " + HttpSyntax.describe(c) + " at index " + i);
            }
        }
        return s;
    }
}
