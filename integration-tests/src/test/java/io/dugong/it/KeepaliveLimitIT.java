package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static io.dugong.it.Exchanges.connectionId;
import static io.dugong.it.Exchanges.connectionRequests;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.ConnectionClosedException;
import io.dugong.HttpConnection;
import io.dugong.ResponseHead;
import io.dugong.it.Nginx.Server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A pipeline longer than the server allows: nginx (keepalive_requests 100) answers 100 requests, says
 * "Connection: close" on the last and closes; the requests behind it fail with a message naming them.
 */
@ExtendWith(NginxExtension.class)
@Timeout(60)
class KeepaliveLimitIT {

    @Test
    void theHundredFirstPipelinedRequestFailsClearlyAfterNginxClosesAtItsLimit(Nginx nginx) throws Exception {
        byte[] file = nginx.bytes("files/100.bin");
        try (HttpConnection conn = nginx.connection(Server.KEEPALIVE_100).build()) {
            for (int i = 1; i <= 102; i++) conn.sendRequest("GET", "/files/100.bin?n=" + i);

            long connection = -1;
            for (int i = 1; i <= 100; i++) {
                ResponseHead head = conn.readResponse();
                assertStatus(200, head);
                assertEquals("/files/100.bin?n=" + i, head.target());
                assertArrayEquals(file, conn.readAll());
                if (i == 1) connection = connectionId(head);
                assertEquals(connection, connectionId(head));
                assertEquals(i, connectionRequests(head));
                assertEquals(i == 100, head.headers().hasToken("Connection", "close"), "Connection: close on " + i);
            }

            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, conn::readResponse);
            assertTrue(e.getMessage().contains("GET /files/100.bin?n=101"), e.getMessage());
            ConnectionClosedException next = assertThrows(ConnectionClosedException.class, conn::readResponse);
            assertTrue(next.getMessage().contains("GET /files/100.bin?n=102"), next.getMessage());
            assertFalse(conn.responsePending());

            conn.sendRequest("GET", "/files/100.bin?again");
            ResponseHead again = conn.readResponse();
            assertStatus(200, again);
            assertArrayEquals(file, conn.readAll());
            assertNotEquals(connection, connectionId(again), "a new TCP connection");
            assertEquals(1, connectionRequests(again));
        }
    }
}
