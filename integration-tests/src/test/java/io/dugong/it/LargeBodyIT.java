package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.dugong.HttpConnection;
import io.dugong.ResponseHead;
import io.dugong.it.Nginx.Server;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An 8 MiB body read through {@code responseBody()} in 8 KiB pieces, checked by digest (see
 * SmallHeapStreamingIT for a body larger than the test JVM's heap).
 */
@ExtendWith(NginxExtension.class)
@Timeout(60)
class LargeBodyIT {

    @Test
    void eightMegabyteBodyStreamsThroughResponseBody(Nginx nginx) throws Exception {
        byte[] file = nginx.bytes("files/8m.bin");
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("GET", "/files/8m.bin");
            conn.sendRequest("GET", "/files/100.bin");

            ResponseHead head = conn.readResponse();
            assertStatus(200, head);
            assertEquals(OptionalLong.of(file.length), head.length());
            MessageDigest digest = NginxSite.sha256();
            long total = 0;
            byte[] piece = new byte[8192];
            try (InputStream body = conn.responseBody()) {
                for (int n; (n = body.read(piece)) >= 0; ) {
                    digest.update(piece, 0, n);
                    total += n;
                }
            }
            assertEquals(file.length, total);
            assertArrayEquals(NginxSite.sha256().digest(file), digest.digest());

            // The next response on the connection is intact: the stream consumed exactly the body.
            assertEquals("/files/100.bin", conn.readResponse().target());
            assertArrayEquals(nginx.bytes("files/100.bin"), conn.readAll());
            assertFalse(conn.responsePending());
        }
    }
}
