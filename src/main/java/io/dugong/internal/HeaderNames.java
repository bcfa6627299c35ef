package io.dugong.internal;

import java.nio.charset.StandardCharsets;

/**
 * Shares one String per common header name, so parsing a typical response allocates no names. A name
 * is shared only when its bytes match exactly, which keeps the case as received.
 */
final class HeaderNames {
    private static final String[] COMMON = {
        "Accept-Ranges", "Age", "Cache-Control", "Connection", "Content-Encoding", "Content-Language",
        "Content-Length", "Content-Location", "Content-Range", "Content-Type", "Date", "ETag", "Expires",
        "Keep-Alive", "Last-Modified", "Location", "Retry-After", "Server", "Set-Cookie",
        "Strict-Transport-Security", "Trailer", "Transfer-Encoding", "Upgrade", "Vary", "Via",
        "WWW-Authenticate", "X-Content-Type-Options", "X-Frame-Options",
        "content-length", "content-type", "date", "server", "connection", "transfer-encoding",
    };
    /** COMMON bucketed by length, then by first byte, for a cheap exact match. */
    private static final byte[][][] BY_LENGTH = new byte[32][][];
    private static final String[][] NAMES_BY_LENGTH = new String[32][];

    static {
        for (int len = 0; len < BY_LENGTH.length; len++) {
            int n = 0;
            for (String c : COMMON) if (c.length() == len) n++;
            BY_LENGTH[len] = new byte[n][];
            NAMES_BY_LENGTH[len] = new String[n];
            int k = 0;
            for (String c : COMMON) {
                if (c.length() != len) continue;
                BY_LENGTH[len][k] = c.getBytes(StandardCharsets.ISO_8859_1);
                NAMES_BY_LENGTH[len][k++] = c;
            }
        }
    }

    private HeaderNames() {
    }

    /** The name in {@code b[from..to)}: a shared String for a common one, else a new one. */
    static String of(byte[] b, int from, int to) {
        int len = to - from;
        if (len < BY_LENGTH.length) {
            byte[][] candidates = BY_LENGTH[len];
            outer:
            for (int k = 0; k < candidates.length; k++) {
                byte[] c = candidates[k];
                for (int i = 0; i < len; i++) {
                    if (c[i] != b[from + i]) continue outer;
                }
                return NAMES_BY_LENGTH[len][k];
            }
        }
        return new String(b, from, len, StandardCharsets.ISO_8859_1);
    }
}
