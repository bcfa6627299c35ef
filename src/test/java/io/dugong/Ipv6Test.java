package io.dugong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.TestCertificates;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * IPv6 literals: connecting to the loopback {@code ::1} (skipped where the machine has no IPv6
 * loopback), with the host bracketed in {@code Host} headers and absolute-form targets.
 */
@Timeout(30)
class Ipv6Test {

    private static final InetAddress IPV6_LOOPBACK = ipv6Loopback();

    private static InetAddress ipv6Loopback() {
        try {
            return InetAddress.getByName("::1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Skips the test unless a socket can listen on [::1]. */
    private static void assumeIpv6Loopback() {
        try (ServerSocket probe = new ServerSocket(0, 1, IPV6_LOOPBACK)) {
            assumeTrue(probe.isBound());
        } catch (IOException e) {
            assumeTrue(false, "this machine has no IPv6 loopback [::1]: " + e);
        }
    }

    private static ScriptedServer.Builder onIpv6Loopback() {
        assumeIpv6Loopback();
        return ScriptedServer.builder().bindAddress(IPV6_LOOPBACK);
    }

    private static ScriptedServer.Handler answerWithHostHeader(CompletableFuture<RecordedRequest> seen) {
        return c -> {
            RecordedRequest r = c.readRequest();
            seen.complete(r);
            c.sendResponse(200, r.header("Host").orElse("none"));
        };
    }

    @Test
    void requestToTheIpv6LoopbackSendsABracketedHostHeader() throws Exception {
        CompletableFuture<RecordedRequest> seen = new CompletableFuture<>();
        try (ScriptedServer server = onIpv6Loopback().start(answerWithHostHeader(seen));
             HttpConnection conn = HttpConnection.open("::1", server.port())) {
            conn.sendRequest("GET", "/six");
            assertEquals(200, conn.readResponse().status());
            assertEquals("[::1]:" + server.port(), new String(conn.readAll(), StandardCharsets.ISO_8859_1));
            assertEquals("/six", seen.get(10, TimeUnit.SECONDS).target());
        }
    }

    @Test
    void aBracketedHostNameIsAcceptedToo() throws Exception {
        CompletableFuture<RecordedRequest> seen = new CompletableFuture<>();
        try (ScriptedServer server = onIpv6Loopback().start(answerWithHostHeader(seen));
             HttpConnection conn = HttpConnection.builder("[::1]").port(server.port()).build()) {
            conn.sendRequest("GET", "/");
            conn.readResponse();
            conn.discard();
            assertEquals(Optional.of("[::1]:" + server.port()), seen.get(10, TimeUnit.SECONDS).header("Host"));
        }
    }

    @Test
    void anHttpUriWithAnIpv6LiteralConnects() throws Exception {
        CompletableFuture<RecordedRequest> seen = new CompletableFuture<>();
        try (ScriptedServer server = onIpv6Loopback().start(answerWithHostHeader(seen));
             HttpConnection conn = HttpConnection.open(URI.create("http://[::1]:" + server.port() + "/x"))) {
            assertEquals("::1", conn.host());
            conn.sendRequest("GET", "/x");
            conn.readResponse();
            conn.discard();
            assertEquals(Optional.of("[::1]:" + server.port()), seen.get(10, TimeUnit.SECONDS).header("Host"));
        }
    }

    @Test
    void tlsToTheIpv6LoopbackVerifiesTheCertificateIpName() throws Exception {
        CompletableFuture<RecordedRequest> seen = new CompletableFuture<>();
        TestCertificates certs = TestCertificates.get();
        try (ScriptedServer server = onIpv6Loopback().tls(certs.serverContext()).start(answerWithHostHeader(seen));
             HttpConnection conn = HttpConnection.builder("::1").port(server.port()).tls(certs.clientContext()).build()) {
            conn.sendRequest("GET", "/");
            assertEquals(200, conn.readResponse().status());
            assertEquals("[::1]:" + server.port(), new String(conn.readAll(), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void onTheDefaultPortTheHostHeaderIsJustTheBracketedAddress() throws Exception {
        // Seen through a proxy (on 127.0.0.1), so no IPv6 and no port 80 are needed.
        CompletableFuture<RecordedRequest> seen = new CompletableFuture<>();
        try (ScriptedServer proxy = ScriptedServer.start(answerWithHostHeader(seen));
             HttpConnection conn = HttpConnection.builder("::1")
                     .proxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port())).build()) {
            conn.sendRequest("GET", "/p");
            conn.readResponse();
            conn.discard();
            RecordedRequest r = seen.get(10, TimeUnit.SECONDS);
            assertEquals(Optional.of("[::1]"), r.header("Host"));
            assertEquals("http://[::1]/p", r.target());
        }
    }
}
