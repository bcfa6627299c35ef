package io.dugong.internal;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JFR events: recorded with their fields when a recording enables them, not even created otherwise. */
@Timeout(60)
class JfrEventsTest {

    private static List<RecordedEvent> recorded(Recording r, Path dir, String name) throws IOException {
        Path file = dir.resolve("events.jfr");
        r.dump(file);
        return RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }

    @Test
    void anExchangeIsRecordedWithItsFieldsAndPhases(@TempDir Path dir) throws Exception {
        try (Recording r = new Recording()) {
            r.enable(ExchangeEvent.NAME).withoutThreshold();
            r.start();
            ExchangeEvent e = ExchangeEvent.startIfEnabled("GET", "http://example.org:80", "/x?y=1");
            assertNotNull(e);
            e.replayed();
            e.writeStarted();
            e.written(120, 7);
            e.firstByte();
            e.done(200, 4096);
            r.stop();

            List<RecordedEvent> events = recorded(r, dir, ExchangeEvent.NAME);
            assertEquals(1, events.size());
            RecordedEvent x = events.get(0);
            assertEquals("GET", x.getString("method"));
            assertEquals("http://example.org:80", x.getString("origin"));
            assertEquals("/x?y=1", x.getString("target"));
            assertEquals(200, x.getInt("status"));
            assertEquals(120, x.getLong("bytesOut"));
            assertEquals(4096, x.getLong("bytesIn"));
            assertEquals(7, x.getInt("depthAtSend"));
            assertTrue(x.getBoolean("replayed"));
            assertNull(x.getString("failure"));
            Duration phases = x.getDuration("queued").plus(x.getDuration("writing")).plus(x.getDuration("waiting"))
                    .plus(x.getDuration("reading"));
            assertFalse(phases.isNegative());
            assertTrue(phases.compareTo(x.getDuration().plusMillis(1)) <= 0, phases + " vs " + x.getDuration());
            assertFalse(x.getFields().stream().anyMatch(f -> f.getName().endsWith("At")), "the phase marks are not recorded");
        }
    }

    @Test
    void aFailedExchangeRecordsItsReasonAndNoStatus(@TempDir Path dir) throws Exception {
        try (Recording r = new Recording()) {
            r.enable(ExchangeEvent.NAME).withoutThreshold();
            r.start();
            ExchangeEvent e = ExchangeEvent.startIfEnabled("POST", "https://h:443", "/p");
            e.writeStarted();
            e.failed(new java.io.IOException("connection reset\nmore detail"));
            r.stop();

            RecordedEvent x = recorded(r, dir, ExchangeEvent.NAME).get(0);
            assertEquals(0, x.getInt("status"));
            assertEquals("IOException: connection reset", x.getString("failure"));
        }
    }

    @Test
    void aConnectIsRecordedWithOriginAddressAndTls(@TempDir Path dir) throws Exception {
        try (Recording r = new Recording()) {
            r.enable(ConnectEvent.NAME);
            r.start();
            ConnectEvent ok = ConnectEvent.startIfEnabled("https://example.org:443", true);
            ok.connected(new InetSocketAddress("127.0.0.1", 8443), null, "TLSv1.3");
            ConnectEvent bad = ConnectEvent.startIfEnabled("http://nowhere.invalid:80", false);
            bad.failed(new java.net.UnknownHostException("nowhere.invalid"));
            r.stop();

            List<RecordedEvent> events = recorded(r, dir, ConnectEvent.NAME);
            assertEquals(2, events.size());
            RecordedEvent c = events.stream().filter(e -> e.getString("failure") == null).findFirst().orElseThrow();
            assertEquals("https://example.org:443", c.getString("origin"));
            assertEquals("/127.0.0.1:8443", c.getString("address"));
            assertTrue(c.getBoolean("tls"));
            assertEquals("TLSv1.3", c.getString("tlsProtocol"));
            RecordedEvent f = events.stream().filter(e -> e.getString("failure") != null).findFirst().orElseThrow();
            assertEquals("UnknownHostException: nowhere.invalid", f.getString("failure"));
        }
    }

    @Test
    void withoutARecordingNoEventIsCreated() {
        assertNull(ExchangeEvent.startIfEnabled("GET", "http://h:80", "/"));
        assertNull(ConnectEvent.startIfEnabled("http://h:80", false));
    }

    @Test
    void byDefaultOnlyExchangesSlowerThan20msAreRecorded(@TempDir Path dir) throws Exception {
        try (Recording r = new Recording()) {
            r.start();                              // no settings: the events' own defaults
            ExchangeEvent fast = ExchangeEvent.startIfEnabled("GET", "http://h:80", "/fast");
            fast.done(200, 1);
            ExchangeEvent slow = ExchangeEvent.startIfEnabled("GET", "http://h:80", "/slow");
            long until = System.nanoTime() + Duration.ofMillis(25).toNanos();
            while (System.nanoTime() < until) Thread.onSpinWait();   // a 25 ms exchange, without sleeping
            slow.done(200, 1);
            r.stop();

            List<RecordedEvent> events = recorded(r, dir, ExchangeEvent.NAME);
            assertEquals(List.of("/slow"), events.stream().map(e -> e.getString("target")).toList());
        }
    }

    @Test
    void aRecordingThatDisablesThemCreatesNone() {
        try (Recording r = new Recording()) {
            r.disable(ExchangeEvent.NAME);
            r.disable(ConnectEvent.NAME);
            r.start();
            assertNull(ExchangeEvent.startIfEnabled("GET", "http://h:80", "/"));
            assertNull(ConnectEvent.startIfEnabled("http://h:80", false));
        }
    }
}
