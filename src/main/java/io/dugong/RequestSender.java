package io.dugong;

import io.dugong.internal.Connector;
import io.dugong.internal.RequestWriter;
import io.dugong.internal.SocketOutput;
import io.dugong.internal.Transport;
import io.dugong.internal.WireLog;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sender half of an {@link HttpConnection}: writes request heads and bodies, one body in progress
 * at a time, and hands each request to the {@link ResponseReceiver} once it is in flight. Knows nothing
 * of responses except what the shared {@link Exchange} state says.
 */
final class RequestSender {
    private static final int SCRATCH_SIZE = 16 * 1024;
    /** Most bytes of unflushed requests a pipeline's burst leaves buffered before they are written. */
    static final int BATCH_LIMIT = 32 * 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final TransportSlot slot;
    private final ResponseReceiver receiver;
    private final Connector connector;
    private final String hostHeader;
    /** The connector's origin and authority, made once: they are strings built on every call. */
    private final String origin;
    private final String authority;
    /** The request whose body is unfinished or waits for 100; null or finished when the half is free. */
    private Exchange current;
    /** Bytes still to write of a fixed-length body; -1 for a chunked one. */
    private long bodyRemaining;
    /** {@link SocketOutput#total()} when the current request's head started, to count its bytes. */
    private long startTotal;

    RequestSender(TransportSlot slot, ResponseReceiver receiver, Connector connector, String hostHeader) {
        this.slot = slot;
        this.receiver = receiver;
        this.connector = connector;
        this.hostHeader = hostHeader;
        this.origin = connector.origin();
        this.authority = connector.authority();
    }

