package io.dugong.internal;

import io.dugong.ConnectionClosedException;
import io.dugong.ConnectionTimedOutException;
import io.dugong.InvalidResponseException;

import java.io.IOException;
import java.util.Objects;

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
     * Reads up to {@code len} body bytes. A read of 0 bytes still moves over the framing that comes
     * before the next body byte (a chunk-size line), so it may block, and it may complete the body.
     *
     * @return the count read (at least 1 if {@code len > 0}), or -1 at the end of the body
     */
    public final int read(byte[] b, int off, int len) throws IOException {
        return transfer(Objects.requireNonNull(b, "b"), off, len);
    }

    /**
     * Skips up to {@code max} body bytes, like {@link #read} but without copying them: they are
     * dropped from the input's own buffer.
     *
     * @return the count skipped (at least 1 if {@code max > 0}), or -1 at the end of the body
     */
    public final int skip(int max) throws IOException {
        return transfer(null, 0, max);
    }

    /** {@link #read} into {@code b}, or {@link #skip} if {@code b} is null. */
    abstract int transfer(byte[] b, int off, int len) throws IOException;

    /** Reads into {@code b}, or skips if it is null: the one place the two differ. */
    final int take(byte[] b, int off, int len) throws IOException {
        return b == null ? in.skip(len) : in.read(b, off, len);
    }

    /** True once the whole body, including any framing after it, has been consumed. */
    public abstract boolean isComplete();

    /** Body bytes still to come if known (Content-Length framing), else -1. */
    public long remainingLength() {
        return -1;
    }

    /**
     * Body bytes that will certainly come before any more framing: the rest of a Content-Length body
     * or of the current chunk; 0 if not known yet.
     */
    public long knownAhead() {
        return 0;
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
        int transfer(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) return -1;
            if (len == 0) return 0;
            int n = take(b, off, (int) Math.min(len, remaining));
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
        public long knownAhead() {
            return remaining;
        }
    }

    /**
     * The chunked transfer coding (RFC 9112 §7.1). Extensions are checked and dropped; the trailer
     * section is parsed like a header block, with the same limits, and dropped.
     */
    static final class Chunked extends BodyDecoder {
        private enum State { SIZE, DATA, DATA_CRLF, TRAILERS, DONE }

        /** The CRLF after chunk data, terminator included: anything longer is not a CRLF. */
        private static final int DATA_CRLF_LIMIT = 2;

        private final ResponseParser parser;
        private State state = State.SIZE;
        private long chunkRemaining;
        private long consumed;
        private IOException deferred;

        Chunked(SocketInput in, ResponseParser parser) {
            super(in);
            this.parser = parser;
        }

        @Override
        int transfer(byte[] b, int off, int len) throws IOException {
            if (deferred != null) throw deferred;
            while (state != State.DATA) {
                if (state == State.DONE) return -1;
                step(false);
            }
            if (len == 0) return 0;
            int n = take(b, off, (int) Math.min(len, chunkRemaining));
            if (n < 0) {
                throw new ConnectionClosedException("the connection closed inside a chunk, after " + consumed
                        + " body bytes with " + chunkRemaining + " of the chunk still to come");
            }
            consumed += n;
            chunkRemaining -= n;
            if (chunkRemaining == 0) {
                state = State.DATA_CRLF;
                try {
                    // Move through framing that is already buffered, so a body whose last chunk and
                    // terminator arrived together is complete without another (blocking) read.
                    while (state != State.DATA && state != State.DONE && step(true)) {
                        // next framing line
                    }
                } catch (IOException e) {
                    deferred = e; // these n bytes arrived intact: deliver them, fail on the next read
                }
            }
            return n;
        }

        /**
         * Reads the framing that comes next: a chunk-size line, the CRLF after chunk data, or the
         * trailer section.
         *
         * @param onlyIfBuffered return false instead of blocking when it has not all arrived yet
         * @return true once the step is done
         */
        private boolean step(boolean onlyIfBuffered) throws IOException {
            if (state == State.TRAILERS) {
                if (onlyIfBuffered && !in.blockEndBuffered()) return false;
                readTrailers();
                return true;
            }
            boolean size = state == State.SIZE;
            int limit = size ? parser.statusLineLimit() : DATA_CRLF_LIMIT;
            String what = size ? "chunk size line" : "CRLF after chunk data";
            String line = onlyIfBuffered ? in.readLineIfBuffered(limit, what) : in.readLine(limit, what);
            if (line == null) {
                if (onlyIfBuffered) return false;
                throw new ConnectionClosedException("the connection closed inside a chunked body after "
                        + consumed + " bytes");
            }
            if (size) {
                chunkRemaining = ResponseParser.parseChunkSize(line);
                state = chunkRemaining == 0 ? State.TRAILERS : State.DATA;
            } else if (line.isEmpty()) {
                state = State.SIZE;
            } else {
                throw new InvalidResponseException("chunk data is not followed by CRLF: " + HttpSyntax.quote(line));
            }
            return true;
        }

        /**
         * Reads the trailer section with the header-block parser: so a missing empty line after the last
         * chunk makes the next response's status line fail as a field line instead of being skipped.
         * A timeout rewinds to the start of the section, so the read may be retried.
         */
        private void readTrailers() throws IOException {
            in.mark();
            try {
                parser.readFields(in, "trailer section");
            } catch (ConnectionTimedOutException e) {
                in.rewind();
                throw e;
            } finally {
                in.unmark();
            }
            state = State.DONE;
        }

        @Override
        public boolean isComplete() {
            return state == State.DONE;
        }

        @Override
        public long knownAhead() {
            return state == State.DATA ? chunkRemaining : 0;
        }
    }

    /** A body delimited by the server closing the connection (RFC 9112 §6.3 rule 8). */
    static final class UntilClose extends BodyDecoder {
        private boolean done;

        UntilClose(SocketInput in) {
            super(in);
        }

        @Override
        int transfer(byte[] b, int off, int len) throws IOException {
            if (done) return -1;
            if (len == 0) return 0;
            int n = take(b, off, len);
            if (n < 0) {
                done = true;
                return -1;
            }
            return n;
        }

        @Override
        public boolean isComplete() {
            return done;
        }
    }
}
