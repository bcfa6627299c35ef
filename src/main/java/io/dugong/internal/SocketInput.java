package io.dugong.internal;

import io.dugong.ConnectionClosedException;
import io.dugong.InvalidResponseException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Buffered reads from one socket, with line reads for the response parser.
 *
 * <p>A line is consumed only once it is complete, and the parser can {@link #mark()} the start of a
 * response head and {@link #rewind()} to it: so a read that times out part-way through a head consumes
 * nothing, and the caller may simply try again. The buffer grows past its configured size only while a
 * head or line does not fit (bounded by the parser's limits) and shrinks back afterwards.
 *
 * <p>The buffer is taken lazily and, for the default size, given back to {@link BufferPool#READ} when
 * the connection goes idle ({@link #releaseIfIdle()}): an open idle connection holds no read buffer.
 *
 * <p>Errors from the socket are translated by {@link Transport}; this class only adds protocol errors.
 */
public final class SocketInput {
    private static final byte[] NONE = new byte[0];
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long LFS = 0x0A0A0A0A0A0A0A0AL;
    private static final long CRS = 0x0D0D0D0D0D0D0D0DL;

    private final InputStream in;
    private final Transport transport;
    private final int bufferSize;
    /** The shared pool for buffers of {@link #bufferSize}, or null if that size is not pooled. */
    private final BufferPool pool;
    /** The read buffer; {@link #NONE} while none is held (released, or not needed yet). */
    private byte[] buf = NONE;
    private int pos;
    private int lim;
    private int mark = -1;
    private int lineStart;
    private boolean eof;

    SocketInput(InputStream in, Transport transport, int bufferSize) {
        this.in = in;
        this.transport = transport;
        this.bufferSize = bufferSize;
        this.pool = bufferSize == BufferPool.READ.size() ? BufferPool.READ : null;
    }

    private byte[] newBuffer() {
        return pool != null ? pool.take() : new byte[bufferSize];
    }

    /**
     * Gives the buffer back to the pool if nothing is buffered and no mark is set: for when the reader
     * has consumed everything it was sent. The next read takes a buffer again. A buffer of a size that
     * is not pooled is kept (dropping it would cost an allocation per response at depth 1).
     *
     * @return true if no buffer is held afterwards
     */
    public boolean releaseIfIdle() {
        if (pos != lim || mark >= 0 || pool == null) return buf == NONE;
        byte[] b = buf;
        buf = NONE; // never touched again here: the pool may hand it to another connection at once
        pos = lim = 0;
        pool.give(b);
        return true;
    }

    /** True while this input holds a read buffer (for tests). */
    boolean holdsBuffer() {
        return buf != NONE;
    }

    /** Bytes buffered and not yet consumed. */
    public int buffered() {
        return lim - pos;
    }

    /** Remembers the current position; {@link #rewind()} returns to it. */
    public void mark() {
        mark = pos;
    }

    /** Returns to the last {@link #mark()}, un-consuming what was read since. */
    public void rewind() {
        if (mark >= 0) pos = mark;
    }

    /** Forgets the mark, letting the buffer reclaim the space and shrink back to its configured size. */
    public void unmark() {
        mark = -1;
        if (buf.length > bufferSize && lim - pos <= bufferSize) {
            byte[] small = newBuffer();
            System.arraycopy(buf, pos, small, 0, lim - pos);
            lim -= pos;
            pos = 0;
            buf = small;
        }
    }

    /**
     * Reads more bytes from the socket into the buffer.
     *
     * @return the number read, or -1 at end of stream
     */
    private int fill() throws IOException {
        if (eof) return -1;
        if (buf == NONE) {
            buf = newBuffer();
            pos = lim = 0;
        }
        int keep = mark >= 0 ? mark : pos;
        if (lim == buf.length) {
            if (keep > 0) {
                System.arraycopy(buf, keep, buf, 0, lim - keep);
                lim -= keep;
                pos -= keep;
                if (mark >= 0) mark = 0;
            } else {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
        }
        int n = transport.socketRead(in, buf, lim, buf.length - lim);
        if (n < 0) {
            eof = true;
            return -1;
        }
        lim += n;
        return n;
    }

    /**
     * Reads what arrives within {@code millis} into the buffer, without consuming it: for checking an
     * idle connection.
     *
     * @return the number of bytes read, 0 if none came in time, -1 at end of stream
     */
    public int probe(int millis) throws IOException {
        if (eof) return -1;
        if (pos == lim && mark < 0) pos = lim = 0;
        if (buf == NONE) buf = newBuffer();
        if (lim == buf.length) return 0; // full: the caller sees buffered bytes anyway
        int n = transport.socketProbe(in, buf, lim, buf.length - lim, millis);
        if (n < 0) {
            eof = true;
            releaseIfIdle();
            return -1;
        }
        lim += n;
        if (n == 0) releaseIfIdle(); // still idle: hold no buffer
        return n;
    }

    /**
     * Reads one line ending in LF. A CR right before the LF is dropped; a bare LF is accepted as a line
     * end, as RFC 9112 §2.2 allows a recipient to (a client is the last recipient of a response, so no
     * downstream parser can read the line differently). A CR anywhere else is rejected: RFC 9112 §2.2
     * allows no bare CR, and a parser that took it as a line end could be shown a different message.
     *
     * @param limit the most bytes the line may have, terminator included
     * @param what  names the line in error messages, e.g. "status line"
     * @return the line in ISO-8859-1, or null if the stream ended before any byte of it
     * @throws InvalidResponseException if the line is longer than {@code limit} or has a bare CR
     * @throws ConnectionClosedException if the stream ends inside the line
     */
    public String readLine(int limit, String what) throws IOException {
        int len = nextLine(limit, what);
        return len < 0 ? null : new String(buf, lineStart, len, StandardCharsets.ISO_8859_1);
    }

    /**
     * Consumes the next line like {@link #readLine}, but leaves it in the buffer instead of making a
     * String: read it from {@link #buffer()} at {@link #lineStart()} before the next call on this input.
     *
     * @return the line's length without its terminator, or -1 if the stream ended before its first byte
     */
    public int nextLine(int limit, String what) throws IOException {
        int scanned = pos;
        while (true) {
            int i = scanned;
            // Eight bytes at a time up to the first CR or LF (SWAR: a byte equal to the one looked for
            // becomes zero after the XOR, and the subtraction borrows into its high bit).
            while (i + 8 <= lim) {
                long w = (long) LONGS.get(buf, i);
                long lf = w ^ LFS;
                long cr = w ^ CRS;
                if (hasZeroByte(lf, cr)) break;
                i += 8;
            }
            for (; i < lim; i++) {
                byte c = buf[i];
                if (c == '\n') return endLine(i, i, limit, what);
                if (c == '\r') {
                    if (i + 1 == lim) break; // the LF may come with the next read
                    if (buf[i + 1] == '\n') return endLine(i + 1, i, limit, what);
                    return nextLineSlowly(limit, what); // a bare CR: the byte-wise reader decides how it fails
                }
            }
            if (lim - pos >= limit) throw tooLong(what, limit);
            int consumedBefore = pos;
            scanned = i;
            if (fill() < 0) {
                if (lim == pos) return -1;
                throw new ConnectionClosedException("connection closed in the middle of the " + what + " after "
                        + (lim - pos) + " bytes");
            }
            scanned -= consumedBefore - pos; // fill() may have moved the data to the front
        }
    }

    private static boolean hasZeroByte(long a, long b) {
        return (((a - ONES) & ~a & HIGHS) | ((b - ONES) & ~b & HIGHS)) != 0;
    }

    /** Consumes the line whose LF is at {@code lf} and whose content ends at {@code end}. */
    private int endLine(int lf, int end, int limit, String what) throws InvalidResponseException {
        if (lf + 1 - pos > limit) throw tooLong(what, limit);
        lineStart = pos;
        pos = lf + 1;
        return end - lineStart;
    }

    /** {@link #nextLine}, one byte at a time: for lines with a CR other than the one before the LF. */
    private int nextLineSlowly(int limit, String what) throws IOException {
        int scanned = pos;
        while (true) {
            for (int i = scanned; i < lim; i++) {
                if (buf[i] == '\n') {
                    if (i + 1 - pos > limit) throw tooLong(what, limit);
                    int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                    for (int k = pos; k < end; k++) {
                        if (buf[k] == '\r') {
                            throw new InvalidResponseException("the " + what + " has a CR that does not end it: "
                                    + HttpSyntax.quote(new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1)));
                        }
                    }
                    lineStart = pos;
                    pos = i + 1;
                    return end - lineStart;
                }
            }
            if (lim - pos >= limit) throw tooLong(what, limit);
            int consumedBefore = pos;
            scanned = lim;
            if (fill() < 0) {
                if (lim == pos) return -1;
                throw new ConnectionClosedException("connection closed in the middle of the " + what + " after "
                        + (lim - pos) + " bytes");
            }
            scanned -= consumedBefore - pos; // fill() may have moved the data to the front
        }
    }

    /** The buffer holding the line found by {@link #nextLine}. */
    public byte[] buffer() {
        return buf;
    }

    /** Where the line found by {@link #nextLine} starts in {@link #buffer()}. */
    public int lineStart() {
        return lineStart;
    }

    /**
     * Like {@link #readLine} but never blocks: returns null unless a whole line is already buffered.
     */
    public String readLineIfBuffered(int limit, String what) throws IOException {
        for (int i = pos; i < lim; i++) {
            if (buf[i] == '\n') return readLine(limit, what);
        }
        return null;
    }

    /**
     * True if the buffered bytes hold the rest of a header-like block: lines from the current position
     * up to and including an empty one. Lets a reader finish a block without blocking when it can.
     */
    public boolean blockEndBuffered() {
        int lineFrom = pos;
        for (int i = pos; i < lim; i++) {
            if (buf[i] != '\n') continue;
            if (i == lineFrom || (i == lineFrom + 1 && buf[lineFrom] == '\r')) return true;
            lineFrom = i + 1;
        }
        return false;
    }

    private InvalidResponseException tooLong(String what, int limit) {
        return new InvalidResponseException("the " + what + " is longer than the limit of " + limit + " bytes");
    }

    /**
     * Reads up to {@code len} bytes: buffered bytes first, else one socket read (straight into {@code b}
     * when the request is at least a buffer's worth, to save a copy).
     *
     * @return the number of bytes read, or -1 at end of stream
     */
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (pos == lim) {
            if (mark < 0 && len >= bufferSize && !eof) {
                int n = transport.socketRead(in, b, off, len);
                if (n < 0) eof = true;
                return n;
            }
            if (mark < 0) pos = lim = 0;
            if (fill() < 0) return -1;
        }
        int n = Math.min(len, lim - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    /**
     * Skips up to {@code len} bytes without copying them anywhere: buffered bytes first, else one
     * socket read into this input's own buffer, whose bytes are then dropped.
     *
     * @return the number of bytes skipped (at least 1 if {@code len > 0}), or -1 at end of stream
     */
    public int skip(long len) throws IOException {
        if (len <= 0) return 0;
        if (pos == lim) {
            if (mark < 0) pos = lim = 0;
            if (fill() < 0) return -1;
        }
        int n = (int) Math.min(len, lim - pos);
        pos += n;
        return n;
    }

    /**
     * Raw bytes for debugging: whatever is buffered (up to {@code max}), else one socket read.
     *
     * @return the bytes, empty at end of stream
     */
    public byte[] readRaw(int max) throws IOException {
        if (pos == lim && fill() < 0) return new byte[0];
        int n = Math.min(max, lim - pos);
        byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return out;
    }
}
