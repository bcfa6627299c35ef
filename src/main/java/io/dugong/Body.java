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
 *       {@code Transfer-Encoding: chunked} and ended by {@link HttpConnection#finishBody()};</li>
 *   <li>{@link #ofStream(StreamSource, long)} and {@link #ofStream(StreamSource)} — bytes pulled from a
 *       stream by the connection itself (with a known length, or chunked); the source is opened again
 *       when a {@code Pipeline} replays the request.</li>
 *   <li>{@link #ofInputStream(java.io.InputStream, long)} — bytes read once from a stream the caller
 *       opened: such a request cannot be replayed, so a {@link DugongClient} never pipelines it behind
 *       others.</li>
 * </ul>
 */
public sealed interface Body {

    /**
     * No body.
     *
     * @return no body
     */
    static Body empty() {
        return Empty.INSTANCE;
    }

    /**
     * A body held in memory. The array is not copied: do not change it until the request is sent.
     *
     * @param content the bytes to send
     * @return a body held in memory
     */
    static Body of(byte[] content) {
        return new Bytes(content);
    }

    /**
     * A body of exactly {@code length} bytes that the caller writes after {@code sendRequest}.
     *
     * @param length the Content-Length to announce; at least 0
     * @return a body of exactly {@code length} bytes that the caller writes after {@code sendRequest}
     */
    static Body following(long length) {
        return new Following(length);
    }

    /**
     * A body of unknown length, written after {@code sendRequest} and sent in chunks.
     *
     * @return a body of unknown length, written after {@code sendRequest} and sent in chunks
     */
    static Body chunked() {
        return Chunked.INSTANCE;
    }

    /**
     * A file streamed from disk; its size when the request is sent becomes the Content-Length.
     *
     * @param file a readable regular file
     * @return a file streamed from disk
     */
    static Body ofFile(Path file) {
        return new FileBody(file);
    }

    /**
     * A body read from a stream, of exactly {@code length} bytes, sent by the connection itself.
     *
     * @param source opens the stream; called once per attempt to send the request
     * @param length the Content-Length to announce; the stream must supply exactly this many bytes
     * @return a body read from a stream, of exactly {@code length} bytes, sent by the connection itself
     */
    static Body ofStream(StreamSource source, long length) {
        if (length < 0) throw new IllegalArgumentException("body length must be >= 0, got " + length);
        return new Streamed(source, length);
    }

    /**
     * A body read from a stream of unknown length, sent chunked by the connection itself.
     *
     * @param source opens the stream; called once per attempt to send the request
     * @return a body read from a stream of unknown length, sent chunked by the connection itself
     */
    static Body ofStream(StreamSource source) {
        return new Streamed(source, -1);
    }

    /**
     * A body of exactly {@code length} bytes read from {@code in}, once: the request cannot be replayed
     * after a connection failure (it fails instead), and a {@link DugongClient} sends it only on a
     * connection with nothing else in flight. Prefer {@link #ofStream(StreamSource, long)} when the
     * stream can be opened again.
     *
     * @param in     the stream, read from its current position; not closed here
     * @param length the Content-Length to announce; the stream must supply exactly this many bytes
     * @return the body
     */
    static Body ofInputStream(java.io.InputStream in, long length) {
        Objects.requireNonNull(in, "in");
        if (length < 0) throw new IllegalArgumentException("body length must be >= 0, got " + length);
        return new Streamed(new OneShotSource(in), length);
    }

    /**
     * Whether the request can be sent again with the same body after a failed attempt: false for
     * {@link #ofInputStream} bodies, and for {@link #following} and {@link #chunked} ones, which the
     * caller writes.
     *
     * @return whether the body can be sent again
     */
    default boolean replayable() {
        return switch (this) {
            case Streamed s -> s.source().replayable();
            case Following f -> false;
            case Chunked c -> false;
            default -> true;
        };
    }

    /** Opens the stream of a {@link #ofStream} body; may be called again to replay the request. */
    @FunctionalInterface
    interface StreamSource {
        /**
         * A new stream positioned at the start of the body.
         *
         * @return a new stream positioned at the start of the body
         * @throws java.io.IOException if the stream cannot be opened
         */
        java.io.InputStream open() throws java.io.IOException;

        /**
         * Whether {@link #open()} may be called more than once; true unless the source says otherwise.
         *
         * @return whether the source can be opened again
         */
        default boolean replayable() {
            return true;
        }
    }

    /**
     * The length that will be announced, or empty for a chunked body.
     *
     * @return the length that will be announced, or empty for a chunked body
     */
    OptionalLong length();

    /** No body. */
    enum Empty implements Body {
        /** The only instance. */
        INSTANCE;

        /** Made once: asked for on every request sent. */
        private static final OptionalLong ZERO = OptionalLong.of(0);

        @Override
        public OptionalLong length() {
            return ZERO;
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
     * A body pulled from a stream.
     *
     * @param source opens the stream
     * @param contentLength the announced length, or -1 to send it chunked
     */
    record Streamed(StreamSource source, long contentLength) implements Body {
        /** Checks the source is not null. */
        public Streamed {
            Objects.requireNonNull(source, "source");
        }

        @Override
        public OptionalLong length() {
            return contentLength < 0 ? OptionalLong.empty() : OptionalLong.of(contentLength);
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
