package io.dugong.internal;

/**
 * Character-level rules of RFC 9110 §5.6 used to validate what we send and what we parse.
 */
public final class HttpSyntax {
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) TCHAR[c] = true;
        for (char c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
    }

    private HttpSyntax() {
    }

    /** True if {@code c} may appear in a token (method, header name). */
    public static boolean isTokenChar(int c) {
        return c < 128 && c >= 0 && TCHAR[c];
    }

    /**
     * Checks a token we are about to send.
     *
     * @throws IllegalArgumentException naming {@code what} and the offending character
     */
    public static String requireToken(String s, String what) {
        if (s == null || s.isEmpty()) throw new IllegalArgumentException(what + " is empty");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isTokenChar(c)) {
                throw new IllegalArgumentException(what + " " + quote(s) + " has a character not allowed in a token: "
                        + describe(c) + " at index " + i);
            }
        }
        return s;
    }

    /**
     * Checks a header value we are about to send: ISO-8859-1, no control characters but HTAB
     * (so no CR, LF or NUL that could split or truncate the header block).
     *
     * @throws IllegalArgumentException naming the header and the offending character
     */
    public static String requireFieldValue(String name, String value) {
        if (value == null) throw new IllegalArgumentException("header " + name + " has a null value");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                throw new IllegalArgumentException("header " + name + " has a value with " + describe(c) + " at index " + i
                        + " (only visible ISO-8859-1 characters, space and tab are allowed)");
            }
        }
        return value;
    }

    /**
     * Checks a request target: visible ASCII only (RFC 9112 §3.2), so no space, CR, LF or NUL.
     *
     * @throws IllegalArgumentException naming the offending character
     */
    public static String requireTarget(String target) {
        if (target == null || target.isEmpty()) throw new IllegalArgumentException("request target is empty");
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new IllegalArgumentException("request target " + quote(target) + " has " + describe(c)
                        + " at index " + i + " (percent-encode it)");
            }
        }
        return target;
    }

    /** A readable name for a character in an error message. */
    public static String describe(char c) {
        return switch (c) {
            case '\r' -> "CR";
            case '\n' -> "LF";
            case 0 -> "NUL";
            case ' ' -> "a space";
            case '\t' -> "a tab";
            default -> c < 0x20 || c == 0x7f ? String.format("control character 0x%02x", (int) c)
                    : c > 0x7e ? String.format("character U+%04X", (int) c) : "'" + c + "'";
        };
    }

    /** Quotes a string for an error message, escaping control characters and cutting long ones. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        int n = Math.min(s.length(), 80);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '\r') b.append("\\r");
            else if (c == '\n') b.append("\\n");
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        if (s.length() > n) b.append("...");
        return b.append('"').toString();
    }
}
