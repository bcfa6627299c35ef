package io.dugong;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Transparent decompression for {@link DugongClient.Builder#decompress(boolean)}: which responses are
 * decoded, what their heads look like afterwards, and the decoding stream itself.
 */
final class ContentDecoding {
    /** What the client asks for when it adds {@code Accept-Encoding} itself. */
    static final String ACCEPT_ENCODING = "gzip, deflate";

    private ContentDecoding() {
    }

    /**
     * The coding to undo for this response: {@code "gzip"} or {@code "deflate"}, or null to leave the
     * body as it is — no body (HEAD, 1xx, 204, 304), no {@code Content-Encoding}, or a coding (or a
     * list of codings) other than exactly one of gzip, x-gzip and deflate.
     */
    static String codingToUndo(String method, int status, Headers headers) {
        if (method.equals("HEAD") || status < 200 || status == 204 || status == 304) return null;
        java.util.List<String> values = headers.all("Content-Encoding");
        if (values.size() != 1) return null;
        String coding = values.getFirst().trim().toLowerCase(Locale.ROOT);
        return switch (coding) {
            case "gzip", "x-gzip" -> "gzip";
            case "deflate" -> "deflate";
            default -> null;
        };
    }

    /** The headers of a decoded response: without Content-Encoding and Content-Length. */
    static Headers decodedHeaders(Headers headers) {
        return headers.toBuilder().remove("Content-Encoding").remove("Content-Length").build();
    }

    /** The head a body reader sees for a decoded body: adjusted headers and an unknown length. */
    static ResponseHead decodedHead(ResponseHead head) {
        return new ResponseHead(head.method(), head.target(), head.status(), head.reason(),
                decodedHeaders(head.headers()), OptionalLong.empty());
    }

    /**
     * The decoded bytes of {@code encoded}. The decoder is made on the first read, so a body that
     * turns out empty reads as empty instead of failing on a missing gzip header.
     */
    static Decoder decoder(InputStream encoded, String coding) {
        return new Decoder(encoded, coding.equals("gzip"));
    }

    /** A lazily started gzip or deflate decoder; {@link #end()} frees the native inflater. */
    static final class Decoder extends InputStream {
        private final PushbackInputStream encoded;
        private final boolean gzip;
        private InflaterInputStream decoder;
        private Inflater inflater;
        private boolean empty;

        private Decoder(InputStream encoded, boolean gzip) {
            this.encoded = new PushbackInputStream(encoded, 2);
            this.gzip = gzip;
        }

        /** Starts the decoder; false if the encoded body is empty. */
        private boolean started() throws IOException {
            if (decoder != null) return true;
            if (empty) return false;
            byte[] first = encoded.readNBytes(2);
            if (first.length == 0) {
                empty = true;
                return false;
            }
            encoded.unread(first);
            if (gzip) {
                GZIPInputStream g = new GZIPInputStream(encoded) {
                    {
                        inflater = inf;
                    }
                };
                decoder = g;
            } else {
                // RFC 9110 says zlib (RFC 1950); some servers send raw deflate (RFC 1951). A zlib header
                // has compression method 8 and its first two bytes, big-endian, are a multiple of 31.
                boolean zlib = first.length == 2 && (first[0] & 0x0F) == 8
                        && (((first[0] & 0xFF) << 8) | (first[1] & 0xFF)) % 31 == 0;
                inflater = new Inflater(!zlib);
                decoder = new InflaterInputStream(encoded, inflater);
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            return started() ? decoder.read() : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) return 0;
            return started() ? decoder.read(b, off, len) : -1;
        }

        @Override
        public int available() throws IOException {
            return decoder == null ? 0 : decoder.available();
        }

        /** Frees the inflater; the encoded stream is left to its owner. */
        void end() {
            if (inflater != null) inflater.end();
        }

        @Override
        public void close() throws IOException {
            end();
            encoded.close();
        }
    }
}
