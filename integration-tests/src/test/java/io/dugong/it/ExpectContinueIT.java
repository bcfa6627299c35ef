package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static io.dugong.it.Exchanges.connectionId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Expect: 100-continue against nginx, and uploads nginx refuses: /limited/ takes at most 1 KiB, so a
 * larger announced body gets 413 — in place of the 100 when one was asked for, so the body is never sent.
 */
@ExtendWith(NginxExtension.class)
@Timeout(60)
class ExpectContinueIT {

    private static byte[] readBack(HttpConnection conn, String target) throws Exception {
        conn.sendRequest("GET", target);
        assertStatus(200, conn.readResponse());
        return conn.readAll();
    }

    /** A GET on the same HttpConnection after the refusal, to see which TCP connection answers it. */
    private static long nextConnectionId(HttpConnection conn) throws Exception {
        conn.sendRequest("GET", "/files/100.bin");
        ResponseHead head = conn.readResponse();
        assertStatus(200, head);
        conn.discard();
        return connectionId(head);
    }

    @Test
    void continueThenBodyWrittenByTheCallerIsStored(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(300_000, 5);
        String target = "/dav/" + UUID.randomUUID();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.following(content.length)).expect100().build());

            ResponseHead go = conn.readResponse();
            assertStatus(100, go);
            conn.write(content);
            assertStatus(201, conn.readResponse());
            conn.discard();

            assertArrayEquals(content, readBack(conn, target));
        }
    }

    @Test
    void continueThenBodyInMemoryIsSentByFinishBody(Nginx nginx) throws Exception {
        byte[] content = NginxSite.text(50_000);
        String target = "/dav/" + UUID.randomUUID();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.of(content)).expect100().build());

            assertStatus(100, conn.readResponse());
            conn.finishBody();
            assertStatus(201, conn.readResponse());
            conn.discard();

            assertArrayEquals(content, readBack(conn, target));
        }
    }

    @Test
    void continueThenChunkedBodyIsStored(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(100_000, 6);
        String target = "/dav/" + UUID.randomUUID();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.chunked()).expect100().build());

            assertStatus(100, conn.readResponse());
            conn.write(content, 0, 60_000);
            conn.write(content, 60_000, content.length - 60_000);
            conn.finishBody();
            assertStatus(201, conn.readResponse());
            conn.discard();

            assertArrayEquals(content, readBack(conn, target));
        }
    }

    @Test
    void bodyWithinTheLimitIsAccepted(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(1024, 7);
        String name = UUID.randomUUID().toString();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest(Request.builder("PUT", "/limited/" + name).body(Body.following(1024)).expect100().build());
            assertStatus(100, conn.readResponse());
            conn.write(content);
            assertStatus(201, conn.readResponse());
            conn.discard();

            assertArrayEquals(content, readBack(conn, "/dav/" + name));
        }
    }

    @Test
    void tooLargeWithExpectIsRefusedBeforeTheBodyAndTheNextRequestUsesANewConnection(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            long before = nextConnectionId(conn);
            conn.sendRequest(Request.builder("PUT", "/limited/big").body(Body.following(1_000_000)).expect100().build());

            ResponseHead refused = conn.readResponse();
            assertStatus(413, refused);
            assertEquals(before, connectionId(refused), "refused on the connection the request went out on");
            conn.discard();
            assertNotEquals(before, nextConnectionId(conn), "the body was never sent: that connection is done");
        }
    }

    @Test
    void tooLargeWithoutExpectIsRefusedAfterTheBodyAndNginxClosesTheConnection(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(4096, 8);
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            long before = nextConnectionId(conn);
            conn.sendRequest(Request.builder("PUT", "/limited/big").body(Body.of(content)).build());

            ResponseHead refused = conn.readResponse();
            assertStatus(413, refused);
            assertTrue(refused.headers().hasToken("Connection", "close"), () -> "Connection of " + refused);
            conn.discard();
            assertNotEquals(before, nextConnectionId(conn));
        }
    }
}
