package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static io.dugong.it.Exchanges.connectionId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.Body;
import io.dugong.HttpConnection;
import io.dugong.Request;
import io.dugong.ResponseHead;
import io.dugong.it.Nginx.Server;

import java.security.cert.X509Certificate;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** TLS against nginx, whose certificate (for localhost and 127.0.0.1) a test CA generated at build time issued. */
@ExtendWith(NginxExtension.class)
@Timeout(120)
class TlsIT {

    @Test
    void pipelinedGetsOverTlsTrustingTheTestCaAreByteExact(Nginx nginx) throws Exception {
        String[] files = {"100.bin", "64k.bin", "0.bin", "64k.txt"};
        int requests = 1000;
        try (HttpConnection conn = nginx.connection(Server.TLS).build();
             ExecutorService sender = Executors.newVirtualThreadPerTaskExecutor()) {
            Semaphore sentCount = new Semaphore(0); // readResponse needs its request in flight
            Future<?> sent = sender.submit(() -> {
                for (int i = 0; i < requests; i++) {
                    conn.sendRequest("GET", "/files/" + files[i % files.length]);
                    sentCount.release();
                }
                return null;
            });
            long connection = -1;
            for (int i = 0; i < requests; i++) {
                if (!sentCount.tryAcquire(30, TimeUnit.SECONDS)) {
                    sent.get(); // rethrows the sender's failure, if that is why
                    fail("request " + i + " was not sent within 30 s");
                }
                ResponseHead head = conn.readResponse();
                assertStatus(200, head);
                assertArrayEquals(nginx.bytes("files/" + files[i % files.length]), conn.readAll(), head.toString());
                if (i == 0) connection = connectionId(head);
                assertEquals(connection, connectionId(head));
            }
            sent.get();

            SSLSession session = conn.sslSession().orElseThrow();
            X509Certificate peer = (X509Certificate) session.getPeerCertificates()[0];
            assertEquals("CN=localhost", peer.getSubjectX500Principal().getName());
        }
    }

    @Test
    void eightMegabytesOverTlsAreByteExact(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.TLS).build()) {
            conn.sendRequest("GET", "/files/8m.bin");
            conn.sendRequest("GET", "/ssi/8m.shtml");

            assertStatus(200, conn.readResponse());
            assertArrayEquals(nginx.bytes("files/8m.bin"), conn.readAll());
            assertStatus(200, conn.readResponse());
            assertArrayEquals(nginx.bytes("files/8m.bin"), conn.readAll());
        }
    }

    @Test
    void chunkedUploadOverTlsIsStored(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(1_500_000, 9);
        String target = "/dav/" + UUID.randomUUID();
        try (HttpConnection conn = nginx.connection(Server.TLS).build()) {
            conn.sendRequest(Request.builder("PUT", target).body(Body.chunked()).build());
            for (int off = 0; off < content.length; off += 100_000) {
                conn.write(content, off, Math.min(100_000, content.length - off));
            }
            conn.finishBody();
            assertStatus(201, conn.readResponse());
            conn.discard();

            conn.sendRequest("GET", target);
            assertStatus(200, conn.readResponse());
            assertArrayEquals(content, conn.readAll());
        }
    }

    @Test
    void certificateFromAnUntrustedIssuerIsRefused(Nginx nginx) throws Exception {
        try (HttpConnection conn = HttpConnection.builder(nginx.host()).port(nginx.port(Server.TLS)).tls().build()) {
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> conn.sendRequest("GET", "/"));
            assertTrue(e.getMessage().contains("PKIX") || e.getMessage().contains("certification path"), e.getMessage());
        }
    }
}
