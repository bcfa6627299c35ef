package io.dugong;

import io.dugong.internal.ExchangeEvent;
import io.dugong.internal.Transport;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One request on a connection and where its exchange stands: the state machine that the sender half
 * and the reader half share. Every change of state is a method here, so the legal transitions are in
 * one place; each half only asks.
 *
 * <p>An exchange has two sides that move at the same time — the request going out ({@link Sending})
 * and its response coming in ({@link Answer}) — because the reader may read an answer while the body
 * is still being written (a server may answer early). It is <em>settled</em> once both sides are done;
 * only then does its transport count it as finished, so an idle transport really has nothing on it.
 */
final class Exchange {
    /** How far the request has gone out. */
    enum Sending {
        /** An {@code Expect: 100-continue} head was sent; the body waits for 100 (or the fallback). */
        AWAITING_CONTINUE,
        /** The head, and then the body, are being written. */
        WRITING_BODY,
        /** Completely written. */
        SENT,
        /** A write failed part-way; the server may still have answered. */
        SEND_FAILED,
        /** A final status came instead of 100 (or the exchange was lost first): the body is never sent. */
        BODY_WITHHELD;

        boolean finished() {
            return this == SENT || this == SEND_FAILED || this == BODY_WITHHELD;
        }
    }

    /** How far its response has come in. */
    enum Answer {
        /** No final head yet. */
        AWAITED,
        /** The head was read; the body is being read. */
        READING_BODY,
        /** Read to its end. */
        DONE,
        /** No response will be read for it. */
        LOST
    }

