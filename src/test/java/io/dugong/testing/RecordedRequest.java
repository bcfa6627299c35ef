package io.dugong.testing;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One request as a {@link ServerConnection} read it off the wire.
 *
 * @param method   the method token, e.g. {@code GET}
 * @param target   the request target exactly as sent, e.g. {@code /a?b=c}
 * @param version  the protocol version; always {@code HTTP/1.1} (anything else fails parsing)
 * @param headers  the header fields in wire order, names as sent, values with surrounding
 *                 whitespace removed; duplicates kept
 * @param body     the decoded body (chunked framing removed); empty if there was none, and
 *                 always empty for a head returned by {@link ServerConnection#readRequestHead()}
 * @param headText the exact raw head as received, ISO-8859-1, from the first byte of the request
 *                 line through the blank line that ends the head (so it ends in
 *                 {@code "\r\n\r\n"}); use it for byte-exact assertions of what a client sent
 */
public record RecordedRequest(
        String method,
        String target,
        String version,
        List<Map.Entry<String, String>> headers,
        byte[] body,
        String headText) {

    /** Copies the header list so a recorded request cannot change after the fact. */
    public RecordedRequest {
        headers = List.copyOf(headers);
    }

    /**
     * The first value of a header, matching its name case-insensitively.
     *
     * @param name the header name
     * @return the first value, or empty if absent
     */
    public Optional<String> header(String name) {
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return Optional.of(h.getValue());
            }
        }
        return Optional.empty();
    }

    /**
     * Every value of a header in wire order, matching its name case-insensitively.
     * Values are not split on commas.
     *
     * @param name the header name
     * @return the values, possibly empty
     */
    public List<String> headers(String name) {
        return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
    }

    /**
     * Whether the last {@code Transfer-Encoding} coding is {@code chunked}.
     *
     * @return true if the body is chunked
     */
    public boolean isChunked() {
        List<String> te = headers("Transfer-Encoding");
        if (te.isEmpty()) {
            return false;
        }
        String[] codings = te.get(te.size() - 1).split(",");
        return codings[codings.length - 1].strip().toLowerCase(Locale.ROOT).equals("chunked");
    }

    /**
     * The {@code Content-Length} value as sent (not validated here; reading the body validates it).
     *
     * @return the length, or empty if the header is absent or not a plain decimal number
     */
    public OptionalLong contentLength() {
        Optional<String> cl = header("Content-Length");
        if (cl.isEmpty() || !cl.get().matches("[0-9]{1,18}")) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(cl.get()));
    }

    /**
     * The body decoded as ISO-8859-1 (one char per byte, never lossy).
     *
     * @return the body text
     */
    public String bodyAsString() {
        return new String(body, StandardCharsets.ISO_8859_1);
    }

    /**
     * The body decoded with a given charset.
     *
     * @param charset the charset, e.g. UTF-8
     * @return the body text
     */
    public String bodyAsString(Charset charset) {
        return new String(body, charset);
    }

    /**
     * This request with a body, for scripts that read the head and body separately.
     *
     * @param newBody the body read by {@link ServerConnection#readBody(RecordedRequest)}
     * @return a copy carrying {@code newBody}
     */
    public RecordedRequest withBody(byte[] newBody) {
        return new RecordedRequest(method, target, version, headers, newBody, headText);
    }

    @Override
    public String toString() {
        return method + " " + target + " " + version + " " + headers + " body=" + body.length + " bytes";
    }
}
