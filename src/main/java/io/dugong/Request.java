package io.dugong;

import io.dugong.internal.RequestChecks;

import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Objects;

/**
 * An immutable HTTP request: method, target, headers, body, and whether to ask for
 * {@code 100-continue} before sending the body.
 *
 * <pre>{@code
 * Request get = Request.get("/index.html");
 * Request put = Request.put("/upload", bytes).withHeader("Content-Type", "application/json");
 * Request big = Request.builder("POST", "/stream").body(Body.chunked()).expect100().build();
 * }</pre>
 *
 * On an {@link HttpConnection} the target is sent in origin-form ({@code /path?query}); an absolute URI
 * is reduced to its path and query (or kept whole when the connection talks to a proxy).
 *
 * <p>Every request is checked when it is built, so nothing invalid can reach a socket: the method must
 * be a token, the target visible ASCII, header names tokens and values free of control characters other
 * than tab; {@code Content-Length} and {@code Transfer-Encoding} are the connection's to send (the body
 * decides them), and there may be one {@code Host} at most, holding a host and port only. A violation is
 * an {@link IllegalArgumentException} naming the part and the character.
 *
 * @param method the request method, e.g. {@code GET}
 * @param uri the target: origin-form for a connection, absolute for the client
 * @param headers the request headers; {@code Host} and the framing headers are added by the connection
 * @param body the body, which decides the framing
 * @param expect100 whether to send {@code Expect: 100-continue} and wait for the go-ahead
 */
public record Request(String method, URI uri, Headers headers, Body body, boolean expect100) {

    /**
     * Validates every part; see the class description.
     *
     * @throws IllegalArgumentException if a part is invalid
     */
    public Request {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        RequestChecks.check(method, uri, headers);
    }

    /**
     * A GET of {@code target}.
     *
     * @param target origin-form such as {@code /a?b=c}, or an absolute URI
     * @return a GET of {@code target}
     */
    public static Request get(String target) {
        return builder("GET", target).build();
    }

    /**
     * A GET of {@code uri}.
     *
     * @param uri the target, absolute for {@link DugongClient}
     * @return a GET of {@code uri}
     */
    public static Request get(URI uri) {
        return builder("GET", uri).build();
    }

    /**
     * A HEAD of {@code target}.
     *
     * @param target origin-form such as {@code /a?b=c}, or an absolute URI
     * @return a HEAD of {@code target}
     */
    public static Request head(String target) {
        return builder("HEAD", target).build();
    }

    /**
     * A HEAD of {@code uri}.
     *
     * @param uri the target, absolute for {@link DugongClient}
     * @return a HEAD of {@code uri}
     */
    public static Request head(URI uri) {
        return builder("HEAD", uri).build();
    }

    /**
     * A DELETE of {@code target}.
     *
     * @param target origin-form such as {@code /a?b=c}, or an absolute URI
     * @return a DELETE of {@code target}
     */
    public static Request delete(String target) {
        return builder("DELETE", target).build();
    }

    /**
     * A DELETE of {@code uri}.
     *
     * @param uri the target, absolute for {@link DugongClient}
     * @return a DELETE of {@code uri}
     */
    public static Request delete(URI uri) {
        return builder("DELETE", uri).build();
    }

    /**
     * A POST of {@code content} to {@code target}.
     *
     * @param target origin-form such as {@code /a?b=c}, or an absolute URI
     * @param content the body bytes
     * @return a POST of {@code content} to {@code target}
     */
    public static Request post(String target, byte[] content) {
        return builder("POST", target).body(content).build();
    }

    /**
     * A POST of {@code content} to {@code uri}.
     *
     * @param uri the target, absolute for {@link DugongClient}
     * @param content the body bytes
     * @return a POST of {@code content} to {@code uri}
     */
    public static Request post(URI uri, byte[] content) {
        return builder("POST", uri).body(content).build();
    }

    /**
     * A PUT of {@code content} to {@code target}.
     *
     * @param target origin-form such as {@code /a?b=c}, or an absolute URI
     * @param content the body bytes
     * @return a PUT of {@code content} to {@code target}
     */
    public static Request put(String target, byte[] content) {
        return builder("PUT", target).body(content).build();
    }

    /**
     * A PUT of {@code content} to {@code uri}.
     *
     * @param uri the target, absolute for {@link DugongClient}
     * @param content the body bytes
     * @return a PUT of {@code content} to {@code uri}
     */
    public static Request put(URI uri, byte[] content) {
        return builder("PUT", uri).body(content).build();
    }

