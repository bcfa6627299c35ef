package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Expect: 100-continue: the 100 is returned, then the body goes; a final status instead drops the body and the connection. */
@Timeout(30)
class ExpectContinueTest {

    @Test
    void followingBodyIsWrittenAfterThe100() throws Exception {
        List<RecordedRequest> heads = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = continuing(heads); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/f").body(Body.following(5)).expect100().build());

            ResponseHead interim = conn.readResponse();
            conn.write(bytes("hello"));
            ResponseHead last = conn.readResponse();

            assertEquals(100, interim.status());
            assertEquals(OptionalLong.of(0), interim.length());
            assertEquals(200, last.status());
            assertEquals("got hello", text(conn.readAll()));
            assertEquals("PUT /f HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"
                    + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n", heads.get(0).headText());
            assertFalse(conn.responsePending());
        }
    }

    @Test
    void heldBodyIsSentByFinishBodyAfterThe100() throws Exception {
        try (ScriptedServer server = continuing(new CopyOnWriteArrayList<>()); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.post("/held", bytes("in memory")).withExpect100());

            assertEquals(100, conn.readResponse().status());
            conn.finishBody();

            assertEquals(200, conn.readResponse().status());
            assertEquals("got in memory", text(conn.readAll()));
        }
    }

    @Test
    void chunkedBodyIsWrittenAfterThe100() throws Exception {
        List<RecordedRequest> heads = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = continuing(heads); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("POST", "/c").body(Body.chunked()).expect100().build());

            assertEquals(100, conn.readResponse().status());
            conn.write(bytes("chunk one, "));
            conn.write(bytes("chunk two"));
            conn.finishBody();

            assertEquals(200, conn.readResponse().status());
            assertEquals("got chunk one, chunk two", text(conn.readAll()));
            assertTrue(heads.get(0).isChunked());
            assertEquals(Optional.of("100-continue"), heads.get(0).header("Expect"));
        }
    }

    @Test
    void finalStatusInsteadOf100DropsTheBodyAndTheConnection() throws Exception {
        CompletableFuture<byte[]> afterHead = new CompletableFuture<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequestHead();
                c.sendResponse(417, "no thanks");
                afterHead.complete(c.readToEof()); // ends when the client closes its side
            } else {
                for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "fresh " + r.target());
            }
        }); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/big").body(Body.following(1000)).expect100().build());

            ResponseHead head = conn.readResponse();

            assertEquals(417, head.status());
            assertEquals("no thanks", text(conn.readAll()));
            assertFalse(conn.responsePending());
            assertEquals(0, afterHead.get(10, TimeUnit.SECONDS).length, "the body must never be sent");

            conn.sendRequest("GET", "/next");
            assertEquals(200, conn.readResponse().status());
            assertEquals("fresh /next", text(conn.readAll()));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void interimResponsesBeforeThe100AreSkipped() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest head = c.readRequestHead();
            c.send("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
            c.send100Continue();
            c.sendResponse(201, "got " + text(c.readBody(head)));
        }); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/f").body(Body.following(2)).expect100().build());

            ResponseHead interim = conn.readResponse();
            conn.write(bytes("ok"));

            assertEquals(100, interim.status());
            assertFalse(interim.headers().contains("Link"));
            assertEquals(201, conn.readResponse().status());
            assertEquals("got ok", text(conn.readAll()));
        }
    }

    @Test
    void emptyBodyIsSentWithoutExpect() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                seen.add(r);
                c.sendResponse(200, "plain");
            }
        }); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("POST", "/empty").expect100().build());

            assertEquals(200, conn.readResponse().status());
            assertEquals("plain", text(conn.readAll()));
            assertEquals(Optional.empty(), seen.get(0).header("Expect"));
            assertEquals(OptionalLong.of(0), seen.get(0).contentLength());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /** Reads each request head (recording it), sends 100 Continue, reads the body and answers "got BODY". */
    private static ScriptedServer continuing(List<RecordedRequest> heads) {
        return ScriptedServer.start(c -> {
            for (RecordedRequest head; (head = c.readRequestHead()) != null; ) {
                heads.add(head);
                c.send100Continue();
                c.sendResponse(200, "got " + text(c.readBody(head)));
            }
        });
    }

    private static HttpConnection connect(ScriptedServer server) {
        return HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5)).build();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(ISO_8859_1);
    }

    private static String text(byte[] b) {
        return new String(b, ISO_8859_1);
    }
}
