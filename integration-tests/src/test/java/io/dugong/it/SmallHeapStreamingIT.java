package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * A 256 MiB chunked body (nginx's SSI includes the 8 MiB file 32 times) streamed through
 * {@code responseBody()} by a JVM with a 48 MiB heap (failsafe execution integration-tests-small-heap):
 * if the read path materialised the body, this would die of OutOfMemoryError.
 */
@ExtendWith(NginxExtension.class)
@Timeout(180)
class SmallHeapStreamingIT {

    @Test
    void bodyFiveTimesLargerThanTheHeapStreamsThrough(Nginx nginx) throws Exception {
        long bodyLength = (long) NginxSite.BIG_REPEAT * 8 * 1024 * 1024;
        assertTrue(Runtime.getRuntime().maxMemory() * 4 < bodyLength,
                "this test means something only with a small heap (-Xmx48m); max heap is "
                        + Runtime.getRuntime().maxMemory());
        byte[] expectedDigest = nginx.bigBodyDigest();
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("GET", "/ssi/256m.shtml");

            ResponseHead head = conn.readResponse();
            assertStatus(200, head);
            assertEquals(OptionalLong.empty(), head.length(), "chunked");
            MessageDigest digest = NginxSite.sha256();
            long total = 0;
            byte[] piece = new byte[8192];
            try (InputStream body = conn.responseBody()) {
                for (int n; (n = body.read(piece)) >= 0; ) {
                    digest.update(piece, 0, n);
                    total += n;
                }
            }
            assertEquals(bodyLength, total);
            assertArrayEquals(expectedDigest, digest.digest());
        }
    }
}
