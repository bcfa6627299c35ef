package io.dugong.internal;

import io.dugong.InvalidResponseException;
import io.dugong.UnsupportedResponseException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a response head and decides how its body is framed, in the order of RFC 9112: status line
 * (§4), header fields (§5), then message body length (§6.3). Nothing here blocks except on
 * {@link SocketInput}, and nothing here knows about threads or requests in flight.
 */
public final class ResponseParser {
    /** Default limit of the status line, terminator included. */
    public static final int DEFAULT_STATUS_LINE_LIMIT = 64 * 1024;
    /** Default limit of the header block (or trailer block), terminators included. */
    public static final int DEFAULT_HEADER_BLOCK_LIMIT = 64 * 1024;
    /**
     * Default limit of the number of fields in a header block (or trailer block). The byte limit alone
     * would let 64 KiB of tiny fields ({@code a:\r\n}) cost some 16,000 entries per response; real
     * servers send a few dozen.
     */
    public static final int DEFAULT_MAX_HEADER_FIELDS = 256;

    /** Fields whose value decides framing or persistence: a fold there could hide a second value. */
    private static final List<String> FRAMING_FIELDS = List.of("Content-Length", "Transfer-Encoding", "Connection");

    private final int statusLineLimit;
    private final int headerBlockLimit;
    private final int maxHeaderFields;

    /** The largest header block whose lines are remembered for the next head. */
    private static final int MAX_REMEMBERED_BLOCK = 4 * 1024;

    // One parser serves one connection's reader half, one head at a time. Consecutive responses on a
    // connection mostly repeat their field lines byte for byte (Server, Content-Type, ETag, ...): the
    // lines and strings of the previous header block are kept by position, and a line equal to its
    // predecessor is neither parsed nor checked again, and costs no new strings. Strings are
    // immutable, so sharing them between heads is safe.
    /** Names and values of the previous header block, by position. */
    private String[] cached = new String[0];
    /** Field lines of the previous header block, back to back without terminators; valid up to {@link #cachedLines}. */
    private byte[] cachedBlock = new byte[0];
    /** Where each line of {@link #cachedBlock} ends. */
    private int[] cachedEnds = new int[0];
    private int cachedLines;
    /** Where the block being read is gathered, to become {@link #cachedBlock} (the two are swapped). */
    private byte[] nextBlock = new byte[0];
    private int[] nextEnds = new int[0];
    /** The reason phrase of the previous status line. */
    private String cachedReason = "";
    /** Where a header block is gathered before it is copied out at its exact size. */
    private String[] scratch;

    /**
     * @param statusLineLimit  the longest status line (and chunk-size line) accepted
     * @param headerBlockLimit the largest header block (and trailer block) accepted
     * @param maxHeaderFields  the most fields a header block (or trailer block) may have
     */
    public ResponseParser(int statusLineLimit, int headerBlockLimit, int maxHeaderFields) {
        this.statusLineLimit = statusLineLimit;
        this.headerBlockLimit = headerBlockLimit;
        this.maxHeaderFields = maxHeaderFields;
    }

    /** The status line limit, also used for chunk-size lines. */
    public int statusLineLimit() {
        return statusLineLimit;
    }

    /**
     * A parsed status line and header block.
     *
     * @param minorVersion the y of HTTP/1.y
     * @param status       the status code
     * @param reason       the reason phrase, possibly empty
     * @param fields       names and values, alternating
     */
    public record Head(int minorVersion, int status, String reason, String[] fields) {
    }

    /** How a response body is delimited (RFC 9112 §6.3). */
    public enum Kind {
        /** No body at all. */
        NONE,
        /** Exactly Content-Length bytes. */
        FIXED,
        /** Chunked transfer coding. */
        CHUNKED,
        /** Everything until the server closes the connection. */
        UNTIL_CLOSE
    }

    /**
     * The framing decision for one response.
     *
     * @param kind       how the body is delimited
     * @param length     the length for {@link Kind#FIXED}, 0 for {@link Kind#NONE}, -1 otherwise
     * @param closeAfter whether the connection cannot carry another response after this one
     * @param announced  whether the server said so itself ({@code Connection: close}, or HTTP/1.0
     *                   without keep-alive), which promises it processes no later request (RFC 9112 §9.6)
     */
    public record Framing(Kind kind, long length, boolean closeAfter, boolean announced) {
    }

