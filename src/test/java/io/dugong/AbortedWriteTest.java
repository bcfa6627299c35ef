package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server that stops an upload part-way: the failed write is a ConnectionClosedException, and the answer
 * the server sent before closing can still be read (or, if it sent none, reading fails instead of hanging).
 */
@Timeout(30)
class AbortedWriteTest {

    /** Far more than the socket buffers on both sides hold, so the client is still writing when the server closes. */
    private static final int UPLOAD = 32 * 1024 * 1024;

    @Test
    void errorResponseIsReadableAfterAFailedFollowingBodyWrite() throws Exception {
        try (ScriptedServer server = rejectingUploads(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/upload").body(Body.following(UPLOAD)).build());

            assertThrows(ConnectionClosedException.class, () -> conn.write(new byte[UPLOAD]));

            assertTooLarge(conn);
        }
    }

    @Test
    void errorResponseIsReadableAfterAFailedInMemoryBodySend() throws Exception {
        try (ScriptedServer server = rejectingUploads(); HttpConnection conn = connect(server)) {
            assertThrows(ConnectionClosedException.class,
                    () -> conn.sendRequest(Request.put("/upload", new byte[UPLOAD])));

            assertTooLarge(conn);
        }
    }

    @Test
    void nextRequestAfterAFailedUploadUsesANewConnection() throws Exception {
        try (ScriptedServer server = rejectingUploads(); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/upload").body(Body.following(UPLOAD)).build());
            assertThrows(ConnectionClosedException.class, () -> conn.write(new byte[UPLOAD]));
            assertTooLarge(conn);

            conn.sendRequest("GET", "/small");

            assertEquals(200, conn.readResponse().status());
            assertEquals("connection 2 /small", new String(conn.readAll(), ISO_8859_1));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void resetWithoutAnAnswerFailsTheReadInsteadOfHanging() throws Exception {
        try (ScriptedServer server = ScriptedServer.builder().receiveBufferSize(4096).start(c -> {
            c.readRequestHead();
            c.reset();
        }); HttpConnection conn = connect(server)) {
            conn.sendRequest(Request.builder("PUT", "/upload").body(Body.following(UPLOAD)).build());

            assertThrows(ConnectionClosedException.class, () -> conn.write(new byte[UPLOAD]));

            assertTrue(conn.responsePending());
            assertThrows(ConnectionClosedException.class, conn::readResponse);
            assertFalse(conn.responsePending());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /**
     * On its first connection, reads only the head of the upload, answers 413 with Connection: close,
     * half-closes (FIN after the answer) and closes with the upload unread, which the kernel turns into
     * an RST that fails the client's blocked write. A small receive buffer makes sure the client is
     * blocked writing by then. Later connections answer "connection N target".
     */
    private static ScriptedServer rejectingUploads() {
        return ScriptedServer.builder().receiveBufferSize(4096).start(c -> {
            if (c.id() == 1) {
                c.readRequestHead();
                c.sendResponse(413, "too large".getBytes(ISO_8859_1), "Connection", "close");
                c.shutdownOutput();
                c.close();
                return;
            }
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                c.sendResponse(200, "connection " + c.id() + " " + r.target());
            }
        });
    }

    private static void assertTooLarge(HttpConnection conn) throws Exception {
        assertTrue(conn.responsePending());
        ResponseHead head = conn.readResponse();
        assertEquals(413, head.status());
        assertEquals(Optional.of("close"), head.headers().first("Connection"));
        assertEquals("too large", new String(conn.readAll(), ISO_8859_1));
        assertFalse(conn.responsePending());
    }

    private static HttpConnection connect(ScriptedServer server) {
        return HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(10)).build();
    }
}
