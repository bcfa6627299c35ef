package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.Headers;
import io.dugong.HttpConnection;
import io.dugong.ResponseHead;
import io.dugong.it.Nginx.Server;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Responses without a body (HEAD, 204, 304) and small error/redirect bodies from nginx: each is
 * followed on the same connection by a GET whose body must arrive intact, which fails if the
 * client read a body that was not there, or left one unread.
 */
@ExtendWith(NginxExtension.class)
@Timeout(60)
class FramingIT {

    private static void assertNextIsTheHundredByteFile(HttpConnection conn, Nginx nginx) throws Exception {
        ResponseHead next = conn.readResponse();
        assertStatus(200, next);
        assertEquals("/files/100.bin", next.target());
        assertArrayEquals(nginx.bytes("files/100.bin"), conn.readAll());
    }

    @Test
    void headAnnouncesTheLengthButHasNoBody(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("HEAD", "/files/64k.bin");
            conn.sendRequest("GET", "/files/100.bin");

            ResponseHead head = conn.readResponse();
            assertStatus(200, head);
            assertEquals(OptionalLong.of(0), head.length());
            assertEquals("65536", head.headers().first("Content-Length").orElseThrow());
            assertEquals(0, conn.readAll().length);
            assertNextIsTheHundredByteFile(conn, nginx);
        }
    }

    @Test
    void noContentHasNoBody(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("GET", "/status/204");
            conn.sendRequest("GET", "/files/100.bin");

            ResponseHead head = conn.readResponse();
            assertStatus(204, head);
            assertEquals(OptionalLong.of(0), head.length());
            assertEquals(0, conn.readAll().length);
            assertNextIsTheHundredByteFile(conn, nginx);
        }
    }

    @Test
    void notModifiedHasNoBodyDespiteTheFilesLength(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("GET", "/files/64k.bin");
            ResponseHead first = conn.readResponse();
            conn.discard();
            String lastModified = first.headers().first("Last-Modified").orElseThrow();

            conn.sendRequest("GET", "/files/64k.bin", Headers.of("If-Modified-Since", lastModified));
            conn.sendRequest("GET", "/files/100.bin");

            ResponseHead head = conn.readResponse();
            assertStatus(304, head);
            assertEquals(OptionalLong.of(0), head.length());
            assertEquals(0, conn.readAll().length);
            assertNextIsTheHundredByteFile(conn, nginx);
        }
    }

    @Test
    void notFoundCarriesNginxsErrorPage(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("GET", "/files/no-such-file");
            conn.sendRequest("GET", "/files/100.bin");

            ResponseHead head = conn.readResponse();
            assertStatus(404, head);
            byte[] page = conn.readAll();
            assertEquals(OptionalLong.of(page.length), head.length());
            assertTrue(new String(page, StandardCharsets.ISO_8859_1).contains("404 Not Found"));
            assertNextIsTheHundredByteFile(conn, nginx);
        }
    }

    @Test
    void redirectNamesItsLocationAndHasAPageBody(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("GET", "/redirect");
            conn.sendRequest("GET", "/files/100.bin");

            ResponseHead head = conn.readResponse();
            assertStatus(301, head);
            assertTrue(head.headers().first("Location").orElseThrow().endsWith("/files/100.bin"),
                    () -> "Location of " + head + ": " + head.headers());
            byte[] page = conn.readAll();
            assertEquals(OptionalLong.of(page.length), head.length());
            assertNextIsTheHundredByteFile(conn, nginx);
        }
    }

    @Test
    void bodilessAndBodiedResponsesPipelinedTogetherStayInStep(Nginx nginx) throws Exception {
        String[] targets = {"/status/204", "/files/0.bin", "/redirect", "/files/64k.bin", "/files/none", "/status/204"};
        int[] statuses = {204, 200, 301, 200, 404, 204};
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("HEAD", "/files/8m.bin");
            for (String t : targets) conn.sendRequest("GET", t);
            conn.sendRequest("GET", "/files/100.bin");

            ResponseHead head = conn.readResponse();
            assertEquals(200, head.status());
            assertEquals(0, conn.readAll().length);
            for (int i = 0; i < targets.length; i++) {
                ResponseHead h = conn.readResponse();
                assertEquals(targets[i], h.target());
                assertStatus(statuses[i], h);
                byte[] body = conn.readAll();
                if (targets[i].equals("/files/64k.bin")) assertArrayEquals(nginx.bytes("files/64k.bin"), body);
            }
            assertNextIsTheHundredByteFile(conn, nginx);
            assertFalse(conn.responsePending());
        }
    }
}
