package io.dugong.internal;

import io.dugong.Headers;

import java.lang.System.Logger.Level;
import java.util.Locale;

/**
 * Debug-level tracing of what goes over the wire, through the {@link System.Logger} named
 * {@value #NAME}: request and response heads, connects, closes and replays. The counterpart of
 * Python dugong's trace file. Silent at the default levels (it logs at {@code DEBUG}); switch it on
 * with the logging backend, e.g. for java.util.logging {@code io.dugong.level = FINE} plus a handler
 * at FINE.
 *
 * <p>Credentials never reach the log: the values of {@code Authorization}, {@code Proxy-Authorization},
 * {@code Cookie} and {@code Set-Cookie} are replaced by {@value #REDACTED}. Call sites check
 * {@link #enabled()} first, so a disabled log builds no strings.
 */
public final class WireLog {
    /** The logger's name. */
    public static final String NAME = "io.dugong";
    /** What a credential's value is replaced with. */
    public static final String REDACTED = "<redacted>";

    /** The log in use: the System.Logger named {@value #NAME}, unless a test installed another. */
    private static volatile WireLog current = new WireLog(System.getLogger(NAME));

    private final System.Logger logger;

    /**
     * A log writing to {@code logger}; the library uses {@link #get()}.
     *
     * @param logger where the lines go
     */
    public WireLog(System.Logger logger) {
        this.logger = logger;
    }

    /**
     * The log of the library, on the {@link System.Logger} named {@value #NAME}.
     *
     * @return the shared log
     */
    public static WireLog get() {
        return current;
    }

    /**
     * Makes {@code log} the library's log until the next call; for tests that read the trace of real
     * exchanges without configuring a logging backend.
     *
     * @param log the log to use
     * @return the log used until now
     */
    public static WireLog install(WireLog log) {
        WireLog before = current;
        current = log;
        return before;
    }

    /**
     * Whether tracing is on; check before calling the other methods.
     *
     * @return true if {@code DEBUG} is loggable
     */
    public boolean enabled() {
        return logger.isLoggable(Level.DEBUG);
    }

    /**
     * A request head as written.
     *
     * @param connection names the connection in the log (its {@code toString()})
     * @param method     the method
     * @param target     the request target
     * @param headers    the header fields sent
     */
    public void requestHead(Object connection, String method, String target, Headers headers) {
        if (!enabled()) return;
        StringBuilder sb = new StringBuilder().append(connection).append(" > ").append(method).append(' ')
                .append(target).append(" HTTP/1.1");
        appendHeaders(sb, " > ", headers);
        logger.log(Level.DEBUG, sb.toString());
    }

    /**
     * A response head as read.
     *
     * @param connection names the connection in the log
     * @param status     the status code
     * @param reason     the reason phrase
     * @param headers    the header fields received
     */
    public void responseHead(Object connection, int status, String reason, Headers headers) {
        if (!enabled()) return;
        StringBuilder sb = new StringBuilder().append(connection).append(" < HTTP/1.1 ").append(status).append(' ')
                .append(reason);
        appendHeaders(sb, " < ", headers);
        logger.log(Level.DEBUG, sb.toString());
    }

    /**
     * Something that happened to a connection: connected, closed, a replay, a protocol error.
     *
     * @param connection names the connection in the log
     * @param what       one line saying what happened
     */
    public void event(Object connection, String what) {
        if (!enabled()) return;
        logger.log(Level.DEBUG, connection + " * " + what);
    }

    private static void appendHeaders(StringBuilder sb, String prefix, Headers headers) {
        for (int i = 0; i < headers.size(); i++) {
            String name = headers.name(i);
            sb.append('\n').append(prefix).append(name).append(": ").append(redact(name, headers.value(i)));
        }
    }

    /**
     * The value to log for a header field: the value itself, or {@value #REDACTED} for credentials.
     *
     * @param name  the field name (any case)
     * @param value the field value
     * @return what may be logged
     */
    public static String redact(String name, String value) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "authorization", "proxy-authorization", "cookie", "set-cookie" -> REDACTED;
            default -> value;
        };
    }
}