    /** See {@link HttpConnection#sendRequest(Request, Runnable, boolean)}. */
    void send(Request request, SendListener listener, boolean flush) throws IOException {
        Objects.requireNonNull(request, "request");
        lock("sendRequest");
        try {
            if (!idle()) throw notIdle("sendRequest(" + request + ")"); // the message is built only on failure
            Headers headers = request.headers(); // checked when the Request was built (RequestChecks)
            String method = request.method();
            Body body = request.body();
            long length = body.length().orElse(-1);
            boolean expect100 = request.expect100() && length != 0;
            boolean absolute = connector.absoluteFormTargets();
            String wireTarget = absolute ? absoluteForm(request) : request.originForm();
            if (absolute && connector.proxyAuthorization() != null && !headers.contains("Proxy-Authorization")) {
                headers = headers.toBuilder().add("Proxy-Authorization", connector.proxyAuthorization()).build();
            }
            long announced = body instanceof Body.Empty && !methodDefinesContent(method) ? -1 : length;

            Transport t = slot.forSending();
            Exchange ex = Exchange.start(method, origin, request.originForm(), body, expect100, t, listener);
            current = ex;
            SocketOutput out = t.output();
            startTotal = out.total();
            try {
                RequestWriter.writeHead(out, method, wireTarget, headers.contains("Host") ? null : hostHeader, headers,
                        announced, length < 0, expect100);
                WireLog.get().requestHead(authority, method, wireTarget, headers);
                bodyRemaining = body instanceof Body.Following ? length : -1;
                if (expect100) {
                    ex.headSentAwaitingContinue();
                    out.flush();
                    // In flight once the head is sent: the 100 or a final status answers it.
                    if (ex.enterFlight()) receiver.enterFlight(ex);
                } else if (body instanceof Body.Following || body instanceof Body.Chunked) {
                    out.flush();
                    if (length == 0) sent(ex);
                } else {
                    writeContent(out, body);
                    if (flush || out.pending() >= BATCH_LIMIT) out.flush();
                    sent(ex);
                }
            } catch (IOException | RuntimeException e) {
                sendFailed(ex, e);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /** See {@link HttpConnection#write(byte[], int, int)}. */
    void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        lock("write");
        try {
            Exchange ex = requireWritableBody("write");
            if (!(ex.body instanceof Body.Following || ex.body instanceof Body.Chunked)) {
                throw new StateException("write: the body of " + ex + " is held by the request; call finishBody() to send it");
            }
            if (bodyRemaining >= 0 && len > bodyRemaining) {
                throw new IllegalArgumentException("write of " + len + " bytes exceeds the " + bodyRemaining
                        + " bytes left of the body of " + ex + "; nothing was written");
            }
            SocketOutput out = ex.transport.output();
            try {
                if (bodyRemaining < 0) {
                    RequestWriter.writeChunk(out, b, off, len);
                } else {
                    out.write(b, off, len);
                    bodyRemaining -= len;
                }
                out.flush();
            } catch (IOException | RuntimeException e) {
                sendFailed(ex, e);
                throw e;
            }
            if (bodyRemaining == 0) sent(ex);
        } finally {
            lock.unlock();
        }
    }

    /** See {@link HttpConnection#finishBody()}. */
    void finishBody() throws IOException {
        lock("finishBody");
        try {
            finishBodyLocked();
        } finally {
            lock.unlock();
        }
    }

    private void finishBodyLocked() throws IOException {
        if (idle()) return;
        Exchange ex = requireWritableBody("finishBody");
        if (ex.body instanceof Body.Following) {
            throw new StateException("finishBody: " + bodyRemaining + " of the " + ex.body.length().orElseThrow()
                    + " announced body bytes of " + ex + " are still to be written");
        }
        SocketOutput out = ex.transport.output();
        try {
            if (ex.body instanceof Body.Chunked) {
                RequestWriter.writeLastChunk(out);
            } else {
                writeContent(out, ex.body);
            }
            out.flush();
        } catch (IOException | RuntimeException e) {
            sendFailed(ex, e);
            throw e;
        }
        sent(ex);
    }

    /** See {@link HttpConnection#skipContinue()}. */
    boolean skipContinue() {
        lock("skipContinue");
        try {
            Exchange ex = current;
            return ex != null && ex.skipContinue();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends the held body of the request waiting for 100 — now, without waiting further (the fallback
     * of RFC 9110 §10.1.1), or after the 100 came — in one hold of the sender half, so that the reader
     * never finds that body half-written while the half looks free. Does nothing if a final status
     * came instead.
     */
    void sendHeldBody() throws IOException {
        lock("sendHeldBody");
        try {
            Exchange ex = current;
            if (ex != null) ex.skipContinue();
            finishBodyLocked();
        } finally {
            lock.unlock();
        }
    }

    /** See {@link HttpConnection#flush()}. */
    void flush() throws IOException {
        lock("flush");
        try {
            Transport t = slot.current();
            if (t == null) return;
            try {
                t.output().flush();
            } catch (IOException | RuntimeException e) {
                t.output().discardBuffered();
                t.stopReuse(); // requests already in flight there fail when read, and are replayed
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /** See {@link HttpConnection#connect()}. */
    void connect() throws IOException {
        lock("connect");
        try {
            slot.forSending();
        } finally {
            lock.unlock();
        }
    }

    /** True if another thread is inside the sender half right now (writing a body, say). */
    boolean busyOnAnotherThread() {
        return lock.isLocked() && !lock.isHeldByCurrentThread();
    }

    /** Forgets the request in progress; for {@link HttpConnection#reset()}, which holds both halves. */
    void clear() {
        current = null;
    }

    ReentrantLock lock() {
        return lock;
    }

    /** What the half is busy with, for messages; null when free. */
    Exchange pending() {
        return idle() ? null : current;
    }

    private boolean idle() {
        Exchange ex = current;
        return ex == null || ex.sending().finished();
    }

    private StateException notIdle(String op) {
        Exchange ex = current;
        return new StateException(op + ": " + (ex.sending() == Exchange.Sending.AWAITING_CONTINUE
                ? ex + " is waiting for 100 Continue (readResponse first)"
                : "the body of " + ex + " is not finished (write the rest, or finishBody())"));
    }

    private Exchange requireWritableBody(String op) {
        Exchange ex = current;
        Exchange.Sending s = ex == null ? null : ex.sending();
        if (s == Exchange.Sending.AWAITING_CONTINUE) {
            throw new StateException(op + ": the request " + ex + " is waiting for 100 Continue; read it first");
        }
        if (s != Exchange.Sending.WRITING_BODY) throw new StateException(op + ": no request body is pending");
        return ex;
    }

    private void sent(Exchange ex) {
        // Done with it here: not kept (with its owner's call and response) until the next request comes.
        if (current == ex) current = null;
        boolean enters = ex.sent();
        // Timed before it is handed over: the reader may end the exchange (and its event) at once.
        // Only for a recording: counting the requests in flight walks the whole queue.
        if (ex.timed()) ex.written(ex.transport.output().total() - startTotal, receiver.inFlightCount() + (enters ? 1 : 0));
        if (enters) receiver.enterFlight(ex);
    }

    /**
     * A write failed. The request may have reached the server in part, which may have answered it, so
     * it goes in flight and its response can still be read.
     */
    private void sendFailed(Exchange ex, Throwable cause) {
        ex.transport.output().discardBuffered();
        ex.transport.stopReuse();
        if (!(cause instanceof ConnectionClosedException || cause instanceof ConnectionTimedOutException)) {
            // Not a socket failure but the body's source (a file, a stream) or a bug: the wire now holds a
            // request that can never be completed, so no response can be read from it either.
            ex.transport.kill("sending " + ex + " failed: " + cause, true);
        }
        if (ex.sendFailed()) receiver.enterFlight(ex);
    }

    private void writeContent(SocketOutput out, Body body) throws IOException {
        if (body instanceof Body.Bytes bytes) {
            out.write(bytes.content(), 0, bytes.content().length);
        } else if (body instanceof Body.FileBody file) {
            try (InputStream in = Files.newInputStream(file.file())) {
                copyExactly(in, out, file.length().orElseThrow(), "file " + file.file());
            }
        } else if (body instanceof Body.Streamed streamed) {
            try (InputStream in = streamed.source().open()) {
                if (streamed.contentLength() >= 0) {
                    copyExactly(in, out, streamed.contentLength(), "the body stream");
                } else {
                    byte[] chunk = new byte[SCRATCH_SIZE];
                    for (int n; (n = in.read(chunk)) >= 0; ) RequestWriter.writeChunk(out, chunk, 0, n);
                    RequestWriter.writeLastChunk(out);
                }
            }
        }
    }

    /** Copies exactly the announced length: a source that is short or long would corrupt the framing. */
    private static void copyExactly(InputStream in, SocketOutput out, long expected, String what) throws IOException {
        long sent = 0;
        byte[] chunk = new byte[SCRATCH_SIZE];
        for (int n; sent < expected && (n = in.read(chunk, 0, (int) Math.min(chunk.length, expected - sent))) > 0; ) {
            out.write(chunk, 0, n);
            sent += n;
        }
        if (sent != expected) {
            throw new IOException(what + " ended after " + sent + " of the " + expected + " bytes announced");
        }
        if (in.read() >= 0) {
            throw new IOException(what + " has more than the " + expected + " bytes announced");
        }
    }

    private String absoluteForm(Request request) {
        URI uri = request.uri();
        if (uri.isAbsolute()) return uri.toString();
        return "http://" + hostHeader + request.originForm();
    }

    /** RFC 9110 §8.6: send Content-Length: 0 for an empty body only where the method defines content. */
    private static boolean methodDefinesContent(String method) {
        return method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
    }

    private void lock(String op) {
        if (!lock.tryLock()) {
            throw new StateException(op + ": another thread is using the sender half of this connection");
        }
    }
}
