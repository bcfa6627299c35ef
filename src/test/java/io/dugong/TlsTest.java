package io.dugong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.TestCertificates;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TLS: trust, hostname verification and its opt-out, SNI, {@code https} URIs, the session, and peers
 * that drop the connection without a close_notify alert or with a reset. The certificates come from a
 * throw-away CA generated with keytool ({@link TestCertificates}).
 */
@Timeout(30)
class TlsTest {

    private static TestCertificates certs;
    private static SSLContext trustingClient;

    @BeforeAll
    static void generateCertificates() {
        certs = TestCertificates.get();
        trustingClient = certs.clientContext();
    }

    private static ScriptedServer.Builder tlsServer() {
        return ScriptedServer.builder().tls(certs.serverContext());
    }

    private static HttpConnection.Builder client(String host, ScriptedServer server) {
        return HttpConnection.builder(host).port(server.port()).tls(trustingClient);
    }

    @Test
    void requestSucceedsWhenTheServerCertificateIsIssuedByATrustedCa() throws Exception {
        try (ScriptedServer server = tlsServer().start(c -> {
            RecordedRequest r = c.readRequest();
            assertEquals("GET /secret HTTP/1.1", r.method() + " " + r.target() + " " + r.version());
            c.sendResponse(200, "over tls");
        });
             HttpConnection conn = client("localhost", server).build()) {
            conn.sendRequest("GET", "/secret");
            ResponseHead head = conn.readResponse();
            assertEquals(200, head.status());
            assertEquals("over tls", new String(conn.readAll(), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void pipelinedRequestsWorkOverTls() throws Exception {
        try (ScriptedServer server = tlsServer().start(c -> {
            RecordedRequest a = c.readRequest();
            RecordedRequest b = c.readRequest();
            c.sendResponse(200, a.target());
            c.sendResponse(200, b.target());
        });
             HttpConnection conn = client("localhost", server).build()) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");
            server.awaitRequests(2);
            conn.readResponse();
            assertEquals("/a", new String(conn.readAll(), StandardCharsets.ISO_8859_1));
            conn.readResponse();
            assertEquals("/b", new String(conn.readAll(), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void sniNamesTheHost() throws Exception {
        CompletableFuture<List<SNIServerName>> sni = new CompletableFuture<>();
        try (ScriptedServer server = tlsServer().start(c -> {
            c.handshake();
            sni.complete(((ExtendedSSLSession) ((SSLSocket) c.socket()).getSession()).getRequestedServerNames());
            c.readRequest();
            c.sendResponse(200, "");
        });
             HttpConnection conn = client("localhost", server).build()) {
            conn.connect();
            List<SNIServerName> names = sni.get(10, TimeUnit.SECONDS);
            assertEquals(1, names.size(), names::toString);
            assertEquals("localhost", new String(names.get(0).getEncoded(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void sniIsSentWithCallerSuppliedParametersToo() throws Exception {
        CompletableFuture<List<SNIServerName>> sni = new CompletableFuture<>();
        SSLParameters params = new SSLParameters();
        params.setProtocols(new String[] {"TLSv1.2"});
        try (ScriptedServer server = tlsServer().start(c -> {
            c.handshake();
            sni.complete(((ExtendedSSLSession) ((SSLSocket) c.socket()).getSession()).getRequestedServerNames());
        });
             HttpConnection conn = HttpConnection.builder("localhost").port(server.port()).tls(trustingClient, params).build()) {
            conn.connect();
            List<SNIServerName> names = sni.get(10, TimeUnit.SECONDS);
            assertEquals(1, names.size(), names::toString);
            assertEquals("localhost", new String(names.get(0).getEncoded(), StandardCharsets.US_ASCII));
            assertEquals("TLSv1.2", conn.sslSession().orElseThrow().getProtocol(), "the parameters were applied");
        }
    }

    @Test
    void callerSuppliedParametersAreNotModified() throws Exception {
        SSLParameters params = new SSLParameters();
        try (ScriptedServer server = tlsServer().start(c -> c.handshake());
             HttpConnection conn = HttpConnection.builder("localhost").port(server.port()).tls(trustingClient, params).build()) {
            conn.connect();
            assertEquals(null, params.getEndpointIdentificationAlgorithm(), "the caller's object may be shared");
            assertEquals(null, params.getServerNames());
        }
    }

    @Test
    void untrustedCertificateFailsTheHandshake() throws Exception {
        // The JDK's default trust store does not know the test CA.
        try (ScriptedServer server = tlsServer().start(c -> assertThrows(IOException.class, c::handshake));
             HttpConnection conn = HttpConnection.builder("localhost").port(server.port()).tls().build()) {
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> conn.sendRequest("GET", "/"));
            assertFalse(NetworkErrors.isTemporary(e), "an untrusted certificate is permanent");
            assertEquals(0, server.requestsRead());
        }
    }

    @Test
    void hostnameMismatchFailsTheHandshake() throws Exception {
        try (ScriptedServer server = ScriptedServer.builder().tls(certs.wrongNameServerContext())
                .start(c -> assertThrows(IOException.class, c::handshake));
             HttpConnection conn = client("localhost", server).build()) {
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> conn.sendRequest("GET", "/"));
            assertTrue(String.valueOf(e.getMessage()).contains("localhost"), e::toString);
            assertFalse(NetworkErrors.isTemporary(e), "a certificate for another name is permanent");
        }
    }

    @Test
    void hostnameMismatchFailsWithCallerSuppliedParametersToo() throws Exception {
        try (ScriptedServer server = ScriptedServer.builder().tls(certs.wrongNameServerContext())
                .start(c -> assertThrows(IOException.class, c::handshake));
             HttpConnection conn = HttpConnection.builder("localhost").port(server.port())
                     .tls(trustingClient, new SSLParameters()).build()) {
            assertThrows(SSLHandshakeException.class, () -> conn.sendRequest("GET", "/"));
        }
    }

    @Test
    void hostnameMismatchIsAcceptedOnlyWithTheInsecureOptOut() throws Exception {
        try (ScriptedServer server = ScriptedServer.builder().tls(certs.wrongNameServerContext()).start(c -> {
            c.readRequest();
            c.sendResponse(200, "trusted CA, other name");
        });
             HttpConnection conn = client("localhost", server).insecureDisableHostnameVerification().build()) {
            conn.sendRequest("GET", "/");
            assertEquals(200, conn.readResponse().status());
            assertEquals("trusted CA, other name", new String(conn.readAll(), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void theInsecureOptOutStillRejectsAnUntrustedCertificate() throws Exception {
        try (ScriptedServer server = tlsServer().start(c -> assertThrows(IOException.class, c::handshake));
             HttpConnection conn = HttpConnection.builder("localhost").port(server.port()).tls()
                     .insecureDisableHostnameVerification().build()) {
            assertThrows(SSLHandshakeException.class, () -> conn.sendRequest("GET", "/"));
        }
    }

    @Test
    void anIpAddressIsVerifiedAgainstTheCertificateIpNames() throws Exception {
        try (ScriptedServer server = tlsServer().start(c -> {
            c.readRequest();
            c.sendResponse(200, "by ip");
        });
             HttpConnection conn = client("127.0.0.1", server).build()) {
            conn.sendRequest("GET", "/");
            assertEquals(200, conn.readResponse().status());
            conn.discard();
        }
    }

    @Test
    void anIpAddressMissingFromTheCertificateFailsTheHandshake() throws Exception {
        try (ScriptedServer server = ScriptedServer.builder().tls(certs.wrongNameServerContext())
                .start(c -> assertThrows(IOException.class, c::handshake));
             HttpConnection conn = client("127.0.0.1", server).build()) {
            assertThrows(SSLHandshakeException.class, () -> conn.sendRequest("GET", "/"));
        }
    }

    @Test
    void sslSessionShowsThePeerCertificateOnceConnected() throws Exception {
        try (ScriptedServer server = tlsServer().start(c -> {
            c.readRequest();
            c.sendResponse(200, "");
        });
             HttpConnection conn = client("localhost", server).build()) {
            assertTrue(conn.sslSession().isEmpty(), "no session before connecting");
            conn.sendRequest("GET", "/");
            conn.readResponse();
            SSLSession session = conn.sslSession().orElseThrow();
            X509Certificate peer = (X509Certificate) session.getPeerCertificates()[0];
            assertTrue(peer.getSubjectX500Principal().getName().contains("CN=localhost"), peer::toString);
            assertEquals(certs.caCertificate().getSubjectX500Principal(), peer.getIssuerX500Principal());
        }
    }

    @Test
    void sslSessionIsEmptyForPlainHttp() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, "");
        });
             HttpConnection conn = HttpConnection.open(server.host(), server.port())) {
            conn.sendRequest("GET", "/");
            conn.readResponse();
            assertTrue(conn.sslSession().isEmpty());
        }
    }

    @Test
    void httpsUriMeansTlsOnPort443UnlessGiven() {
        assertEquals(443, HttpConnection.open(URI.create("https://localhost/x")).port());
        assertEquals(80, HttpConnection.open(URI.create("http://localhost/x")).port());
        assertEquals(8443, HttpConnection.open(URI.create("https://localhost:8443/x")).port());
    }

    @Test
    void httpsUriStartsATlsHandshake() throws Exception {
        CompletableFuture<Integer> firstByte = new CompletableFuture<>();
        // A plain TCP server: it sees what the client sends first, then hangs up.
        try (ScriptedServer server = ScriptedServer.start(c -> {
            byte[] b = new byte[1];
            firstByte.complete(c.readAvailable(b) == 1 ? b[0] & 0xff : -1);
        });
             HttpConnection conn = HttpConnection.open(URI.create("https://localhost:" + server.port() + "/"))) {
            assertThrows(IOException.class, () -> conn.sendRequest("GET", "/"));
            assertEquals(0x16, firstByte.get(10, TimeUnit.SECONDS), "a TLS handshake record, not an HTTP request");
        }
    }

    @Test
    void readUntilCloseBodyEndsAtACloseNotify() throws Exception {
        try (ScriptedServer server = tlsServer().start(c -> {
            c.readRequest();
            c.send("HTTP/1.1 200 OK\r\n\r\nall of it");
            // returning closes the TLS socket: close_notify, then FIN
        });
             HttpConnection conn = client("localhost", server).build()) {
            conn.sendRequest("GET", "/");
            assertTrue(conn.readResponse().length().isEmpty());
            assertArrayEquals("all of it".getBytes(StandardCharsets.ISO_8859_1), conn.readAll());
        }
    }

    @Test
    void closeWithoutCloseNotifyTruncatesAReadUntilCloseBody() throws Exception {
        try (ScriptedServer server = tlsServer().start(c -> {
            c.readRequest();
            c.send("HTTP/1.1 200 OK\r\n\r\nperhaps not all");
            c.closeWithoutCloseNotify();
        });
             HttpConnection conn = client("localhost", server).build()) {
            conn.sendRequest("GET", "/");
            conn.readResponse();
            byte[] buf = new byte[100];
            int n = conn.read(buf, 0, buf.length);
            assertEquals("perhaps not all", new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> conn.read(buf, 0, buf.length));
            assertTrue(NetworkErrors.isTemporary(e));
        }
    }

    @Test
    void closeWithoutCloseNotifyBeforeTheResponseIsConnectionClosed() throws Exception {
        try (ScriptedServer server = tlsServer().start(c -> {
            c.readRequest();
            c.closeWithoutCloseNotify();
        });
             HttpConnection conn = client("localhost", server).build()) {
            conn.sendRequest("GET", "/");
            assertThrows(ConnectionClosedException.class, conn::readResponse);
        }
    }

    @Test
    void resetOverTlsIsConnectionClosed() throws Exception {
        try (ScriptedServer server = tlsServer().start(c -> {
            c.readRequest();
            c.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstart");
            c.reset();
        });
             HttpConnection conn = client("localhost", server).build()) {
            conn.sendRequest("GET", "/");
            conn.readResponse();
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, conn::readAll);
            assertTrue(NetworkErrors.isTemporary(e));
        }
    }

    @Test
    void peerClosingDuringTheHandshakeIsConnectionClosed() throws Exception {
        // A plain TCP server that reads the ClientHello and hangs up without answering.
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readAvailable(new byte[16 * 1024]);
            c.closeGracefully();
        });
             HttpConnection conn = client("localhost", server).build()) {
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, conn::connect);
            assertTrue(NetworkErrors.isTemporary(e));
        }
    }

    @Test
    void peerResettingDuringTheHandshakeIsConnectionClosed() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readAvailable(new byte[16 * 1024]);
            c.reset();
        });
             HttpConnection conn = client("localhost", server).build()) {
            IOException e = assertThrows(IOException.class, conn::connect);
            assertInstanceOf(ConnectionClosedException.class, e);
            assertTrue(NetworkErrors.isTemporary(e));
        }
    }
}
