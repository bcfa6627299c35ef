package io.dugong;

import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The body of a request, which decides how it is framed on the wire.
 *
 * <ul>
 *   <li>{@link #empty()} — no body ({@code Content-Length: 0} for methods that define one, such as POST);</li>
 *   <li>{@link #of(byte[])} — bytes sent with the head;</li>
 *   <li>{@link #ofFile(Path)} — a file streamed after the head, with its size as {@code Content-Length};</li>
 *   <li>{@link #following(long)} — {@code n} bytes the caller writes afterwards with
 *       {@link HttpConnection#write(byte[])};</li>
 *   <li>{@link #chunked()} — bytes of unknown length written afterwards, sent with
 *       {@code Transfer-Encoding: chunked} and ended by {@link HttpConnection#finishBody()}.</li>
 * </ul>
 */
public sealed interface Body {

    /** No body. */
    static Body empty() {
        return Empty.INSTANCE;
    }

    /**
     * A body held in memory. The array is not copied: do not change it until the request is sent.
     *
     * @param content the bytes to send
     */
    static Body of(byte[] content) {
        return new Bytes(content);
    }

    /**
     * A body of exactly {@code length} bytes that the caller writes after {@code sendRequest}.
     *
     * @param length the Content-Length to announce; at least 0
     */
    static Body following(long length) {
        return new Following(length);
    }

    /** A body of unknown length, written after {@code sendRequest} and sent in chunks. */
    static Body chunked() {
        return Chunked.INSTANCE;
    }

    /**
     * A file streamed from disk; its size when the request is sent becomes the Content-Length.
     *
     * @param file a readable regular file
     */
    static Body ofFile(Path file) {
        return new FileBody(file);
    }

    /** The length that will be announced, or empty for a chunked body. */
    OptionalLong length();

    /** No body. */
    enum Empty implements Body {
        /** The only instance. */
        INSTANCE;

        @Override
        public OptionalLong length() {
            return OptionalLong.of(0);
        }
    }

    /**
     * In-memory bytes.
     *
     * @param content the bytes, not copied
     */
    record Bytes(byte[] content) implements Body {
        /** Checks the content is not null. */
        public Bytes {
            Objects.requireNonNull(content, "content");
        }

        @Override
        public OptionalLong length() {
            return OptionalLong.of(content.length);
        }

        @Override
        public String toString() {
            return "Body.of(" + content.length + " bytes)";
        }
    }

    /**
     * A fixed-length body written by the caller.
     *
     * @param contentLength the announced length
     */
    record Following(long contentLength) implements Body {
        /** Checks the length is not negative. */
        public Following {
            if (contentLength < 0) throw new IllegalArgumentException("body length must be >= 0, got " + contentLength);
        }

        @Override
        public OptionalLong length() {
            return OptionalLong.of(contentLength);
        }
    }

    /** A chunked body written by the caller. */
    enum Chunked implements Body {
        /** The only instance. */
        INSTANCE;

        @Override
        public OptionalLong length() {
            return OptionalLong.empty();
        }
    }

    /**
     * A file body.
     *
     * @param file the file to stream
     */
    record FileBody(Path file) implements Body {
        /** Checks the path is not null. */
        public FileBody {
            Objects.requireNonNull(file, "file");
        }

        /** The file's current size; the announced length is taken when the request is sent. */
        @Override
        public OptionalLong length() {
            try {
                return OptionalLong.of(java.nio.file.Files.size(file));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read the size of " + file, e);
            }
        }
    }
}