    /**
     * Reads a status line and header block.
     *
     * @return the head, or null if the stream ended cleanly before its first byte
     */
    public Head readHead(SocketInput in) throws IOException {
        int len = in.nextLine(statusLineLimit, "status line");
        if (len < 0) return null;
        byte[] b = in.buffer();
        int s = in.lineStart();
        int minor;
        int status;
        String reason;
        // The common shape, straight from the buffer: "HTTP/1.x DDD" [SP reason]. Anything else (or
        // anything invalid) goes to parseStatusLine, which accepts or rejects it with its own message.
        if (len >= 12 && b[s] == 'H' && b[s + 1] == 'T' && b[s + 2] == 'T' && b[s + 3] == 'P' && b[s + 4] == '/'
                && b[s + 5] == '1' && b[s + 6] == '.' && isDigit(b[s + 7]) && b[s + 8] == ' '
                && isDigit(b[s + 9]) && isDigit(b[s + 10]) && isDigit(b[s + 11]) && (len == 12 || b[s + 12] == ' ')
                && (status = (b[s + 9] - '0') * 100 + (b[s + 10] - '0') * 10 + (b[s + 11] - '0')) >= 100 && status <= 599
                && (len <= 13 || validReason(b, s + 13, s + len))) {
            minor = b[s + 7] - '0';
            if (len <= 13) {
                reason = "";
            } else if (same(cachedReason, b, s + 13, s + len)) {
                reason = cachedReason;
            } else {
                reason = new String(b, s + 13, len - 13, StandardCharsets.ISO_8859_1);
                cachedReason = reason;
            }
        } else {
            Head head = parseStatusLine(new String(b, s, len, StandardCharsets.ISO_8859_1));
            minor = head.minorVersion();
            status = head.status();
            reason = head.reason();
        }
        return new Head(minor, status, reason, readFields(in, "header block", true));
    }

