package io.dugong.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.ConnectTimeoutException;
import io.dugong.ConnectionTimedOutException;
import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.TestCertificates;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the adapter does beyond being the same as the JDK's client: pipelining over a bounded number
 * of connections, its own builder options, and what it does not support.
 */
@Timeout(60)
class DugongHttpClientTest {

    @Test
    void thousandSendAsyncToOneOriginUseAtMostMaxConnectionsPerOrigin() throws Exception {
        TestSite site = new TestSite();
        try (ScriptedServer server = ScriptedServer.start(site);
             HttpClient client = DugongHttpClient.newBuilder().maxConnectionsPerOrigin(4).pipelineDepth(64).build()) {
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                all.add(client.sendAsync(HttpRequest.newBuilder(server.uri("/text")).build(), BodyHandlers.ofString()));
            }
            for (var f : all) assertEquals("hello dugong", f.join().body());
            assertTrue(server.acceptedConnections() <= 4, "connections: " + server.acceptedConnections());
        }
    }

    @Test
    void requestsArePipelinedOnOneConnection() throws Exception {
        List<Integer> readBeforeAnswering = new ArrayList<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
                 List<RecordedRequest> got = new ArrayList<>();
                 // Both arrive before any answer (a new origin starts at depth 2: DugongClient learns how deep it may go).
                 for (int i = 0; i < 2; i++) got.add(c.readRequest());
                 readBeforeAnswering.add(got.size());
                 for (RecordedRequest r : got) c.sendResponse(200, r.target());
             });
             HttpClient client = DugongHttpClient.newBuilder().maxConnectionsPerOrigin(1).build()) {
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (String p : List.of("/a", "/b")) {
                all.add(client.sendAsync(HttpRequest.newBuilder(server.uri(p)).build(), BodyHandlers.ofString()));
            }
            assertEquals(List.of("/a", "/b"), all.stream().map(f -> f.join().body()).toList());
            assertEquals(List.of(2), readBeforeAnswering);
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void failuresKeepDugongsExceptionAsTheCause() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (HttpClient client = DugongHttpClient.newHttpClient()) {
            ConnectException e = assertThrows(ConnectException.class, () -> client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(), BodyHandlers.ofString()));
            boolean dugong = false;
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                dugong |= c.getClass().getPackageName().equals("io.dugong") || c instanceof java.net.ConnectException;
            }
            assertTrue(dugong, "cause chain: " + e.getCause());
        }
    }

    // Each way the connect timeout can pass (TCP, proxy tunnel, TLS handshake) is dugong's
    // ConnectTimeoutException, which the application gets as the JDK's HttpConnectTimeoutException.

    @Test
    void aTcpConnectTimeoutIsAnHttpConnectTimeoutExceptionCausedByDugongs() throws Exception {
        try (SameAsJdkScenarios.Backlog full = SameAsJdkScenarios.Backlog.full();
             HttpClient client = DugongHttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build()) {
            assertConnectTimeout(client, full.uri(), "connecting to 127.0.0.1");
        }
    }

    @Test
    void aTlsHandshakeTimeoutIsAnHttpConnectTimeoutExceptionCausedByDugongs() throws Exception {
        try (ScriptedServer silent = ScriptedServer.start(c -> c.readToEof());
             HttpClient client = DugongHttpClient.newBuilder().connectTimeout(Duration.ofMillis(300))
                     .sslContext(TestCertificates.get().clientContext()).build()) {
            assertConnectTimeout(client, URI.create("https://localhost:" + silent.port() + "/"), "TLS handshake");
        }
    }

    @Test
    void aProxyTunnelTimeoutIsAnHttpConnectTimeoutExceptionCausedByDugongs() throws Exception {
        try (ScriptedServer silentProxy = ScriptedServer.start(c -> c.readToEof());
             HttpClient client = DugongHttpClient.newBuilder().connectTimeout(Duration.ofMillis(300))
                     .proxy(ProxySelector.of(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), silentProxy.port())))
                     .sslContext(TestCertificates.get().clientContext()).build()) {
            assertConnectTimeout(client, URI.create("https://localhost:443/"), "proxy tunnel");
        }
    }

    private static void assertConnectTimeout(HttpClient client, URI uri, String step) {
        HttpRequest request = HttpRequest.newBuilder(uri).build();
        HttpConnectTimeoutException e = assertThrows(HttpConnectTimeoutException.class,
                () -> client.send(request, BodyHandlers.ofString()));
        ConnectTimeoutException cause = assertInstanceOf(ConnectTimeoutException.class, e.getCause());
        assertTrue(cause.getMessage().contains(step), cause.getMessage());
        java.util.concurrent.ExecutionException async = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> client.sendAsync(request, BodyHandlers.ofString()).get());
        assertInstanceOf(ConnectTimeoutException.class, assertInstanceOf(HttpConnectTimeoutException.class, async.getCause()).getCause());
    }

    @Test
    void onlyTheConnectTimeoutTypeMakesAnHttpConnectTimeoutException() {
        // The type decides, not the words: another timeout that happens to read alike stays an IOException.
        Throwable lookalike = Failures.toJdk(new ConnectionTimedOutException("the connect timeout of PT1S passed"));
        assertEquals(java.io.IOException.class, lookalike.getClass());
        ConnectTimeoutException timeout = new ConnectTimeoutException("connecting took too long");
        Throwable mapped = Failures.toJdk(new java.util.concurrent.CompletionException(new io.dugong.ConnectionClosedException("wrapped", timeout)));
        assertInstanceOf(HttpConnectTimeoutException.class, mapped);
        assertEquals(timeout, mapped.getCause());
    }

    @Test
    void webSocketIsNotSupported() {
        try (HttpClient client = DugongHttpClient.newHttpClient()) {
            assertThrows(UnsupportedOperationException.class, client::newWebSocketBuilder);
        }
    }

    @Test
    void theBuilderTakesEveryHttpClientOptionAndReportsThem() throws Exception {
        ProxySelector proxy = ProxySelector.of(null);
        java.util.concurrent.Executor executor = Runnable::run;
        HttpClient.Builder b = DugongHttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(3))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .proxy(proxy)
                .sslContext(javax.net.ssl.SSLContext.getDefault())
                .sslParameters(new javax.net.ssl.SSLParameters(null, new String[] {"TLSv1.3"}))
                .authenticator(new java.net.Authenticator() { })
                .cookieHandler(new java.net.CookieManager())
                .executor(executor)
                .priority(42)
                .version(HttpClient.Version.HTTP_2)
                .localAddress(InetAddress.getLoopbackAddress());
        try (HttpClient client = b.build()) {
            assertInstanceOf(DugongHttpClient.class, client);
            assertEquals(Duration.ofSeconds(3), client.connectTimeout().orElseThrow());
            assertEquals(HttpClient.Redirect.NORMAL, client.followRedirects());
            assertEquals(proxy, client.proxy().orElseThrow());
            assertEquals(List.of("TLSv1.3"), List.of(client.sslParameters().getProtocols()));
            assertTrue(client.authenticator().isPresent());
            assertTrue(client.cookieHandler().isPresent());
            assertEquals(executor, client.executor().orElseThrow());
            assertEquals(HttpClient.Version.HTTP_2, client.version());
        }
        assertThrows(IllegalArgumentException.class, () -> DugongHttpClient.newBuilder().priority(0));
        assertThrows(IllegalArgumentException.class, () -> DugongHttpClient.newBuilder().connectTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> DugongHttpClient.newBuilder().maxConnectionsPerOrigin(0));
    }

    @Test
    void aBoundLocalAddressIsTheSourceOfTheConnection() throws Exception {
        List<String> sources = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
                 sources.add(((java.net.InetSocketAddress) c.socket().getRemoteSocketAddress()).getAddress().getHostAddress());
                 c.readRequest();
                 c.sendResponse(200, "ok");
             });
             HttpClient client = DugongHttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2")).build()) {
            assertEquals(200, client.send(HttpRequest.newBuilder(server.uri("/")).build(), BodyHandlers.ofString()).statusCode());
            assertEquals(List.of("127.0.0.2"), sources);
        }
    }

    @Test
    void theDefaultClientIsHttp11AndHasNoExecutorOfItsOwnToReport() {
        try (HttpClient client = DugongHttpClient.newHttpClient()) {
            assertEquals(HttpClient.Version.HTTP_1_1, client.version());
            assertFalse(client.executor().isPresent());
            assertEquals(HttpClient.Redirect.NEVER, client.followRedirects());
        }
    }
}
