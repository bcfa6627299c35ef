package io.dugong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.TestCertificates;

import java.nio.charset.StandardCharsets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connect timeout bounds opening a connection: the TCP connect (a full accept backlog), the TLS
 * handshake, and the proxy's answer to {@code CONNECT}; each ends in {@link ConnectTimeoutException} (a
 * {@link ConnectionTimedOutException}) with the socket closed, from an {@link HttpConnection} and from a
 * {@link DugongClient} alike. Everything stays on loopback.
 */
@Timeout(30)
class ConnectTimeoutTest {

    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(300);

    private static SSLContext trustingClient;

    @BeforeAll
    static void generateCertificates() {
        trustingClient = TestCertificates.get().clientContext();
    }

    @Test
    void tlsHandshakeThatIsNeverAnsweredTimesOut() throws Exception {
        CompletableFuture<Integer> helloBytesThenClose = new CompletableFuture<>();
        // Plain TCP: it accepts, swallows the ClientHello and never answers it.
        try (ScriptedServer server = ScriptedServer.start(c -> helloBytesThenClose.complete(c.readToEof().length));
             HttpConnection conn = HttpConnection.builder("localhost").port(server.port()).tls(trustingClient)
                     .connectTimeout(CONNECT_TIMEOUT).build()) {
            ConnectTimeoutException e = assertThrows(ConnectTimeoutException.class, conn::connect);
            assertTrue(e.getMessage().contains("TLS handshake"), e.getMessage());
            assertTrue(NetworkErrors.isTemporary(e));
            assertTrue(helloBytesThenClose.get(10, TimeUnit.SECONDS) > 0, "the client sent its hello, then closed");
        }
    }

    @Test
    void proxyThatNeverAnswersConnectTimesOut() throws Exception {
        CompletableFuture<RecordedRequest> connect = new CompletableFuture<>();
        CompletableFuture<Boolean> closed = new CompletableFuture<>();
        try (ScriptedServer proxy = ScriptedServer.start(c -> {
            connect.complete(c.readRequestHead());
            c.readToEof();
            closed.complete(true);
        });
             HttpConnection conn = HttpConnection.builder("localhost").port(443).tls(trustingClient)
                     .proxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port()))
                     .connectTimeout(CONNECT_TIMEOUT).build()) {
            ConnectTimeoutException e = assertThrows(ConnectTimeoutException.class, conn::connect);
            assertTrue(e.getMessage().contains("proxy tunnel"), e.getMessage());
            assertEquals("CONNECT", connect.get(10, TimeUnit.SECONDS).method());
            assertTrue(closed.get(10, TimeUnit.SECONDS), "the client closed its socket to the proxy");
        }
    }

    @Test
    void tcpConnectToAFullAcceptBacklogTimesOut() throws Exception {
        try (FullBacklog full = FullBacklog.open();
             HttpConnection conn = HttpConnection.builder("127.0.0.1").port(full.port())
                     .connectTimeout(CONNECT_TIMEOUT).build()) {
            ConnectTimeoutException e = assertThrows(ConnectTimeoutException.class, conn::connect);
            assertTrue(e.getMessage().contains("connecting to 127.0.0.1"), e.getMessage());
            assertTrue(NetworkErrors.isTemporary(e));
        }
    }

    @Test
    void afterAHandshakeTimeoutTheNextRequestConnectsAfresh() throws Exception {
        CountDownLatch firstAttemptFailed = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.builder().tls(TestCertificates.get().serverContext()).start(c -> {
            if (c.id() == 1) {
                firstAttemptFailed.await(); // never reads, so never answers the ClientHello
                return;
            }
            c.readRequest();
            c.sendResponse(200, "second attempt");
        });
             HttpConnection conn = HttpConnection.builder("localhost").port(server.port()).tls(trustingClient)
                     .connectTimeout(CONNECT_TIMEOUT).build()) {
            assertThrows(ConnectTimeoutException.class, () -> conn.sendRequest("GET", "/"));
            firstAttemptFailed.countDown();
            conn.sendRequest("GET", "/");
            assertEquals(200, conn.readResponse().status());
            assertEquals("second attempt", new String(conn.readAll(), StandardCharsets.ISO_8859_1));
            assertEquals(2, server.acceptedConnections());
        }
    }

    // The same three paths through a DugongClient: the caller gets the connect timeout itself.

    @Test
    void clientSendToASilentTlsServerFailsWithAConnectTimeout() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> c.readToEof());
             DugongClient client = DugongClient.builder().tls(trustingClient).connectTimeout(CONNECT_TIMEOUT).build()) {
            ConnectTimeoutException e = assertThrows(ConnectTimeoutException.class,
                    () -> client.send(Request.get(java.net.URI.create("https://localhost:" + server.port() + "/"))));
            assertTrue(e.getMessage().contains("TLS handshake"), e.getMessage());
        }
    }

    @Test
    void clientSendThroughASilentProxyFailsWithAConnectTimeout() throws Exception {
        try (ScriptedServer proxy = ScriptedServer.start(c -> c.readToEof());
             DugongClient client = DugongClient.builder().tls(trustingClient).connectTimeout(CONNECT_TIMEOUT)
                     .proxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port())).build()) {
            ConnectTimeoutException e = assertThrows(ConnectTimeoutException.class,
                    () -> client.send(Request.get(java.net.URI.create("https://localhost:443/"))));
            assertTrue(e.getMessage().contains("proxy tunnel"), e.getMessage());
        }
    }

    @Test
    void clientSendToAFullAcceptBacklogFailsWithAConnectTimeout() throws Exception {
        try (FullBacklog full = FullBacklog.open();
             DugongClient client = DugongClient.builder().connectTimeout(CONNECT_TIMEOUT).build()) {
            ConnectTimeoutException e = assertThrows(ConnectTimeoutException.class,
                    () -> client.send(Request.get(java.net.URI.create("http://127.0.0.1:" + full.port() + "/"))));
            assertTrue(e.getMessage().contains("connecting to 127.0.0.1"), e.getMessage());
        }
    }

    /**
     * A listener on loopback that never accepts, its accept queue filled: the kernel drops further SYNs,
     * so a connect neither succeeds nor fails.
     */
    static final class FullBacklog implements AutoCloseable {
        private final ServerSocket listener;
        private final List<Socket> fillers = new ArrayList<>();

        private FullBacklog(ServerSocket listener) {
            this.listener = listener;
        }

        static FullBacklog open() throws java.io.IOException {
            FullBacklog b = new FullBacklog(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            boolean full = false;
            for (int i = 0; i < 8 && !full; i++) {
                Socket s = new Socket();
                b.fillers.add(s);
                try {
                    s.connect(b.listener.getLocalSocketAddress(), 200);
                } catch (SocketTimeoutException e) {
                    full = true;
                }
            }
            if (!full) b.close();
            assumeTrue(full, "this OS accepted 8 connections into a backlog of 1 without dropping SYNs");
            return b;
        }

        int port() {
            return listener.getLocalPort();
        }

        @Override
        public void close() throws java.io.IOException {
            for (Socket s : fillers) s.close();
            listener.close();
        }
    }
}
