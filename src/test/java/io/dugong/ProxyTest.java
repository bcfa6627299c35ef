package io.dugong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.ServerConnection;
import io.dugong.testing.TestCertificates;
import io.dugong.testing.Tunnels;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP proxies: absolute-form targets for plain HTTP, a {@code CONNECT} tunnel (with optional
 * Proxy-Authorization) and TLS inside it for HTTPS, and refused tunnels — against a scripted proxy and
 * against a real tinyproxy started on loopback (skipped only where tinyproxy is not installed).
 */
@Timeout(30)
class ProxyTest {

    private static final String AUTH = "Basic dXNlcjpzZWNyZXQ="; // user:secret

    private static TestCertificates certs;
    private static SSLContext trustingClient;

    @BeforeAll
    static void generateCertificates() {
        certs = TestCertificates.get();
        trustingClient = certs.clientContext();
    }

    private static InetSocketAddress addressOf(ScriptedServer proxy) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port());
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    // ------------------------------------------------------------------------------------------
    // Plain HTTP through a proxy

    @Test
    void plainHttpThroughAProxySendsAbsoluteFormTargets() throws Exception {
        CompletableFuture<RecordedRequest> seen = new CompletableFuture<>();
        try (ScriptedServer proxy = ScriptedServer.start(c -> {
            seen.complete(c.readRequest());
            c.sendResponse(200, "from the proxy");
        });
             HttpConnection conn = HttpConnection.builder("origin.example").port(8080).proxy(addressOf(proxy)).build()) {
            conn.sendRequest("GET", "/p?q=1");
            assertEquals(200, conn.readResponse().status());
            assertEquals("from the proxy", text(conn.readAll()));
            RecordedRequest r = seen.get(10, TimeUnit.SECONDS);
            assertEquals("http://origin.example:8080/p?q=1", r.target());
            assertEquals(Optional.of("origin.example:8080"), r.header("Host"));
            assertTrue(r.header("Proxy-Authorization").isEmpty(), "none configured");
        }
    }

    @Test
    void absoluteFormTargetOmitsTheDefaultPort() throws Exception {
        CompletableFuture<RecordedRequest> seen = new CompletableFuture<>();
        try (ScriptedServer proxy = ScriptedServer.start(c -> {
            seen.complete(c.readRequest());
            c.sendResponse(204, "");
        });
             HttpConnection conn = HttpConnection.builder("origin.example").proxy(addressOf(proxy)).build()) {
            conn.sendRequest("GET", "/");
            conn.readResponse();
            assertEquals("http://origin.example/", seen.get(10, TimeUnit.SECONDS).target());
        }
    }

    @Test
    void proxyAuthorizationGoesOnEveryPlainRequest() throws Exception {
        try (ScriptedServer proxy = ScriptedServer.start(c -> {
            for (int i = 0; i < 2; i++) {
                RecordedRequest r = c.readRequest();
                assertEquals(Optional.of(AUTH), r.header("Proxy-Authorization"), r.headText());
                c.sendResponse(200, "ok");
            }
        });
             HttpConnection conn = HttpConnection.builder("origin.example").proxy(addressOf(proxy))
                     .proxyAuthorization(AUTH).build()) {
            conn.sendRequest("GET", "/a");
            conn.sendRequest("GET", "/b");
            for (int i = 0; i < 2; i++) {
                assertEquals(200, conn.readResponse().status());
                conn.discard();
            }
            assertEquals(2, proxy.requestsRead());
        }
    }

    // ------------------------------------------------------------------------------------------
    // HTTPS through a CONNECT tunnel (scripted proxy relaying to a TLS server)

    @Test
    void httpsThroughAProxyOpensAConnectTunnelThenSpeaksTlsInside() throws Exception {
        CompletableFuture<RecordedRequest> connect = new CompletableFuture<>();
        CompletableFuture<RecordedRequest> tunnelled = new CompletableFuture<>();
        try (ScriptedServer origin = ScriptedServer.builder().tls(certs.serverContext()).start(c -> {
            tunnelled.complete(c.readRequest());
            c.sendResponse(200, "through the tunnel");
        });
             ScriptedServer proxy = ScriptedServer.start(c -> {
                 connect.complete(c.readRequestHead());
                 Tunnels.acceptTunnelTo(c, origin.port());
             });
             HttpConnection conn = HttpConnection.builder("localhost").port(origin.port()).tls(trustingClient)
                     .proxy(addressOf(proxy)).build()) {
            conn.sendRequest("GET", "/secret");
            assertEquals(200, conn.readResponse().status());
            assertEquals("through the tunnel", text(conn.readAll()));

            RecordedRequest c = connect.get(10, TimeUnit.SECONDS);
            assertEquals("CONNECT localhost:" + origin.port() + " HTTP/1.1", c.method() + " " + c.target() + " " + c.version());
            assertEquals(Optional.of("localhost:" + origin.port()), c.header("Host"));
            assertTrue(c.header("Proxy-Authorization").isEmpty(), "none configured");
            RecordedRequest r = tunnelled.get(10, TimeUnit.SECONDS);
            assertEquals("/secret", r.target(), "inside the tunnel the target is origin-form");
            assertTrue(conn.sslSession().isPresent());
        }
    }

    @Test
    void connectCarriesProxyAuthorizationWhichNeverEntersTheTunnel() throws Exception {
        CompletableFuture<RecordedRequest> connect = new CompletableFuture<>();
        CompletableFuture<RecordedRequest> tunnelled = new CompletableFuture<>();
        try (ScriptedServer origin = ScriptedServer.builder().tls(certs.serverContext()).start(c -> {
            tunnelled.complete(c.readRequest());
            c.sendResponse(200, "");
        });
             ScriptedServer proxy = ScriptedServer.start(c -> {
                 connect.complete(c.readRequestHead());
                 Tunnels.acceptTunnelTo(c, origin.port());
             });
             HttpConnection conn = HttpConnection.builder("localhost").port(origin.port()).tls(trustingClient)
                     .proxy(addressOf(proxy)).proxyAuthorization(AUTH).build()) {
            conn.sendRequest("GET", "/");
            conn.readResponse();
            assertEquals(Optional.of(AUTH), connect.get(10, TimeUnit.SECONDS).header("Proxy-Authorization"));
            assertTrue(tunnelled.get(10, TimeUnit.SECONDS).header("Proxy-Authorization").isEmpty(),
                    "the proxy credentials must not reach the origin server");
        }
    }

    @Test
    void tlsInsideTheTunnelVerifiesTheOriginNameNotTheProxy() throws Exception {
        try (ScriptedServer origin = ScriptedServer.builder().tls(certs.wrongNameServerContext())
                .start(c -> assertThrows(IOException.class, c::handshake));
             ScriptedServer proxy = ScriptedServer.start(c -> {
                 c.readRequestHead();
                 Tunnels.acceptTunnelTo(c, origin.port());
             });
             HttpConnection conn = HttpConnection.builder("localhost").port(origin.port()).tls(trustingClient)
                     .proxy(addressOf(proxy)).build()) {
            assertThrows(SSLHandshakeException.class, conn::connect);
        }
    }

    @Test
    void refusedTunnelIsProxyTunnelExceptionAndClosesTheSocket() throws Exception {
        CompletableFuture<Boolean> clientClosed = new CompletableFuture<>();
        try (ScriptedServer proxy = ScriptedServer.start(c -> {
            c.readRequestHead();
            c.send("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n"
                    + "Content-Length: 0\r\n\r\n");
            clientClosed.complete(c.readAvailable(new byte[100]) < 0);
        });
             HttpConnection conn = HttpConnection.builder("localhost").port(443).tls(trustingClient)
                     .proxy(addressOf(proxy)).build()) {
            ProxyTunnelException e = assertThrows(ProxyTunnelException.class, () -> conn.sendRequest("GET", "/"));
            assertEquals(407, e.status());
            assertEquals("Proxy Authentication Required", e.reason());
            assertFalse(NetworkErrors.isTemporary(e));
            assertTrue(clientClosed.get(10, TimeUnit.SECONDS), "the client closed its socket to the proxy");
        }
    }

    @Test
    void connectTargetBracketsAnIpv6Literal() throws Exception {
        CompletableFuture<RecordedRequest> connect = new CompletableFuture<>();
        try (ScriptedServer proxy = ScriptedServer.start(c -> {
            connect.complete(c.readRequestHead());
            c.send("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        });
             HttpConnection conn = HttpConnection.builder("::1").tls(trustingClient).proxy(addressOf(proxy)).build()) {
            ProxyTunnelException e = assertThrows(ProxyTunnelException.class, conn::connect);
            assertEquals(403, e.status());
            RecordedRequest r = connect.get(10, TimeUnit.SECONDS);
            assertEquals("[::1]:443", r.target());
            assertEquals(Optional.of("[::1]:443"), r.header("Host"));
        }
    }

    // ------------------------------------------------------------------------------------------
    // A real proxy: tinyproxy

    /** tinyproxy in the foreground on 127.0.0.1, stopped by its PID. */
    private static final class Tinyproxy implements AutoCloseable {
        private final Process process;
        private final StringBuffer log = new StringBuffer();
        private final int port;

        Tinyproxy(Path binary, Path dir, int connectPort) throws IOException, InterruptedException {
            this.port = freePort();
            Path conf = dir.resolve("tinyproxy.conf");
            Files.writeString(conf, String.join("\n",
                    "Port " + port,
                    "Listen 127.0.0.1",
                    "Allow 127.0.0.1",
                    "ConnectPort " + connectPort,
                    "Timeout 30",
                    "MaxClients 20",
                    "LogLevel Info",
                    ""));
            process = new ProcessBuilder(binary.toString(), "-d", "-c", conf.toString()).redirectErrorStream(true).start();
            CompletableFuture<Boolean> ready = new CompletableFuture<>();
            Thread.ofVirtual().name("tinyproxy-log").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        log.append(line).append('\n');
                        if (line.contains("Accepting connections")) ready.complete(true);
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                ready.complete(false);
            });
            boolean started;
            try {
                started = ready.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                started = false;
            }
            if (!started) {
                close();
                throw new AssertionError("tinyproxy did not start listening on 127.0.0.1:" + port + "; its output:\n" + log);
            }
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        }

        String log() {
            return log.toString();
        }

        @Override
        public void close() {
            process.destroy(); // SIGTERM to this PID only
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }

        private static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        }
    }

    private static Path tinyproxyBinary() {
        Stream<Path> onPath = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "tinyproxy"));
        Optional<Path> found = Stream.concat(onPath, Stream.of(Path.of("/usr/bin/tinyproxy"), Path.of("/usr/sbin/tinyproxy")))
                .filter(Files::isExecutable).findFirst();
        assumeTrue(found.isPresent(), "tinyproxy is not installed (Debian package 'tinyproxy', binary /usr/bin/tinyproxy):"
                + " skipping the tests against a real proxy");
        return found.get();
    }

    @Test
    void plainHttpThroughTinyproxy(@TempDir Path dir) throws Exception {
        Path binary = tinyproxyBinary();
        CompletableFuture<RecordedRequest> atOrigin = new CompletableFuture<>();
        try (ScriptedServer origin = ScriptedServer.start(c -> {
            atOrigin.complete(c.readRequest());
            c.sendResponse(200, "origin says hi");
        });
             Tinyproxy proxy = new Tinyproxy(binary, dir, 1);
             HttpConnection conn = HttpConnection.builder("127.0.0.1").port(origin.port()).proxy(proxy.address()).build()) {
            conn.sendRequest("GET", "/via-proxy?x=1");
            assertEquals(200, conn.readResponse().status(), proxy::log);
            assertEquals("origin says hi", text(conn.readAll()));
            RecordedRequest r = atOrigin.get(10, TimeUnit.SECONDS);
            assertEquals("/via-proxy?x=1", r.target(), "tinyproxy turned our absolute-form target into origin-form");
            assertEquals(Optional.of("127.0.0.1:" + origin.port()), r.header("Host"));
            assertTrue(r.header("Via").orElse("").contains("tinyproxy"), r::headText);
        }
    }

    @Test
    void httpsThroughATinyproxyTunnel(@TempDir Path dir) throws Exception {
        Path binary = tinyproxyBinary();
        try (ScriptedServer origin = ScriptedServer.builder().tls(certs.serverContext()).start(c -> {
            RecordedRequest r = c.readRequest();
            assertTrue(r.header("Via").isEmpty(), "a tunnel passes the request through untouched");
            c.sendResponse(200, "tls via tinyproxy " + r.target());
        });
             Tinyproxy proxy = new Tinyproxy(binary, dir, origin.port());
             HttpConnection conn = HttpConnection.builder("localhost").port(origin.port()).tls(trustingClient)
                     .proxy(proxy.address()).build()) {
            conn.sendRequest("GET", "/tunnelled");
            assertEquals(200, conn.readResponse().status(), proxy::log);
            assertEquals("tls via tinyproxy /tunnelled", text(conn.readAll()));
            assertTrue(proxy.log().contains("CONNECT localhost:" + origin.port()), proxy::log);
        }
    }

    @Test
    void tinyproxyRefusingAConnectPortIsProxyTunnelException(@TempDir Path dir) throws Exception {
        Path binary = tinyproxyBinary();
        try (ScriptedServer origin = ScriptedServer.builder().tls(certs.serverContext()).start(c -> {
            throw new AssertionError("tinyproxy must not have connected to the origin");
        });
             Tinyproxy proxy = new Tinyproxy(binary, dir, 1); // only port 1 may be tunnelled to
             HttpConnection conn = HttpConnection.builder("localhost").port(origin.port()).tls(trustingClient)
                     .proxy(proxy.address()).build()) {
            ProxyTunnelException e = assertThrows(ProxyTunnelException.class, conn::connect);
            assertEquals(403, e.status(), proxy::log);
            assertFalse(e.reason().isEmpty());
            assertEquals(0, origin.acceptedConnections());
            assertTrue(e.getMessage().contains("localhost:" + origin.port()), e::getMessage);
        }
    }
}
