package io.dugong.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Buffered writes to one socket. Request heads and small bodies are gathered here so that a request
 * usually leaves in a single {@code write} call; large bodies go straight to the socket.
 *
 * <p>The buffer is held only while bytes wait in it: once they are sent it goes back to
 * {@link BufferPool#WRITE}, so an open connection with nothing to send holds none.
 */
public final class SocketOutput {
    private static final int MAX_RETAINED = 64 * 1024;
    private static final byte[] NONE = new byte[0];

    private final OutputStream out;
    private final Transport transport;
    /** The write buffer; {@link #NONE} while none is held. */
    private byte[] buf = NONE;
    private int count;
    /** Bytes handed to the socket so far (not counting those still buffered). */
    private long sent;

    SocketOutput(OutputStream out, Transport transport) {
        this.out = out;
        this.transport = transport;
    }

    /** Appends a string of ISO-8859-1 characters (already validated to be {@code <= 0xFF}). */
    public void writeLatin1(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) buf[count++] = (byte) s.charAt(i);
    }

    /** Appends CR LF. */
    public void crlf() {
        ensure(2);
        buf[count++] = '\r';
        buf[count++] = '\n';
    }

    /** Appends a number in decimal. */
    public void writeDecimal(long v) {
        writeLatin1(Long.toString(v));
    }

    /** Appends a number in hexadecimal (chunk sizes). */
    public void writeHex(long v) {
        writeLatin1(Long.toHexString(v));
    }

    /**
     * Writes bytes: copied into the buffer when they fit the buffer's retained size, else the buffer
     * is flushed and the bytes written directly.
     */
    public void write(byte[] b, int off, int len) throws IOException {
        if (count + len <= Math.max(buf.length, MAX_RETAINED) && len <= MAX_RETAINED / 2) {
            ensure(len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
            return;
        }
        flushBuffer();
        transport.socketWrite(out, b, off, len);
        sent += len;
    }

    /** Sends everything buffered. */
    public void flush() throws IOException {
        flushBuffer();
        transport.socketFlush(out);
    }

    /** Bytes accepted so far, buffered or sent: the difference between two calls is what was written between them. */
    public long total() {
        return sent + count;
    }

    /** Bytes buffered and not yet sent. */
    public int pending() {
        return count;
    }

    /** Drops anything buffered (after a failure, or when a request is abandoned before sending). */
    public void discardBuffered() {
        count = 0;
        release();
    }

    /** True while a write buffer is held (for tests). */
    boolean holdsBuffer() {
        return buf != NONE;
    }

    private void flushBuffer() throws IOException {
        if (count == 0) return;
        int n = count;
        count = 0; // whether or not the write succeeds, those bytes are no longer ours to resend
        sent += n;
        transport.socketWrite(out, buf, 0, n);
        // Only after the write returned: the socket no longer reads from the array. A buffer grown by
        // batching is kept while requests are in flight (more are likely to follow), not re-grown per batch.
        if (buf.length == BufferPool.WRITE.size() || buf.length > MAX_RETAINED || transport.outstanding() <= 1) release();
    }

    /** Gives the empty buffer back to the pool (a grown one is dropped); the next write takes one again. */
    private void release() {
        byte[] b = buf;
        buf = NONE; // never touched again here: the pool may hand it to another connection at once
        BufferPool.WRITE.give(b);
    }

    private void ensure(int more) {
        if (count + more > buf.length) {
            if (buf == NONE && more <= BufferPool.WRITE.size()) {
                buf = BufferPool.WRITE.take();
                return;
            }
            buf = Arrays.copyOf(buf, Math.max(Math.max(buf.length * 2, BufferPool.WRITE.size()), count + more));
        }
    }
}
