package io.dugong.internal;

import io.dugong.InvalidResponseException;
import io.dugong.UnsupportedResponseException;

import java.io.IOException;
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

    private final int statusLineLimit;
    private final int headerBlockLimit;

    /**
     * @param statusLineLimit  the longest status line (and chunk-size line) accepted
     * @param headerBlockLimit the largest header block (and trailer block) accepted
     */
    public ResponseParser(int statusLineLimit, int headerBlockLimit) {
        this.statusLineLimit = statusLineLimit;
        this.headerBlockLimit = headerBlockLimit;
    }

    /** The status line limit, also used for chunk-size lines. */
    public int statusLineLimit() {
        return statusLineLimit;
    }

    /** The header block limit, also used for trailers. */
    public int headerBlockLimit() {
        return headerBlockLimit;
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
        /** First value of a field, or null. */
        public String field(String name) {
            for (int i = 0; i < fields.length; i += 2) {
                if (fields[i].equalsIgnoreCase(name)) return fields[i + 1];
            }
            return null;
        }

        /** Every value of a field, split at commas, trimmed, empty elements dropped (RFC 9110 §5.6.1). */
        public List<String> elements(String name) {
            List<String> out = new ArrayList<>(1);
            for (int i = 0; i < fields.length; i += 2) {
                if (!fields[i].equalsIgnoreCase(name)) continue;
                for (String part : fields[i + 1].split(",")) {
                    String p = part.strip();
                    if (!p.isEmpty()) out.add(p);
                }
            }
            return out;
        }

        /** True if the Connection field lists {@code token}. */
        public boolean connectionHas(String token) {
            for (String e : elements("Connection")) {
                if (e.equalsIgnoreCase(token)) return true;
            }
            return false;
        }
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
     */
    public record Framing(Kind kind, long length, boolean closeAfter) {
    }

    /**
     * Reads a status line and header block.
     *
     * @return the head, or null if the stream ended cleanly before its first byte
     */
    public Head readHead(SocketInput in) throws IOException {
        String statusLine = in.readLine(statusLineLimit, "status line");
        if (statusLine == null) return null;
        Head head = parseStatusLine(statusLine);
        return new Head(head.minorVersion(), head.status(), head.reason(), readFields(in, "header block"));
    }

    /** Parses {@code HTTP/1.x SP 3DIGIT [SP reason]} (RFC 9112 §4; a missing reason is tolerated). */
    Head parseStatusLine(String line) throws InvalidResponseException {
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
     * Reads header (or trailer) fields up to the empty line. Obsolete line folding is replaced by a
     * space, as RFC 9112 §5.2 asks of a user agent.
     */
    public String[] readFields(SocketInput in, String what) throws IOException {
        List<String> fields = new ArrayList<>(16);
        int used = 0;
        while (true) {
            String line = in.readLine(headerBlockLimit - used, what);
            if (line == null) {
                throw new io.dugong.ConnectionClosedException("connection closed in the middle of the " + what);
            }
            used += line.length() + 2;
            if (used > headerBlockLimit) {
                throw new InvalidResponseException("the " + what + " is larger than the limit of " + headerBlockLimit + " bytes");
            }
            if (line.isEmpty()) return fields.toArray(new String[0]);
            char first = line.charAt(0);
            if (first == ' ' || first == '\t') {
                if (fields.isEmpty()) {
                    throw new InvalidResponseException("the " + what + " starts with a folded line: " + HttpSyntax.quote(line));
                }
                int last = fields.size() - 1;
                fields.set(last, (fields.get(last) + " " + checkValue(line.strip(), line)).strip());
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new InvalidResponseException("malformed header line in the " + what + ": " + HttpSyntax.quote(line));
            }
            String name = line.substring(0, colon);
            if (!HttpSyntax.isToken(name)) {
                // Includes whitespace before the colon, which RFC 9112 §5.1 says must be rejected.
                throw new InvalidResponseException("invalid header name " + HttpSyntax.quote(name) + " in the " + what);
            }
            fields.add(name);
            fields.add(checkValue(stripOws(line, colon + 1), line));
        }
    }

    /**
     * Decides the body framing of a response to {@code method} (RFC 9112 §6.3, in its order).
     */
    public Framing framing(Head head, String method) throws InvalidResponseException {
        int status = head.status();
        boolean http10 = head.minorVersion() == 0;
        boolean close = head.connectionHas("close") || (http10 && !head.connectionHas("keep-alive"));
        if (method.equals("HEAD") || status < 200 || status == 204 || status == 304) {
            return new Framing(Kind.NONE, 0, close);
        }
        if (method.equals("CONNECT") && status < 300) {
            return new Framing(Kind.NONE, 0, false); // the connection becomes a tunnel
        }
        List<String> codings = head.elements("Transfer-Encoding");
        if (!codings.isEmpty() || head.field("Transfer-Encoding") != null) {
            if (codings.size() == 1 && codings.get(0).equalsIgnoreCase("chunked")) {
                // Transfer-Encoding overrides Content-Length, but a message with both may be an attempt at
                // request smuggling, so the connection is not reused after it (RFC 9112 §6.1, §6.3).
                boolean suspicious = head.field("Content-Length") != null || http10;
                return new Framing(Kind.CHUNKED, -1, close || suspicious);
            }
            if (codings.stream().filter(c -> c.equalsIgnoreCase("chunked")).count() > 1) {
                throw new InvalidResponseException("chunked is applied more than once: Transfer-Encoding "
                        + HttpSyntax.quote(String.join(", ", codings)));
            }
            throw new UnsupportedResponseException("unsupported Transfer-Encoding "
                    + HttpSyntax.quote(String.join(", ", codings)) + "; only chunked is supported");
        }
        List<String> lengths = head.elements("Content-Length");
        if (head.field("Content-Length") != null) {
            long length = -1;
            for (String v : lengths) {
                long n = parseContentLength(v);
                if (length >= 0 && n != length) {
                    throw new InvalidResponseException("conflicting Content-Length values " + lengths);
                }
                length = n;
            }
            if (length < 0) throw new InvalidResponseException("empty Content-Length");
            return new Framing(Kind.FIXED, length, close);
        }
        return new Framing(Kind.UNTIL_CLOSE, -1, true);
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
     * Parses a chunk-size line (RFC 9112 §7.1): hex digits, then optional whitespace and extensions,
     * which are ignored.
     */
    public static long parseChunkSize(String line) throws InvalidResponseException {
        int end = 0;
        while (end < line.length() && Character.digit(line.charAt(end), 16) >= 0) end++;
        if (end == 0) throw new InvalidResponseException("bad chunk size line " + HttpSyntax.quote(line));
        if (end > 15) throw new InvalidResponseException("chunk size too large: " + HttpSyntax.quote(line));
        for (int i = end; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == ';') break;
            if (c != ' ' && c != '\t') throw new InvalidResponseException("bad chunk size line " + HttpSyntax.quote(line));
        }
        return Long.parseLong(line, 0, end, 16);
    }

    private static String stripOws(String line, int from) {
        int start = from;
        int end = line.length();
        while (start < end && (line.charAt(start) == ' ' || line.charAt(start) == '\t')) start++;
        while (end > start && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) end--;
        return line.substring(start, end);
    }

    private static String checkValue(String value, String line) throws InvalidResponseException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == 0) {
                // RFC 9110 §5.5: CR and NUL in a field value are dangerous; reject the message.
                throw new InvalidResponseException("header line has " + HttpSyntax.describe(c) + ": " + HttpSyntax.quote(line));
            }
        }
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