    /**
     * A builder for any request.
     *
     * @param method a token such as {@code GET} or {@code PROPFIND}
     * @param target origin-form such as {@code /a?b=c}, or an absolute URI
     * @return a builder for any request
     * @throws IllegalArgumentException if {@code target} is not a valid URI reference
     */
    public static Builder builder(String method, String target) {
        return new Builder(method, toUri(target));
    }

    /**
     * A builder for any request to {@code uri}.
     *
     * @param method a token such as {@code GET} or {@code PROPFIND}
     * @param uri the target, absolute for {@link DugongClient}
     * @return a builder for any request to {@code uri}
     */
    public static Builder builder(String method, URI uri) {
        return new Builder(method, uri);
    }

    /**
     * A copy with one more header field.
     *
     * @param name the field name, a token
     * @param value the field value, without CR, LF or NUL
     * @return a copy with one more header field
     */
    public Request withHeader(String name, String value) {
        return new Request(method, uri, headers.toBuilder().add(name, value).build(), body, expect100);
    }

    /**
     * A copy with another body.
     *
     * @param newBody the body, which decides the framing
     * @return a copy with another body
     */
    public Request withBody(Body newBody) {
        return new Request(method, uri, headers, newBody, expect100);
    }

    /**
     * A copy that asks for {@code 100-continue} before its body is sent.
     *
     * @return a copy that asks for {@code 100-continue} before its body is sent
     */
    public Request withExpect100() {
        return new Request(method, uri, headers, body, true);
    }

    /**
     * A copy with a {@code Content-MD5} header (RFC 1864) computed from a {@link Body#of(byte[])} body.
     *
     * @return a copy with a {@code Content-MD5} header (RFC 1864) computed from a {@link Body#of(byte[])} body
     * @throws IllegalStateException if the body is not held in memory
     */
    public Request withContentMd5() {
        if (!(body instanceof Body.Bytes bytes)) {
            throw new IllegalStateException("Content-MD5 can only be computed for a Body.of(byte[]) body, not " + body);
        }
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest(bytes.content());
            return new Request(method, uri,
                    headers.toBuilder().set("Content-MD5", Base64.getEncoder().encodeToString(digest)).build(),
                    body, expect100);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no MD5", e);
        }
    }

    /**
     * The request line target for a direct connection: path and query, {@code /} if empty.
     *
     * @return the request line target for a direct connection: path and query, {@code /} if empty
     */
    public String originForm() {
        if (!uri.isAbsolute() && uri.getRawAuthority() == null) {
            String s = uri.toString();
            int hash = s.indexOf('#');
            s = hash >= 0 ? s.substring(0, hash) : s;
            return s.isEmpty() ? "/" : s;
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }

    @Override
    public String toString() {
        return method + " " + uri;
    }

    private static URI toUri(String target) {
        Objects.requireNonNull(target, "target");
        RequestChecks.target(target);
        return URI.create(target);
    }

    /** Builds a {@link Request}. */
    public static final class Builder {
        private final String method;
        private final URI uri;
        private final Headers.Builder headers = Headers.builder();
        private Body body = Body.empty();
        private boolean expect100;

        private Builder(String method, URI uri) {
            this.method = RequestChecks.method(method);
            this.uri = Objects.requireNonNull(uri, "uri");
        }

        /**
         * Adds a header field (validated now).
         *
         * @param name the field name, a token
         * @param value the field value, without CR, LF or NUL
         * @return this builder
         */
        public Builder header(String name, String value) {
            headers.add(name, value);
            return this;
        }

        /**
         * Adds every field of {@code more}.
         *
         * @param more the fields to add, in order
         * @return this builder
         */
        public Builder headers(Headers more) {
            headers.addAll(more);
            return this;
        }

        /**
         * Sets the body.
         *
         * @param newBody the body, which decides the framing
         * @return this builder
         */
        public Builder body(Body newBody) {
            this.body = Objects.requireNonNull(newBody, "body");
            return this;
        }

        /**
         * Sets an in-memory body.
         *
         * @param content the body bytes
         * @return this builder
         */
        public Builder body(byte[] content) {
            return body(Body.of(content));
        }

        /**
         * Asks for {@code 100-continue} before the body is sent.
         *
         * @return this builder
         */
        public Builder expect100() {
            this.expect100 = true;
            return this;
        }

        /**
         * The request.
         *
         * @return the request
         */
        public Request build() {
            return new Request(method, uri, headers.build(), body, expect100);
        }
    }
}
