package io.dugong.internal;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * JFR event: one request and its response. The event's duration runs from the moment the request
 * was handed over (queued) to the end of its response body (or its failure); four timespans split it
 * into phases: {@code queued} (handed over → first byte written), {@code writing} (→ last byte of
 * the request written), {@code waiting} (→ first byte of the response) and {@code reading} (→ end
 * of the body).
 *
 * <p>Like the JDK's {@code jdk.SocketRead}, it has a default threshold of 20 ms: a recording with
 * default settings shows the slow exchanges only, so it stays small at 100,000 requests a second.
 * {@code -XX:StartFlightRecording:io.dugong.Exchange#threshold=0ms} (or
 * {@code recording.enable("io.dugong.Exchange").withoutThreshold()}) records every one; {@code #enabled=false}
 * none.
 *
 * <p>The phases are marked by whichever thread reaches them (caller, sender, reader); the object is
 * handed between them through the pipeline's own queues, which order the writes. When no recording
 * wants the event, {@link #startIfEnabled} returns null and nothing else happens: the call sites
 * test for null, so a disabled event costs one static check per request.
 *
 * <pre>{@code
 * ExchangeEvent e = ExchangeEvent.startIfEnabled("GET", "http://host:80", "/x");  // submit
 * e.writeStarted();                       // sender: first byte of this request
 * e.written(bytesOut, inFlightAtSend);    // sender: last byte
 * e.firstByte();                          // reader: response head starts
 * e.done(200, bytesIn);                   // reader: body read to its end; commits
 * }</pre>
 */
@Name(ExchangeEvent.NAME)
@Label("HTTP Exchange")
@Category({"dugong", "HTTP"})
@Description("One request and its response on a dugong connection, with the time spent queued, writing, waiting and reading")
@StackTrace(false)
@Threshold("20 ms")
public final class ExchangeEvent extends Event {
    /** The JFR name of this event. */
    public static final String NAME = "io.dugong.Exchange";
    /** Asked whether the event is enabled; JFR keeps that state per event class, not per instance. */
    private static final ExchangeEvent PROBE = new ExchangeEvent();

    /** The request method. */
    @Label("Method")
    public String method;

    /** {@code scheme://host:port} of the server. */
    @Label("Origin")
    public String origin;

    /** The request target (origin-form, or absolute through a proxy). */
    @Label("Target")
    public String target;

    /** The final status code; 0 when no response came. */
    @Label("Status")
    public int status;

    /** Request bytes written, head and body. */
    @Label("Bytes Out")
    @DataAmount
    public long bytesOut;

    /** Response body bytes read. */
    @Label("Bytes In")
    @DataAmount
    public long bytesIn;

    /** From hand-over to the first byte written. */
    @Label("Queued")
    @Timespan
    public long queued;

    /** From the first to the last byte of the request written. */
    @Label("Writing")
    @Timespan
    public long writing;

    /** From the request written to the first byte of its response. */
    @Label("Waiting")
    @Timespan
    public long waiting;

    /** From the first byte of the response to the end of its body. */
    @Label("Reading")
    @Timespan
    public long reading;

    /** Requests in flight on the connection when this one was sent, itself included. */
    @Label("Depth At Send")
    public int depthAtSend;

    /** Whether this is a replay on a new connection after the first one was closed unanswered. */
    @Label("Replayed")
    public boolean replayed;

    /** Why the exchange failed ({@code ExceptionClass: message}), or null. */
    @Label("Failure")
    public String failure;

    // Phase marks (System.nanoTime()); transient, so JFR does not record them.
    private transient long queuedAt;
    private transient long writeStartedAt;
    private transient long writtenAt;
    private transient long firstByteAt;

    /** Only {@link #startIfEnabled} makes one (and the probe). */
    private ExchangeEvent() {
    }

    /**
     * A started event for a request handed over now, or null when no recording wants it.
     *
     * @param method the request method
     * @param origin {@code scheme://host:port}
     * @param target the request target
     * @return the event, timing from now, or null
     */
    public static ExchangeEvent startIfEnabled(String method, String origin, String target) {
        if (!PROBE.isEnabled()) return null;
        ExchangeEvent e = new ExchangeEvent();
        e.method = method;
        e.origin = origin;
        e.target = target;
        e.begin();
        e.queuedAt = System.nanoTime();
        return e;
    }

    /** Marks the request as a replay (its earlier connection closed before it was answered). */
    public void replayed() {
        replayed = true;
    }

    /** The first byte of the request is about to be written. */
    public void writeStarted() {
        writeStartedAt = System.nanoTime();
    }

    /**
     * The whole request is written.
     *
     * @param bytes    request bytes, head and body
     * @param inFlight requests in flight on the connection, this one included
     */
    public void written(long bytes, int inFlight) {
        writtenAt = System.nanoTime();
        if (writeStartedAt == 0) writeStartedAt = writtenAt;
        bytesOut = bytes;
        depthAtSend = inFlight;
    }

    /** The first byte of the response arrived (its head is being parsed). */
    public void firstByte() {
        firstByteAt = System.nanoTime();
    }

    /**
     * The response body was read to its end: records the event.
     *
     * @param finalStatus the status code
     * @param bodyBytes   body bytes read
     */
    public void done(int finalStatus, long bodyBytes) {
        status = finalStatus;
        bytesIn = bodyBytes;
        finish();
    }

    /**
     * The exchange failed: records the event with the reason.
     *
     * @param cause what went wrong
     */
    public void failed(Throwable cause) {
        failure = describe(cause);
        finish();
    }

    private void finish() {
        long now = System.nanoTime();
        end();
        // A phase never reached counts as zero; each span ends where the next phase began.
        long writeStart = writeStartedAt != 0 ? writeStartedAt : now;
        long written = writtenAt != 0 ? writtenAt : writeStart;
        long first = firstByteAt != 0 ? firstByteAt : (writtenAt != 0 ? now : written);
        queued = Math.max(0, writeStart - queuedAt);
        writing = Math.max(0, written - writeStart);
        waiting = Math.max(0, first - written);
        reading = Math.max(0, now - first);
        commit();
    }

    /** {@code SimpleClassName: first line of the message}. */
    static String describe(Throwable t) {
        if (t == null) return null;
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.lines().findFirst().orElse(""));
    }
}