    private static boolean validReason(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
        }
        return true;
    }

    /** True if {@code s} holds exactly the ISO-8859-1 bytes {@code b[from, to)}. */
    private static boolean same(String s, byte[] b, int from, int to) {
        int n = to - from;
        if (s == null || s.length() != n) return false;
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) != (char) (b[from + i] & 0xff)) return false;
        }
        return true;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** Parses {@code HTTP/1.x SP 3DIGIT [SP reason]} (RFC 9112 §4; a missing reason is tolerated). */
    public static Head parseStatusLine(String line) throws InvalidResponseException {
        if (!line.startsWith("HTTP/")) {
            throw new InvalidResponseException("bad status line (not HTTP): " + HttpSyntax.quote(line));
        }
        if (line.length() < 12 || !isDigit(line.charAt(5)) || line.charAt(6) != '.' || !isDigit(line.charAt(7))
                || line.charAt(8) != ' ') {
            throw new InvalidResponseException("bad status line: " + HttpSyntax.quote(line));
        }
        if (line.charAt(5) != '1') {
            throw new UnsupportedResponseException("the server answered with HTTP/" + line.substring(5, 8)
                    + "; this client speaks HTTP/1.1: " + HttpSyntax.quote(line));
        }
        int end = 9;
        while (end < line.length() && line.charAt(end) != ' ') end++;
        String code = line.substring(9, end);
        if (code.length() != 3 || !isDigit(code.charAt(0)) || !isDigit(code.charAt(1)) || !isDigit(code.charAt(2))) {
            throw new InvalidResponseException("bad status code " + HttpSyntax.quote(code) + " in status line "
                    + HttpSyntax.quote(line));
        }
        int status = Integer.parseInt(code);
        if (status < 100 || status > 599) {
            throw new InvalidResponseException("status code " + status + " is outside 100..599: " + HttpSyntax.quote(line));
        }
        String reason = end < line.length() ? line.substring(end + 1) : "";
        for (int i = 0; i < reason.length(); i++) {
            char c = reason.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw new InvalidResponseException("status line has " + HttpSyntax.describe(c) + " in its reason phrase: "
                        + HttpSyntax.quote(line));
            }
        }
        return new Head(line.charAt(7) - '0', status, reason, null);
    }

    /**
     * Reads header (or trailer) fields up to the empty line, straight from the read buffer: one String
     * per value, and none for the common names (RFC 9112 §5, RFC 9110 §5.5).
     *
     * <p>Obsolete line folding is replaced by a space, as RFC 9112 §5.2 asks of a user agent, except in
     * the fields that decide framing and persistence ({@link #FRAMING_FIELDS}), where it is rejected: a
     * fold there is more likely an attempt to make two parsers disagree than an old server.
     *
     * @param what names the block in error messages, e.g. "header block" or "trailer section"
     * @throws InvalidResponseException if a line is malformed, or the block exceeds the byte or field limit
     */
    public String[] readFields(SocketInput in, String what) throws IOException {
        return readFields(in, what, false);
    }

    /**
     * {@link #readFields(SocketInput, String)}, reusing (and then remembering) the strings of the
     * previous block when {@code reuse} is set: for response heads, not trailers. A field line whose
     * bytes are those of the line at the same position in the previous block parses to the same name
     * and value, so it is not parsed again; blocks with a folded line are not remembered (a folded
     * value is longer than its first line says).
     */
    private String[] readFields(SocketInput in, String what, boolean reuse) throws IOException {
        String[] fields = scratch != null ? scratch : new String[32];
        scratch = null; // taken: a failure part-way leaves no half-filled array behind for the next head
        int previousLines = reuse ? cachedLines : 0;
        boolean remember = reuse;
        int linesLength = 0;
        int count = 0;
        int used = 0;
        while (true) {
            int len = in.nextLine(headerBlockLimit - used, what);
            if (len < 0) throw new io.dugong.ConnectionClosedException("connection closed in the middle of the " + what);
            used += len + 2;
            if (used > headerBlockLimit) {
                throw new InvalidResponseException("the " + what + " is larger than the limit of " + headerBlockLimit + " bytes");
            }
            if (len == 0) {
                String[] out = Arrays.copyOf(fields, count);
                scratch = fields;
                if (reuse) remember(out, count, remember);
                return out;
            }
            byte[] b = in.buffer();
            int start = in.lineStart();
            int end = start + len;
            if (b[start] == ' ' || b[start] == '\t') {
                if (count == 0) throw invalidLine("the " + what + " starts with a folded line", b, start, end);
                String name = fields[count - 2];
                for (String framing : FRAMING_FIELDS) {
                    if (framing.equalsIgnoreCase(name)) {
                        throw invalidLine("obsolete line folding in " + name + " in the " + what, b, start, end);
                    }
                }
                String more = value(b, start, end, what);
                fields[count - 1] = more.isEmpty() ? fields[count - 1] : fields[count - 1] + " " + more;
                remember = false;
                continue;
            }
            if (count / 2 == maxHeaderFields) {
                throw new InvalidResponseException("the " + what + " has more than the limit of " + maxHeaderFields + " fields");
            }
            if (count + 2 > fields.length) fields = Arrays.copyOf(fields, fields.length * 2);
            int line = count / 2;
            int from = line == 0 || line > previousLines ? 0 : cachedEnds[line - 1];
            if (line < previousLines && cachedEnds[line] - from == len
                    && Arrays.equals(b, start, end, cachedBlock, from, from + len)) {
                fields[count] = cached[count];
                fields[count + 1] = cached[count + 1];
            } else {
                int colon = start;
                while (colon < end && b[colon] != ':') {
                    // Any non-token byte, including whitespace before the colon (RFC 9112 §5.1), is rejected.
                    if (!HttpSyntax.isTokenChar(b[colon])) throw invalidLine("invalid field name in the " + what, b, start, end);
                    colon++;
                }
                if (colon == start || colon == end) throw invalidLine("malformed field line in the " + what, b, start, end);
                fields[count] = HeaderNames.of(b, start, colon);
                fields[count + 1] = value(b, colon + 1, end, what);
            }
            count += 2;
            if (remember) {
                // Kept apart from cachedBlock, which the lines after this one are still compared with.
                if (linesLength + len > MAX_REMEMBERED_BLOCK) {
                    remember = false;
                } else {
                    if (nextBlock.length < linesLength + len) nextBlock = Arrays.copyOf(nextBlock, Math.max(256, 2 * (linesLength + len)));
                    if (nextEnds.length <= line) nextEnds = Arrays.copyOf(nextEnds, Math.max(16, 2 * (line + 1)));
                    System.arraycopy(b, start, nextBlock, linesLength, len);
                    linesLength += len;
                    nextEnds[line] = linesLength;
                }
            }
        }
    }

    /** Makes the block just read (its strings in {@code fields}, its lines in nextBlock) the one the next head is compared with. */
    private void remember(String[] fields, int count, boolean ok) {
        if (!ok) {
            cachedLines = 0;
            return;
        }
        if (cached.length < count) cached = new String[Math.max(count, 16)];
        System.arraycopy(fields, 0, cached, 0, count);
        byte[] block = cachedBlock;
        cachedBlock = nextBlock;
        nextBlock = block;
        int[] ends = cachedEnds;
        cachedEnds = nextEnds;
        nextEnds = ends;
        cachedLines = count / 2;
    }

    /**
     * The field value between {@code from} and {@code to}, without the optional whitespace around it:
     * SP and HTAB only (RFC 9110 §5.6.3), never the other characters {@link String#strip()} would take.
     *
     * @throws InvalidResponseException if the value has a control character other than HTAB, or DEL
     *         (RFC 9110 §5.5: field-vchar is VCHAR or obs-text)
     */
    private static String value(byte[] b, int from, int to, String what) throws InvalidResponseException {
        while (from < to && (b[from] == ' ' || b[from] == '\t')) from++;
        while (to > from && (b[to - 1] == ' ' || b[to - 1] == '\t')) to--;
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw invalidLine("a field value in the " + what + " has " + HttpSyntax.describe((char) c), b, from, to);
            }
        }
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static InvalidResponseException invalidLine(String what, byte[] b, int from, int to) {
        return new InvalidResponseException(what + ": "
                + HttpSyntax.quote(new String(b, from, to - from, StandardCharsets.ISO_8859_1)));
    }

    /**
     * Decides the body framing of a response to {@code method} (RFC 9112 §6.3, in its order).
     */
    public Framing framing(Head head, String method) throws InvalidResponseException {
        int status = head.status();
        boolean http10 = head.minorVersion() == 0;
        // One pass over the fields for the three that decide framing and persistence.
        boolean close = false;
        boolean keepAlive = false;
        List<String> codings = null;
        long length = -1;
        boolean hasLength = false;
        String[] f = head.fields();
        for (int i = 0; i < f.length; i += 2) {
            String name = f[i];
            // The length first: most fields are none of the three, and this tells them apart without a call.
            int nameLength = name.length();
            if (nameLength == 10 && name.equalsIgnoreCase("Connection")) {
                String value = f[i + 1];
                if (value.indexOf(',') < 0) { // one token, the usual case: no list to make
                    String token = trimOws(value);
                    if (token.equalsIgnoreCase("close")) close = true;
                    else if (token.equalsIgnoreCase("keep-alive")) keepAlive = true;
                    continue;
                }
                for (String token : elements(value)) {
                    if (token.equalsIgnoreCase("close")) close = true;
                    else if (token.equalsIgnoreCase("keep-alive")) keepAlive = true;
                }
            } else if (nameLength == 17 && name.equalsIgnoreCase("Transfer-Encoding")) {
                if (codings == null) codings = new ArrayList<>(1);
                codings.addAll(elements(f[i + 1]));
            } else if (nameLength == 14 && name.equalsIgnoreCase("Content-Length")) {
                hasLength = true;
                String value = f[i + 1];
                if (value.indexOf(',') < 0 && !trimOws(value).isEmpty()) { // one value, the usual case
                    long n = parseContentLength(trimOws(value));
                    if (length >= 0 && n != length) {
                        throw new InvalidResponseException("conflicting Content-Length values " + length + " and " + n);
                    }
                    length = n;
                    continue;
                }
                List<String> values = elements(value);
                if (values.isEmpty()) throw new InvalidResponseException("empty Content-Length");
                for (String v : values) {
                    long n = parseContentLength(v);
                    if (length >= 0 && n != length) {
                        throw new InvalidResponseException("conflicting Content-Length values " + length + " and " + n);
                    }
                    length = n;
                }
            }
        }
        close |= http10 && !keepAlive;
        if (method.equals("HEAD") || status < 200 || status == 204 || status == 304) {
            return new Framing(Kind.NONE, 0, close, close);
        }
        if (method.equals("CONNECT") && status < 300) {
            return new Framing(Kind.NONE, 0, false, false); // the connection becomes a tunnel
        }
        if (codings != null) {
            if (codings.isEmpty()) throw new InvalidResponseException("empty Transfer-Encoding");
            if (codings.size() == 1 && codings.get(0).equalsIgnoreCase("chunked")) {
                // Transfer-Encoding overrides Content-Length, but a message with both may be an attempt at
                // request smuggling, so the connection is not reused after it (RFC 9112 §6.1, §6.3).
                return new Framing(Kind.CHUNKED, -1, close || hasLength || http10, close);
            }
            if (codings.stream().filter(c -> c.equalsIgnoreCase("chunked")).count() > 1) {
                throw new InvalidResponseException("chunked is applied more than once: Transfer-Encoding "
                        + HttpSyntax.quote(String.join(", ", codings)));
            }
            throw new UnsupportedResponseException("unsupported Transfer-Encoding "
                    + HttpSyntax.quote(String.join(", ", codings)) + "; only chunked is supported");
        }
        if (hasLength) return new Framing(Kind.FIXED, length, close, close);
        return new Framing(Kind.UNTIL_CLOSE, -1, true, close);
    }

    /**
     * The comma-separated elements of one field value, without optional whitespace (SP and HTAB only),
     * empty ones dropped (RFC 9110 §5.6.1).
     */
    private static List<String> elements(String value) {
        if (value.indexOf(',') < 0) {
            String v = trimOws(value);
            return v.isEmpty() ? List.of() : List.of(v);
        }
        List<String> out = new ArrayList<>(2);
        for (String part : value.split(",", -1)) {
            String p = trimOws(part);
            if (!p.isEmpty()) out.add(p);
        }
        return out;
    }

    private static String trimOws(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) from++;
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) to--;
        return s.substring(from, to);
    }

    private static long parseContentLength(String v) throws InvalidResponseException {
        if (v.isEmpty() || v.length() > 18) {
            throw new InvalidResponseException("invalid Content-Length " + HttpSyntax.quote(v));
        }
        long n = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (!isDigit(c)) {
                String why = c == '-' ? "negative " : "invalid ";
                throw new InvalidResponseException(why + "Content-Length " + HttpSyntax.quote(v));
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /**
     * Parses a chunk-size line (RFC 9112 §7.1): ASCII hex digits (leading zeros allowed), then chunk
     * extensions, which are checked against the grammar of §7.1.1 and ignored:
     * {@code *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )}. Whitespace at the end of
     * the line is tolerated.
     *
     * @throws InvalidResponseException if the line is malformed or the size does not fit in 60 bits
     */
    public static long parseChunkSize(String line) throws InvalidResponseException {
        int n = line.length();
        int i = 0;
        while (i < n && line.charAt(i) == '0') i++;
        int significant = i;
        while (i < n && hexValue(line.charAt(i)) >= 0) i++;
        if (i == 0) throw new InvalidResponseException("bad chunk size line " + HttpSyntax.quote(line));
        // 15 hex digits are 60 bits: no overflow, and far beyond any real chunk.
        if (i - significant > 15) throw new InvalidResponseException("chunk size too large: " + HttpSyntax.quote(line));
        long size = 0;
        for (int k = significant; k < i; k++) size = size << 4 | hexValue(line.charAt(k));
        checkChunkExtensions(line, i);
        return size;
    }

    private static void checkChunkExtensions(String line, int i) throws InvalidResponseException {
        int n = line.length();
        while (true) {
            i = skipBws(line, i);
            if (i == n) return;
            if (line.charAt(i) != ';') throw badChunkExtension(line);
            i = skipBws(line, i + 1);
            int name = i;
            while (i < n && HttpSyntax.isTokenChar(line.charAt(i))) i++;
            if (i == name) throw badChunkExtension(line);
            int afterName = i;
            i = skipBws(line, i);
            if (i < n && line.charAt(i) == '=') {
                i = skipBws(line, i + 1);
                if (i < n && line.charAt(i) == '"') {
                    i = endOfQuotedString(line, i);
                } else {
                    int value = i;
                    while (i < n && HttpSyntax.isTokenChar(line.charAt(i))) i++;
                    if (i == value) throw badChunkExtension(line);
                }
            } else {
                i = afterName;
            }
        }
    }

    /** The index after the quoted-string starting at {@code i} (RFC 9110 §5.6.4). */
    private static int endOfQuotedString(String line, int i) throws InvalidResponseException {
        int n = line.length();
        for (i++; i < n; i++) {
            char c = line.charAt(i);
            if (c == '"') return i + 1;
            if (c == '\\') {
                if (++i == n) break;
                c = line.charAt(i);
            }
            if ((c < 0x20 && c != '\t') || c == 0x7f) break;
        }
        throw badChunkExtension(line);
    }

    private static int skipBws(String line, int i) {
        while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) i++;
        return i;
    }

    private static InvalidResponseException badChunkExtension(String line) {
        return new InvalidResponseException("malformed chunk extension in chunk size line " + HttpSyntax.quote(line));
    }

    /** The value of an ASCII hex digit, or -1 ({@link Character#digit} would also take other scripts' digits). */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
