package io.dugong;

import io.dugong.internal.BodyDecoder;
import io.dugong.internal.Durations;
import io.dugong.internal.ResponseParser;
import io.dugong.internal.SocketInput;
import io.dugong.internal.Transport;
import io.dugong.internal.WireLog;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The reader half of an {@link HttpConnection}: reads response heads (skipping interim responses),
 * frames and reads their bodies, strictly in the order the requests went in flight. Every way an
 * exchange can end here — answered, failed, timed out, abandoned — goes through {@link #endOfBody()}
 * or {@link #lose}, so the queue of requests in flight never keeps an exchange whose response was
 * consumed, nor drops one whose response was not.
 */
final class ResponseReceiver {
    private static final int INITIAL_READ_ALL = 8 * 1024;
    private static final long MAX_PRESIZE = 16L * 1024 * 1024;
    private static final OptionalLong ZERO = OptionalLong.of(0);
    /** The largest array the JVM reliably allocates. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final ReentrantLock lock = new ReentrantLock();
    /** Requests in flight whose responses have not been read to the end, oldest first. */
    // A queue, not a deque: added to at the tail by the sender, taken from the head by the reader (which
    // alone removes), so the cheaper singly linked queue does; see remove().
    private final ConcurrentLinkedQueue<Exchange> inFlight = new ConcurrentLinkedQueue<>();
    private final ResponseParser parser;
    private final Duration headTimeout;
    private final int maxInterimResponses;
    private final TransportSlot slot;
    private RequestSender sender;

    private Exchange reading;
    private BodyDecoder body;
    /** Body bytes of the current response read so far. */
    private long bodyBytes;
    /** The response whose body failed, and how, until the next {@code readResponse}: its reads keep failing. */
    private Exchange failedBody;
    private String bodyFailure;
    private boolean closeAfterBody;
    private String closeReason;
    private boolean closeAnnounced;
    private Transport lastRead;
    /** The length of the last Content-Length response, shared by the next ones of that length. */
    private OptionalLong lastLength;
    /** What the last final response head said about the server, for a pipeline's learning; see {@link ResponseFacts}. */
    private volatile ResponseFacts lastFacts;

    ResponseReceiver(ResponseParser parser, Duration headTimeout, int maxInterimResponses, TransportSlot slot) {
        this.parser = parser;
        this.headTimeout = headTimeout;
        this.maxInterimResponses = maxInterimResponses;
        this.slot = slot;
    }

    /** Wires the sender half in (they refer to each other). */
    void sender(RequestSender s) {
        this.sender = s;
    }

    /** Queues a request whose response may now be read (sender half), then tells its owner. */
    void enterFlight(Exchange ex) {
        inFlight.add(ex);
        ex.announceInFlight();
    }

    /** See {@link HttpConnection#readResponse()}. */
    ResponseHead readResponse() throws IOException {
        lock("readResponse");
        try {
            if (body != null) {
                throw new StateException("readResponse: the body of the response to " + reading
                        + " has not been read to its end (read, readAll or discard it first)");
            }
            failedBody = null;
            bodyFailure = null;
            Exchange ex = inFlight.peek();
            if (ex == null) {
                Exchange pending = sender.pending();
                throw new StateException("readResponse: no request is in flight"
                        + (pending != null ? " (the body of " + pending + " is not finished)" : ""));
            }
            if (ex.sending() == Exchange.Sending.WRITING_BODY && !sender.busyOnAnotherThread()) {
                // Nobody is writing that body, so no answer can come for it: fail fast, changing nothing.
                throw new StateException("readResponse: the body of " + ex + " has not been sent yet; write it first");
            }
            Transport t = ex.transport;
            lastRead = t;
            String dead = t.deadReason();
            if (dead != null) {
                String message = ex + " was sent but will not be answered: " + dead;
                ConnectionClosedException e = t.closedAsAnnounced() ? new NotProcessedException(message)
                        : new ConnectionClosedException(message);
                lose(ex, e);
                throw e;
            }
            SocketInput in = t.input();
            in.mark();
            if (headTimeout != null) t.readDeadline(ex.sentNanos() + Durations.nanos(headTimeout));
            try {
                return readHead(ex, t, in);
            } catch (ConnectionTimedOutException e) {
                if (t.deadlinePassed()) {
                    // The whole-head deadline: a server trickling bytes may not hold the request longer.
                    in.unmark();
                    ConnectionTimedOutException timeout = new ConnectionTimedOutException("no complete response head for "
                            + ex + " within the head timeout of " + headTimeout + "; the connection is closed", e);
                    lose(ex, timeout);
                    t.kill(timeout.getMessage(), true);
                    throw timeout;
                }
                in.rewind(); // nothing consumed: the caller may try again
                throw e;
            } catch (IOException | RuntimeException e) {
                in.unmark();
                lose(ex, e);
                t.kill("the connection failed reading the response to " + ex + ": " + e.getMessage(),
                        !(e instanceof InvalidResponseException));
                throw e;
            } finally {
                t.readDeadline(0);
            }
        } finally {
            lock.unlock();
        }
    }

    private ResponseHead readHead(Exchange ex, Transport t, SocketInput in) throws IOException {
        int interim = 0;
        while (true) {
            ResponseParser.Head h = parser.readHead(in);
            if (h == null) {
                throw new ConnectionClosedException("the server closed the connection without answering " + ex
                        + (ex.sending() == Exchange.Sending.SEND_FAILED ? " (sending it had failed)" : ""));
            }
            int status = h.status();
            if (status == 100 && ex.continueReceived()) {
                in.unmark();
                return head(ex, h, ZERO);
            }
            if (status == 101) {
                throw new UnsupportedResponseException("101 Switching Protocols in answer to " + ex
                        + ", which asked for no upgrade");
            }
            if (status < 200) {
                if (++interim > maxInterimResponses) {
                    throw new InvalidResponseException("more than " + maxInterimResponses
                            + " interim (1xx) responses before the answer to " + ex);
                }
                in.mark(); // an interim response to skip; a retry after a timeout starts after it
                continue;
            }
            ResponseParser.Framing framing = parser.framing(h, ex.method);
            in.unmark();
            Exchange.Sending requestWas = ex.finalHead(status);
            bodyBytes = 0;
            reading = ex;
            closeAnnounced = framing.announced();
            boolean announcedClose = framing.closeAfter() && framing.announced();
            ResponseFacts facts = lastFacts;
            if (facts == null || facts.connection() != t || facts.minorVersion() != h.minorVersion()
                    || facts.closeAnnounced() != announcedClose) {
                lastFacts = new ResponseFacts(t, h.minorVersion(), announcedClose); // a record: the same facts are shared
            }
            closeAfterBody = true;
            if (requestWas == Exchange.Sending.BODY_WITHHELD) {
                // A final status instead of 100: the server may still expect the body, so the connection
                // cannot carry another request.
                closeReason = "the server answered " + ex + " without 100 Continue, so its body was never sent";
            } else if (requestWas == Exchange.Sending.WRITING_BODY) {
                closeReason = "the server answered " + ex + " before its body was completely sent";
            } else if (requestWas == Exchange.Sending.SEND_FAILED) {
                closeReason = "sending " + ex + " had failed";
            } else if (framing.closeAfter()) {
                closeReason = "the server closed the connection after answering " + ex;
            } else {
                closeAfterBody = false;
                closeReason = null;
            }
            body = BodyDecoder.of(framing, in, parser);
            OptionalLong length = switch (framing.kind()) {
                case NONE -> ZERO;
                case FIXED -> lengthOf(framing.length());
                default -> OptionalLong.empty();
            };
            ResponseHead head = head(ex, h, length);
            WireLog.get().responseHead(t.peer(), status, h.reason(), head.headers());
            if (closeAfterBody) t.stopReuse();
            if (body.isComplete()) endOfBody();
            return head;
        }
    }

    /** {@code OptionalLong.of(n)}, shared with the previous response when it had the same length (mostly it does). */
    private OptionalLong lengthOf(long n) {
        OptionalLong l = lastLength;
        if (l == null || l.getAsLong() != n) lastLength = l = OptionalLong.of(n);
        return l;
    }

    private static ResponseHead head(Exchange ex, ResponseParser.Head h, OptionalLong length) {
        return new ResponseHead(ex.method, ex.target, h.status(), h.reason(), Headers.ofTrusted(h.fields()), length);
    }

    /** See {@link HttpConnection#read(byte[], int, int)}. */
    int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        lock("read");
        try {
            return readBody(b, off, len);
        } finally {
            lock.unlock();
        }
    }

    /** See {@link HttpConnection#readAll()}. */
    byte[] readAll() throws IOException {
        lock("readAll");
        try {
            if (body == null) return new byte[0];
            long known = body.remainingLength();
            if (known >= 0) {
                // Trust Content-Length for sizing only up to a bound, so a lying header cannot exhaust the heap.
                byte[] buf = new byte[(int) Math.min(known, MAX_PRESIZE)];
                int count = 0;
                while (body != null) { // null once the body is complete, often right after its last byte
                    if (count == buf.length) buf = Arrays.copyOf(buf, grown(count, INITIAL_READ_ALL));
                    int n = readBody(buf, count, buf.length - count);
                    if (n < 0) break;
                    count += n;
                }
                return count == buf.length ? buf : Arrays.copyOf(buf, count);
            }
            return readAllUnframed();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads a body of unknown length (chunked, or until close). The array grows to fit each chunk as
     * its size becomes known, so a large chunk is read straight into it (no intermediate copy), and a
     * body of one chunk needs no final trimming copy.
     */
    private byte[] readAllUnframed() throws IOException {
        byte[] buf = new byte[0];
        int count = 0;
        while (body != null) {
            if (count == buf.length) {
                // A read of 0 moves over the next chunk-size line, telling how much is coming (or ending the body).
                if (readBody(buf, count, 0) < 0 || body == null) break;
                long ahead = body.knownAhead();
                buf = Arrays.copyOf(buf, grown(count, ahead > 0 ? Math.min(ahead, MAX_PRESIZE) : INITIAL_READ_ALL));
            }
            int n = readBody(buf, count, buf.length - count);
            if (n < 0) break;
            count += n;
        }
        return count == buf.length ? buf : Arrays.copyOf(buf, count);
    }

    /** A new array length for {@code count} bytes and at least {@code more}: grows geometrically, so many small chunks cost linear copying. */
    private static int grown(int count, long more) {
        if (count >= MAX_ARRAY) throw new OutOfMemoryError("a response body of more than " + MAX_ARRAY + " bytes does not fit in an array");
        return (int) Math.min(MAX_ARRAY, count + Math.max(more, Math.min(count, MAX_PRESIZE)));
    }

    /** See {@link HttpConnection#discard()}. */
    long discard() throws IOException {
        lock("discard");
        try {
            return drain();
        } finally {
            lock.unlock();
        }
    }

    /** See {@link HttpConnection#responseBody()}. */
    InputStream responseBody() {
        lock("responseBody");
        try {
            return new BodyStream(reading);
        } finally {
            lock.unlock();
        }
    }

    /** A stream over one response's body: -1 once that response is over, whatever the connection does next. */
    private final class BodyStream extends InputStream {
        private final Exchange owner;

        BodyStream(Exchange owner) {
            this.owner = owner;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            lock("read");
            try {
                return owner != null && (owner == reading || owner == failedBody) ? readBody(b, off, len) : -1;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            lock("close");
            try {
                if (owner != null && owner == reading) drain(); // a failed body has nothing left to discard
            } finally {
                lock.unlock();
            }
        }
    }

    /** See {@link HttpConnection#readRaw(int)}. */
    byte[] readRaw(int max) throws IOException {
        lock("readRaw");
        try {
            Transport t = lastRead != null ? lastRead : slot.current();
            if (t == null) throw new StateException("readRaw: the connection has never been opened");
            return t.input().readRaw(max);
        } finally {
            lock.unlock();
        }
    }

    /** True while a request is in flight whose response has not been read to its end. */
    boolean responsePending() {
        return !inFlight.isEmpty();
    }

    /**
     * Drops the rest of the current body; the one loop that skips a body. Bytes already buffered are
     * stepped over, and further ones read into the connection's own buffer and dropped: none is copied.
     */
    private long drain() throws IOException {
        if (body == null) return 0;
        long skipped = 0;
        for (int n; (n = readBody(null, 0, Integer.MAX_VALUE)) >= 0; ) skipped += n;
        return skipped;
    }

    /** Reads body bytes into {@code b}, or skips them if {@code b} is null; every failure is handled here. */
    private int readBody(byte[] b, int off, int len) throws IOException {
        BodyDecoder d = body;
        if (d == null) {
            // A body that failed never turns into a clean end: that would be a silent truncation.
            if (failedBody != null) throw new ConnectionClosedException("the body of the response to " + failedBody
                    + " failed earlier: " + bodyFailure);
            return -1;
        }
        Exchange ex = reading;
        int n;
        try {
            String dead = ex.transport.deadReason();
            if (dead != null) {
                // disconnect() (or a failure elsewhere) ended the connection: buffered bytes are not served.
                throw new ConnectionClosedException("the body of the response to " + ex + " cannot be read: " + dead);
            }
            n = b == null ? d.skip(len) : d.read(b, off, len);
        } catch (IOException | RuntimeException e) {
            // Mid-body, a timeout or an error leaves the connection out of step: nothing behind can be read.
            body = null;
            reading = null;
            failedBody = ex;
            bodyFailure = e.toString();
            lose(ex, e);
            ex.transport.kill("the connection failed reading the body of the response to " + ex + ": " + e.getMessage(),
                    !(e instanceof InvalidResponseException));
            throw e;
        }
        if (n > 0) bodyBytes += n;
        if (d.isComplete()) endOfBody();
        return n;
    }

    private void endOfBody() {
        Exchange ex = reading;
        Transport t = ex.transport;
        body = null;
        reading = null;
        remove(ex);
        // Idle once this exchange settles: the read buffer goes back to the shared pool until the next
        // response. Done before it settles, so that a sender finding the connection idle (and probing it
        // with a buffer of its own) comes after this in happens-before order.
        if (t.outstanding() <= 1) t.input().releaseIfIdle();
        if (closeAfterBody && closeAnnounced) {
            t.closeAsAnnounced("the server announced it would close the connection after answering " + ex);
        } else if (closeAfterBody) {
            t.kill(closeReason, true);
        }
        ex.answered(bodyBytes);
        if (!closeAfterBody && t.outstanding() == 0 && t.input().buffered() > 0) {
            // Bytes after the last response, with nothing else sent: they answer nothing.
            String why = "bytes arrived after the response to " + ex + " with no other request in flight;"
                    + " the connection is out of sync";
            t.kill(why, true);
            WireLog.get().event(t.peer(), why);
        }
    }

    /**
     * Gives up on the response to the request sent with {@code owner} (its listener), if it
     * is still the one being read or next to be read: it is dropped, and the transport it was sent on
     * closed, so requests behind it there fail fast. Does nothing if that response already ended
     * (read, or lost with its transport), so a caller may always call it after a failure.
     */
    void abandon(SendListener owner, String reason) {
        lock("abandon");
        try {
            Exchange ex = body != null ? reading : inFlight.peek();
            if (ex == null || !ex.ownedBy(owner)) return;
            body = null;
            reading = null;
            lose(ex, new ConnectionClosedException(reason));
            ex.transport.kill(reason, true);
        } finally {
            lock.unlock();
        }
    }

    /** {@code ex} will get no response, because of {@code cause}. */
    private void lose(Exchange ex, Throwable cause) {
        remove(ex);
        ex.lost(cause);
    }

    /**
     * Takes {@code ex} out of the queue: mostly it is the head (responses come in order), and only the
     * reader half removes, so the head seen is the head polled.
     */
    private void remove(Exchange ex) {
        if (inFlight.peek() == ex) inFlight.poll();
        else inFlight.remove(ex);
    }

    /** Every transport a request in flight (or the last response) used, for closing them all. */
    List<Transport> transports() {
        List<Transport> all = new ArrayList<>();
        Transport last = lastRead;
        if (last != null) all.add(last);
        for (Exchange ex : inFlight) {
            if (!all.contains(ex.transport)) all.add(ex.transport);
        }
        return all;
    }

    /** What the last final response head told about its server; null before the first. */
    ResponseFacts lastFacts() {
        return lastFacts;
    }

    /** The transport of the response read last (or being read), or null; identifies a TCP connection. */
    Object lastTransportRead() {
        return lastRead;
    }

    int inFlightCount() {
        return inFlight.size();
    }

    /** Forgets everything; for {@link HttpConnection#reset()}, which holds both halves. */
    void clear() {
        inFlight.clear();
        body = null;
        reading = null;
        lastRead = null;
    }

    ReentrantLock lock() {
        return lock;
    }

    private void lock(String op) {
        if (!lock.tryLock()) {
            throw new StateException(op + ": another thread is using the reader half of this connection");
        }
    }
}
