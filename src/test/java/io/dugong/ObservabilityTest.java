package io.dugong;

import io.dugong.internal.ConnectEvent;
import io.dugong.internal.ExchangeEvent;
import io.dugong.internal.WireLog;
import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JFR events of real exchanges: a recording that enables them reads back what happened on the wire. */
@Timeout(60)
class ObservabilityTest {
    @Test
    void aPipelineRecordsItsConnectionsAndExchangesIncludingReplays(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events;
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                RecordedRequest first = c.readRequest();
                c.readRequest();
                c.readRequest();
                c.sendResponse(200, first.target());
                c.close(); // the other two are unanswered here, and replayed on a new connection
                return;
            }
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); Recording recording = new Recording()) {
            recording.enable(ExchangeEvent.NAME).withoutThreshold();
            recording.enable(ConnectEvent.NAME).withoutThreshold();
            recording.start();
            try (Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
                List<CompletableFuture<Response<String>>> all = new ArrayList<>();
                for (String t : List.of("/a", "/b", "/c")) all.add(p.submit(Request.get(t), BodyReaders.ofString()));
                for (var f : all) f.get();
            }
            recording.stop();
            Path file = dir.resolve("dugong.jfr");
            recording.dump(file);
            events = RecordingFile.readAllEvents(file);
        }

        List<RecordedEvent> connects = events.stream().filter(e -> e.getEventType().getName().equals(ConnectEvent.NAME)).toList();
        assertEquals(2, connects.size(), connects.toString());
        for (RecordedEvent c : connects) {
            assertFalse(c.getBoolean("tls"));
            assertTrue(c.getString("address").contains("127.0.0.1"), c.getString("address"));
            assertNull(c.getString("failure"));
        }

        List<RecordedEvent> exchanges = events.stream().filter(e -> e.getEventType().getName().equals(ExchangeEvent.NAME)).toList();
        List<String> seen = exchanges.stream().map(e -> e.getString("target") + " " + e.getInt("status")
                + (e.getBoolean("replayed") ? " replayed" : "") + (e.getString("failure") != null ? " failed" : ""))
                .sorted().toList();
        // Each first attempt ends (answered or lost with its connection); each replay is its own event.
        assertEquals(List.of("/a 200", "/b 0 failed", "/b 200 replayed", "/c 0 failed", "/c 200 replayed"), seen);
        for (RecordedEvent e : exchanges) {
            assertEquals("GET", e.getString("method"));
            assertTrue(e.getString("origin").startsWith("http://127.0.0.1:"), e.getString("origin"));
            assertTrue(e.getLong("bytesOut") > 0, "a GET head has bytes");
            if (e.getInt("status") == 200) assertEquals(2, e.getLong("bytesIn"), "the body is the two-byte target");
            assertTrue(e.getInt("depthAtSend") >= 1);
        }
    }

    @Test
    void wireTracingAtDebugShowsHeadsButNeverCredentials() throws Exception {
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        System.Logger capture = new System.Logger() {
            @Override
            public String getName() {
                return WireLog.NAME;
            }

            @Override
            public boolean isLoggable(Level level) {
                return level.getSeverity() >= Level.DEBUG.getSeverity();
            }

            @Override
            public void log(Level level, java.util.ResourceBundle bundle, String msg, Throwable thrown) {
                lines.add(msg);
            }

            @Override
            public void log(Level level, java.util.ResourceBundle bundle, String format, Object... params) {
                lines.add(java.text.MessageFormat.format(format, params));
            }
        };
        WireLog before = WireLog.install(new WireLog(capture));
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, new byte[0], "Set-Cookie", "session=s3cr3t");
        }); HttpConnection conn = HttpConnection.open(server.host(), server.port())) {
            conn.sendRequest("GET", "/private", Headers.of("Authorization", "Bearer t0k3n", "Cookie", "id=c00k1e"));
            assertEquals(200, conn.readResponse().status());
        } finally {
            WireLog.install(before);
        }
        String log = String.join("\n", lines);
        assertTrue(log.contains("GET /private"), log);
        assertTrue(log.contains("connected to"), log);
        assertTrue(log.contains("HTTP/1.1 200"), log);
        assertFalse(log.contains("t0k3n") || log.contains("c00k1e") || log.contains("s3cr3t"), log);
    }
}
