package io.dugong.internal;

import io.dugong.Headers;
import org.junit.jupiter.api.Test;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wire tracing: heads and events at DEBUG, credentials never logged, nothing at the default levels. */
class WireLogTest {

    /** A System.Logger that keeps what it is given, at a chosen level. */
    static final class Captured implements System.Logger {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final Level level;

        Captured(Level level) {
            this.level = level;
        }

        @Override
        public String getName() {
            return WireLog.NAME;
        }

        @Override
        public boolean isLoggable(Level l) {
            return l.getSeverity() >= level.getSeverity();
        }

        @Override
        public void log(Level l, ResourceBundle bundle, String msg, Throwable thrown) {
            if (isLoggable(l)) lines.add(msg);
        }

        @Override
        public void log(Level l, ResourceBundle bundle, String format, Object... params) {
            if (isLoggable(l)) lines.add(format);
        }

        @Override
        public void log(Level l, Supplier<String> msgSupplier) {
            if (isLoggable(l)) lines.add(msgSupplier.get());
        }
    }

    @Test
    void requestHeadsAreTracedWithCredentialsRedacted() {
        Captured log = new Captured(Level.DEBUG);
        new WireLog(log).requestHead("conn#1", "GET", "/x", Headers.of(
                "Host", "example.org", "Authorization", "Basic dXNlcjpzZWNyZXQ=", "proxy-authorization", "Bearer t0ken",
                "Cookie", "session=abc", "Accept", "*/*"));
        assertEquals(1, log.lines.size());
        String line = log.lines.get(0);
        assertEquals("""
                conn#1 > GET /x HTTP/1.1
                 > Host: example.org
                 > Authorization: <redacted>
                 > proxy-authorization: <redacted>
                 > Cookie: <redacted>
                 > Accept: */*""", line);
        assertFalse(line.contains("dXNlcjpzZWNyZXQ") || line.contains("t0ken") || line.contains("abc"), line);
    }

    @Test
    void responseHeadsAreTracedWithSetCookieRedacted() {
        Captured log = new Captured(Level.DEBUG);
        new WireLog(log).responseHead("conn#2", 200, "OK", Headers.of("Set-Cookie", "id=42", "Content-Length", "5"));
        assertEquals("conn#2 < HTTP/1.1 200 OK\n < Set-Cookie: <redacted>\n < Content-Length: 5", log.lines.get(0));
    }

    @Test
    void eventsAreOneLine() {
        Captured log = new Captured(Level.DEBUG);
        new WireLog(log).event("conn#3", "replaying 4 unanswered requests on a new connection");
        assertEquals(List.of("conn#3 * replaying 4 unanswered requests on a new connection"), log.lines);
    }

    @Test
    void nothingIsLoggedAboveDebug() {
        Captured log = new Captured(Level.INFO);
        WireLog wire = new WireLog(log);
        assertFalse(wire.enabled());
        wire.requestHead("c", "GET", "/", Headers.empty());
        wire.responseHead("c", 200, "OK", Headers.empty());
        wire.event("c", "closed");
        assertTrue(log.lines.isEmpty());
    }

    @Test
    void theLibraryLogIsSilentAtTheDefaultLevels() {
        assertFalse(System.getLogger(WireLog.NAME).isLoggable(Level.DEBUG));
        assertFalse(WireLog.get().enabled());
    }
}
