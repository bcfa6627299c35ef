package io.dugong;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The common {@link BodyReader}s. */
public final class BodyReaders {
    private static final long PRESIZE_LIMIT = 16L * 1024 * 1024;

    private BodyReaders() {
    }

    /**
     * The body as bytes.
     *
     * @return the body as bytes
     */
    public static BodyReader<byte[]> ofByteArray() {
        return BodyReaders::readBytes;
    }

    /** Reads a body into one array of the announced size when there is one (bounded), else grows. */
    private static byte[] readBytes(ResponseHead head, InputStream in) throws IOException {
        long length = head.length().orElse(-1);
        if (length < 0 || length > PRESIZE_LIMIT) return in.readAllBytes();
        byte[] body = new byte[(int) length];
        int n = in.readNBytes(body, 0, body.length); // a short body throws ConnectionClosedException instead
        return n == body.length ? body : Arrays.copyOf(body, n);
    }

    /**
     * The body as text, in the charset of its Content-Type (UTF-8 if none or unknown).
     *
     * @return the body as text, in the charset of its Content-Type (UTF-8 if none or unknown)
     */
    public static BodyReader<String> ofString() {
        return (head, in) -> new String(in.readAllBytes(), charsetOf(head));
    }

    /**
     * The body as text in {@code charset}, whatever the Content-Type says.
     *
     * @param charset the charset to decode with
     * @return the body as text in {@code charset}, whatever the Content-Type says
     */
    public static BodyReader<String> ofString(Charset charset) {
        return (head, in) -> new String(in.readAllBytes(), charset);
    }

    /**
     * The body streamed into {@code file} (created or truncated); the value is the path.
     *
     * @param file where to write the body
     * @return the body streamed into {@code file} (created or truncated)
     */
    public static BodyReader<Path> ofFile(Path file) {
        return (head, in) -> {
            try (OutputStream out = Files.newOutputStream(file)) {
                in.transferTo(out);
            }
            return file;
        };
    }

    /**
     * Reads and drops the body; the value is null.
     *
     * @return reads and drops the body
     */
    public static BodyReader<Void> discarding() {
        return (head, in) -> {
            in.transferTo(OutputStream.nullOutputStream());
            return null;
        };
    }

    /**
     * The body as lines of text (charset as in {@link #ofString()}), without line terminators.
     *
     * @return the body as lines of text (charset as in {@link #ofString()}), without line terminators
     */
    public static BodyReader<List<String>> ofLines() {
        return (head, in) -> {
            List<String> lines = new ArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, charsetOf(head)));
            for (String line; (line = r.readLine()) != null; ) lines.add(line);
            return lines;
        };
    }

    /** The charset parameter of the Content-Type, or UTF-8. */
    static Charset charsetOf(ResponseHead head) {
        String type = head.headers().first("Content-Type").orElse("");
        for (String param : type.split(";")) {
            String p = param.trim();
            if (p.toLowerCase(Locale.ROOT).startsWith("charset=")) {
                String name = p.substring(8).trim().replace("\"", "");
                try {
                    return Charset.forName(name);
                } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
                    return StandardCharsets.UTF_8;
                }
            }
        }
        return StandardCharsets.UTF_8;
    }
}
