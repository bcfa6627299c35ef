package io.dugong.internal;

import java.io.IOException;

/**
 * Serialises a request head (RFC 9112 §3, §5) into a {@link SocketOutput}, and frames chunked body
 * data (§7.1). Values have been validated when the request was built, so this only writes.
 */
public final class RequestWriter {
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};

    private RequestWriter() {
    }

    /**
     * Writes a request line and header block.
     *
     * @param target        the request target as it goes on the wire
     * @param host          the Host value, or null if the request carries its own
     * @param headers       the caller's header fields
     * @param contentLength the Content-Length to announce, or -1 for none
     * @param chunked       whether to send {@code Transfer-Encoding: chunked}
     * @param expect100     whether to send {@code Expect: 100-continue}
     */
    public static void writeHead(SocketOutput out, String method, String target, String host,
                                 io.dugong.Headers headers, long contentLength, boolean chunked, boolean expect100) {
        out.writeLatin1(method);
        out.writeLatin1(" ");
        out.writeLatin1(target);
        out.writeLatin1(" HTTP/1.1\r\n");
        if (host != null) field(out, "Host", host);
        for (int i = 0, n = headers.size(); i < n; i++) {
            String name = headers.name(i);
            if (expect100 && name.equalsIgnoreCase("Expect")) continue;
            field(out, name, headers.value(i));
        }
        if (contentLength >= 0) {
            out.writeLatin1("Content-Length: ");
            out.writeDecimal(contentLength);
            out.crlf();
        }
        if (chunked) out.writeLatin1("Transfer-Encoding: chunked\r\n");
        if (expect100) out.writeLatin1("Expect: 100-continue\r\n");
        out.crlf();
    }

    private static void field(SocketOutput out, String name, String value) {
        out.writeLatin1(name);
        out.writeLatin1(": ");
        out.writeLatin1(value);
        out.crlf();
    }

    /** Writes one chunk: size line, data, CRLF. An empty array would end the body, so it writes nothing. */
    public static void writeChunk(SocketOutput out, byte[] b, int off, int len) throws IOException {
        if (len == 0) return;
        out.writeHex(len);
        out.crlf();
        out.write(b, off, len);
        out.crlf();
    }

    /** Writes the last chunk with no trailers. */
    public static void writeLastChunk(SocketOutput out) throws IOException {
        out.write(LAST_CHUNK, 0, LAST_CHUNK.length);
    }
}