    private static final VarHandle SENDING;
    private static final VarHandle SETTLED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SENDING = lookup.findVarHandle(Exchange.class, "sending", Sending.class);
            SETTLED = lookup.findVarHandle(Exchange.class, "settled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String method;
    /** The caller's target (origin-form), also when the wire carries the absolute form for a proxy. */
    final String target;
    final Body body;
    final boolean expect100;
    final Transport transport;
    /** Told when the request starts to leave and when it enters flight (a pipeline's attempt); may be null. */
    private final SendListener listener;
    /** How far the request got; updated through {@link #SENDING} (a field, not an AtomicReference: one object less per request). */
    private volatile Sending sending = Sending.WRITING_BODY;
    private volatile Answer answer = Answer.AWAITED;
    /** Set once, through {@link #SETTLED}. */
    private volatile boolean settled;
    /** System.nanoTime() when the request was last completely sent: the head timeout counts from here. */
    private volatile long sentNanos;
    /** Sender thread only: whether it has been handed to the reader half. */
    private boolean inFlight;
    /** Times this exchange for JFR; null when no recording wants it, and once recorded. */
    private volatile ExchangeEvent event;
    /** The final status, once its head is read (for the event). */
    private int status;

    private Exchange(String method, String target, Body body, boolean expect100, Transport transport, SendListener listener) {
        this.method = method;
        this.target = target;
        this.body = body;
        this.expect100 = expect100;
        this.transport = transport;
        this.listener = listener;
    }

    /** An exchange about to be written on {@code transport}, which counts it from now (before its first byte). */
    static Exchange start(String method, String origin, String target, Body body, boolean expect100,
                          Transport transport, SendListener listener) {
        transport.exchangeStarted();
        if (listener != null) listener.writing();
        Exchange ex = new Exchange(method, target, body, expect100, transport, listener);
        ExchangeEvent e = listener != null ? listener.event() : null;
        if (e == null) e = ExchangeEvent.startIfEnabled(method, origin, target);
        if (e != null) e.writeStarted();
        ex.event = e;
        return ex;
    }

    /** True while a JFR recording times this exchange: the event's inputs are worth computing. */
    boolean timed() {
        return event != null;
    }

    /** For the event: the request is written ({@code bytes} of it), with {@code depth} requests in flight. */
    void written(long bytes, int depth) {
        ExchangeEvent e = event;
        if (e != null) e.written(bytes, depth);
    }

    Sending sending() {
        return sending;
    }

    Answer answer() {
        return answer;
    }

    long sentNanos() {
        return sentNanos;
    }

    // ---- sender side

    /** The expect100 head is about to leave: the body waits. Once it is flushed, the caller puts it in flight. */
    void headSentAwaitingContinue() {
        sending = Sending.AWAITING_CONTINUE;
        sentNanos = System.nanoTime();
    }

    /**
     * Marks the exchange as handed to the reader half (sender thread).
     *
     * @return true the first time: the caller then queues it for reading
     */
    boolean enterFlight() {
        if (inFlight) return false;
        inFlight = true;
        return true;
    }

    /**
     * The sender gives up waiting for 100 (RFC 9110 §10.1.1 fallback).
     *
     * @return true if the body may now be written; false if the reader already decided (100 or final status)
     */
    boolean skipContinue() {
        return SENDING.compareAndSet(this, Sending.AWAITING_CONTINUE, Sending.WRITING_BODY);
    }

    /**
     * The whole request is written.
     *
     * @return true if it enters flight now (the caller then queues it for reading)
     */
    boolean sent() {
        sentNanos = System.nanoTime();
        sending = Sending.SENT;
        settleIfDone();
        return enterFlight();
    }

    /**
     * A write failed part-way. The server may have answered (a 413 before closing, say), so the
     * response can still be read.
     *
     * @return true if it enters flight now
     */
    boolean sendFailed() {
        sentNanos = System.nanoTime();
        sending = Sending.SEND_FAILED;
        settleIfDone();
        return enterFlight();
    }

    /** True if {@code owner} is the listener this exchange was sent with. */
    boolean ownedBy(SendListener owner) {
        return owner != null && owner == listener;
    }

    /** Tells the listener (sender thread, after the receiver has queued this exchange). */
    void announceInFlight() {
        if (listener != null) listener.inFlight();
    }

    // ---- reader side

    /**
     * A 100 Continue arrived.
     *
     * @return true if this exchange was waiting for it (the body may now be written); false if it is an
     *         interim response to skip (the fallback already sent the body, or none was awaited)
     */
    boolean continueReceived() {
        return SENDING.compareAndSet(this, Sending.AWAITING_CONTINUE, Sending.WRITING_BODY);
    }

    /**
     * A final response head arrived; its body is read next.
     *
     * @return what the request side was doing: {@link Sending#BODY_WITHHELD} if this head answered
     *         instead of a 100 (the body will never be sent), {@link Sending#WRITING_BODY} if the server
     *         answered before the body was complete
     */
    Sending finalHead(int finalStatus) {
        status = finalStatus;
        ExchangeEvent e = event;
        if (e != null) e.firstByte();
        answer = Answer.READING_BODY;
        if (SENDING.compareAndSet(this, Sending.AWAITING_CONTINUE, Sending.BODY_WITHHELD)) return Sending.BODY_WITHHELD;
        return sending;
    }

    /** The response was read to its end, {@code bodyBytes} of body. */
    void answered(long bodyBytes) {
        answer = Answer.DONE;
        ExchangeEvent e = event;
        if (e != null) {
            event = null;
            e.done(status, bodyBytes);
        }
        settleIfDone();
    }

    /**
     * No response will be read, because of {@code cause}; a sender still waiting for 100 is released
     * without sending the body.
     */
    void lost(Throwable cause) {
        ExchangeEvent e = event;
        if (e != null) {
            event = null;
            e.failed(cause);
        }
        answer = Answer.LOST;
        SENDING.compareAndSet(this, Sending.AWAITING_CONTINUE, Sending.BODY_WITHHELD);
        settleIfDone();
    }

    private void settleIfDone() {
        if (sending.finished() && (answer == Answer.DONE || answer == Answer.LOST)
                && SETTLED.compareAndSet(this, false, true)) {
            transport.exchangeDone();
        }
    }

    @Override
    public String toString() {
        return method + " " + target;
    }
}
