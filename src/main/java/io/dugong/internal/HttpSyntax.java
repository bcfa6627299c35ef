package io.dugong.internal;

/**
 * Character-level rules of RFC 9110 §5.6 shared by the response parser and {@link RequestChecks}, and
 * the quoting of offending input in error messages.
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
