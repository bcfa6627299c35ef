package io.dugong.testing;

import java.nio.charset.StandardCharsets;

/**
 * Builders for raw HTTP/1.1 wire text, for scripts that write responses byte by byte with
 * {@link ServerConnection#send(String)}. All text is ISO-8859-1: one char is one byte on the wire,
 * so lengths computed here match what is sent.
 */
public final class Http {

    private Http() {
    }

    /**
     * A complete response: status line, a {@code Content-Length} header and the body.
     *
     * @param status the status code, e.g. 200
     * @param body   the body, ISO-8859-1 (chars above U+00FF are rejected)
     * @return {@code HTTP/1.1 <status> <reason>\r\nContent-Length: <n>\r\n\r\n<body>}
     * @throws IllegalArgumentException if {@code body} is not ISO-8859-1
     */
    public static String response(int status, String body) {
        requireLatin1(body);
        return "HTTP/1.1 " + status + " " + reason(status) + "\r\n"
                + "Content-Length: " + body.length() + "\r\n"
                + "\r\n"
                + body;
    }

    /**
     * A chunked body: each chunk as {@code <hex size>\r\n<data>\r\n}, then the last chunk
     * {@code 0\r\n\r\n} (no trailers). Pair it with a {@code Transfer-Encoding: chunked} head.
     *
     * @param chunks the chunk payloads, each non-empty (an empty chunk would end the body early)
     * @return the encoded body
     * @throws IllegalArgumentException if a chunk is empty or not ISO-8859-1
     */
    public static String chunked(String... chunks) {
        StringBuilder sb = new StringBuilder();
        for (String chunk : chunks) {
            requireLatin1(chunk);
            if (chunk.isEmpty()) {
                throw new IllegalArgumentException("empty chunk would be read as the last chunk");
            }
            sb.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        return sb.append("0\r\n\r\n").toString();
    }

    /**
     * The standard reason phrase for a status code, or {@code "Status"} for codes without one here.
     * The phrase is cosmetic: clients must not depend on it.
     *
     * @param status the status code
     * @return the reason phrase
     */
    public static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 101 -> "Switching Protocols";
            case 103 -> "Early Hints";
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 206 -> "Partial Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 303 -> "See Other";
            case 304 -> "Not Modified";
            case 307 -> "Temporary Redirect";
            case 308 -> "Permanent Redirect";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 417 -> "Expectation Failed";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Status";
        };
    }

    /**
     * Encodes wire text as ISO-8859-1, refusing chars that would silently become {@code '?'}.
     *
     * @param text the text
     * @return its bytes, one per char
     * @throws IllegalArgumentException if a char is above U+00FF
     */
    static byte[] latin1(String text) {
        requireLatin1(text);
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void requireLatin1(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0xFF) {
                throw new IllegalArgumentException(
                        "not ISO-8859-1 at index " + i + " (send bytes instead): " + text);
            }
        }
    }
}
