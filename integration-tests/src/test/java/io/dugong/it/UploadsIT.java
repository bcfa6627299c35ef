package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static io.dugong.it.Exchanges.connectionId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dugong.Body;
import io.dugong.HttpConnection;
import io.dugong.Request;
import io.dugong.ResponseHead;
import io.dugong.it.Nginx.Server;

import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Request bodies nginx stores (WebDAV PUT) and serves back: in memory, written by the caller with a
 * known length, and chunked. Reading the stored file back proves every byte arrived, framed right.
 */
@ExtendWith(NginxExtension.class)
@Timeout(120)
class UploadsIT {

    private static String newTarget() {
        return "/dav/" + UUID.randomUUID() + ".bin";
    }

    private static byte[] readBack(HttpConnection conn, String target) throws Exception {
        conn.sendRequest("GET", target);
        ResponseHead head = conn.readResponse();
        assertStatus(200, head);
        return conn.readAll();
    }

    @Test
    void bodyInMemoryIsStored(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(200_000, 1);
        String target = newTarget();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.of(content)).build());
            assertStatus(201, conn.readResponse());
            conn.discard();

            assertArrayEquals(content, readBack(conn, target));
        }
    }

    @Test
    void emptyBodyIsStoredAsAnEmptyFile(Nginx nginx) throws Exception {
        String target = newTarget();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.of(new byte[0])).build());
            assertStatus(201, conn.readResponse());
            conn.discard();

            assertEquals(0, readBack(conn, target).length);
        }
    }

    @Test
    void bodyOfAnnouncedLengthWrittenInPiecesIsStored(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(3 * 1024 * 1024 + 17, 2);
        String target = newTarget();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.following(content.length)).build());
            for (int off = 0; off < content.length; off += 8192) {
                conn.write(content, off, Math.min(8192, content.length - off));
            }
            assertStatus(201, conn.readResponse());
            conn.discard();

            assertArrayEquals(content, readBack(conn, target));
        }
    }

    @Test
    void chunkedBodyIsStored(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(2 * 1024 * 1024 + 5, 3);
        String target = newTarget();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.chunked()).build());
            // Uneven pieces: 1 byte, then growing sizes, so chunk sizes of several widths go out.
            int off = 0;
            for (int size = 1; off < content.length; size = size * 3 + 1) {
                int n = Math.min(size, content.length - off);
                conn.write(content, off, n);
                off += n;
            }
            conn.finishBody();
            assertStatus(201, conn.readResponse());
            conn.discard();

            assertArrayEquals(content, readBack(conn, target));
        }
    }

    @Test
    void chunkedBodyThroughTheOutputStreamIsStored(Nginx nginx) throws Exception {
        byte[] content = NginxSite.text(100_000);
        String target = newTarget();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.chunked()).build());
            try (var out = conn.requestBody()) {
                out.write(content);
            }
            assertStatus(201, conn.readResponse());
            conn.discard();

            assertArrayEquals(content, readBack(conn, target));
        }
    }

    @Test
    void putsAndGetsPipelinedOnOneConnectionSeeEachOthersEffects(Nginx nginx) throws Exception {
        String target = newTarget();
        byte[] first = NginxSite.randomBytes(70_000, 4);
        byte[] second = NginxSite.text(5_000);
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.of(first)).build());
            conn.sendRequest("GET", target);
            conn.sendRequest(Request.builder("PUT", target).body(Body.chunked()).build());
            conn.write(second);
            conn.finishBody();
            conn.sendRequest("GET", target);

            ResponseHead created = conn.readResponse();
            assertStatus(201, created);
            conn.discard();
            ResponseHead got = conn.readResponse();
            assertArrayEquals(first, conn.readAll());
            assertStatus(204, conn.readResponse()); // replaced an existing file
            conn.discard();
            ResponseHead gotAgain = conn.readResponse();
            assertArrayEquals(second, conn.readAll());
            assertEquals(connectionId(created), connectionId(got));
            assertEquals(connectionId(created), connectionId(gotAgain));
        }
    }
}
