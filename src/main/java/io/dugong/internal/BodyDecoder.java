package io.dugong.internal;

import io.dugong.ConnectionClosedException;
import io.dugong.InvalidResponseException;

import java.io.IOException;

/**
 * Reads one response body off a {@link SocketInput}, as framed by {@link ResponseParser#framing}:
 * one subclass per framing case of RFC 9112 §6.3. A decoder returns -1 once its body is complete and
 * reports {@link #isComplete()} as soon as it knows, so a caller that reads exactly the announced
 * length needs no extra read.
 *
 * <p>A body that ends early yields the bytes that did arrive, then a {@link ConnectionClosedException}.
 * Timeouts leave the decoder as it was, so the read may be retried.
 */
public abstract sealed class BodyDecoder {
    protected final SocketInput in;

    BodyDecoder(SocketInput in) {
        this.in = in;
    }

    /** A decoder for {@code framing}. */
    public static BodyDecoder of(ResponseParser.Framing framing, SocketInput in, ResponseParser parser) {
        return switch (framing.kind()) {
            case NONE -> new FixedLength(in, 0);
            case FIXED -> new FixedLength(in, framing.length());
            case CHUNKED -> new Chunked(in, parser);
            case UNTIL_CLOSE -> new UntilClose(in);
        };
    }

    /**
     * Reads up to {@code len} body bytes.
     *
     * @return the count read (at least 1 if {@code len > 0}), or -1 at the end of the body
     */
    public abstract int read(byte[] b, int off, int len) throws IOException;

    /** True once the whole body, including any framing after it, has been consumed. */
    public abstract boolean isComplete();

    /** Body bytes consumed so far. */
    public abstract long consumed();

    /** Body bytes still to come if known (Content-Length framing), else -1. */
    public long remainingLength() {
        return -1;
    }

    /** A body of exactly {@code length} bytes (Content-Length, or 0 for bodiless responses). */
    static final class FixedLength extends BodyDecoder {
        private final long length;
        private long remaining;

        FixedLength(SocketInput in, long length) {
            super(in);
            this.length = length;
            this.remaining = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) return -1;
            if (len == 0) return 0;
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw new ConnectionClosedException("the connection closed after " + (length - remaining) + " of the "
                        + length + " body bytes announced by Content-Length");
            }
            remaining -= n;
            return n;
        }

        @Override
        public boolean isComplete() {
            return remaining == 0;
        }

        @Override
        public long remainingLength() {
            return remaining;
        }

        @Override
        public long consumed() {
            return length - remaining;
        }
    }

    /** The chunked transfer coding (RFC 9112 §7.1); extensions and trailers are read and dropped. */
    static final class Chunked extends BodyDecoder {
        private enum State { SIZE, DATA, DATA_CRLF, TRAILERS, DONE }

        private final ResponseParser parser;
        private State state = State.SIZE;
        private long chunkRemaining;
        private long consumed;
        private int trailerBytes;
        private IOException deferred;

        Chunked(SocketInput in, ResponseParser parser) {
            super(in);
            this.parser = parser;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (deferred != null) throw deferred;
            while (state != State.DATA) {
                if (state == State.DONE) return -1;
                if (!advance(in.readLine(lineLimit(), lineName()))) {
                    throw new ConnectionClosedException("the connection closed inside a chunked body after "
                            + consumed + " bytes");
                }
            }
            if (len == 0) return 0;
            int n = in.read(b, off, (int) Math.min(len, chunkRemaining));
            if (n < 0) {
                throw new ConnectionClosedException("the connection closed inside a chunk, after " + consumed
                        + " body bytes with " + chunkRemaining + " of the chunk still to come");
            }
            consumed += n;
            chunkRemaining -= n;
            if (chunkRemaining == 0) {
                state = State.DATA_CRLF;
                try {
                    completeFromBuffer();
                } catch (IOException e) {
                    deferred = e; // these n bytes arrived intact: deliver them, fail on the next read
                }
            }
            return n;
        }

        /**
         * Moves through framing lines that are already buffered, so a body whose last chunk and
         * terminator arrived together is complete without another (blocking) read.
         */
        private void completeFromBuffer() throws IOException {
            while (state != State.DATA && state != State.DONE) {
                String line = in.readLineIfBuffered(lineLimit(), lineName());
                if (line == null) return;
                advance(line);
            }
        }

        /** Applies one framing line; false if the stream ended instead. */
        private boolean advance(String line) throws IOException {
            if (line == null) return false;
            switch (state) {
                case DATA_CRLF -> {
                    if (!line.isEmpty()) {
                        throw new InvalidResponseException("chunk data is not followed by CRLF: " + HttpSyntax.quote(line));
                    }
                    state = State.SIZE;
                }
                case SIZE -> {
                    chunkRemaining = ResponseParser.parseChunkSize(line);
                    state = chunkRemaining == 0 ? State.TRAILERS : State.DATA;
                }
                case TRAILERS -> {
                    // Trailer fields are dropped; only their total size is checked.
                    if (line.isEmpty()) {
                        state = State.DONE;
                    } else if ((trailerBytes += line.length() + 2) > parser.headerBlockLimit()) {
                        throw new InvalidResponseException("the trailer block is larger than the limit of "
                                + parser.headerBlockLimit() + " bytes");
                    }
                }
                default -> throw new IllegalStateException(state.toString());
            }
            return true;
        }

        private int lineLimit() {
            return state == State.TRAILERS ? parser.headerBlockLimit() - trailerBytes : parser.statusLineLimit();
        }

        private String lineName() {
            return switch (state) {
                case TRAILERS -> "trailer block";
                case DATA_CRLF -> "CRLF after chunk data";
                default -> "chunk size line";
            };
        }

        @Override
        public boolean isComplete() {
            return state == State.DONE;
        }

        @Override
        public long consumed() {
            return consumed;
        }
    }

    /** A body delimited by the server closing the connection (RFC 9112 §6.3 rule 8). */
    static final class UntilClose extends BodyDecoder {
        private boolean done;
        private long consumed;

        UntilClose(SocketInput in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) return -1;
            if (len == 0) return 0;
            int n = in.read(b, off, len);
            if (n < 0) {
                done = true;
                return -1;
            }
            consumed += n;
            return n;
        }

        @Override
        public boolean isComplete() {
            return done;
        }

        @Override
        public long consumed() {
            return consumed;
        }
    }
}
