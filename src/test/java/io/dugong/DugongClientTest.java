package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;

import static io.dugong.PipelineCancellationTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DugongClient: blocking and asynchronous sends, per-origin pools of pipelines (least-loaded, bounded),
 * isolation of a failed origin, default headers, the request timeout and idle eviction.
 */
@Timeout(30)
class DugongClientTest {

    private static ScriptedServer echo() {
        return ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        });
    }

    @Test
    void sendAndSendAsyncUseTheOriginFormTargetAndHostOfTheAbsoluteUri() throws Exception {
        Map<String, String> hosts = new ConcurrentHashMap<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                hosts.put(r.target(), r.header("Host").orElse("none"));
                c.sendResponse(200, "body of " + r.target());
            }
        }); DugongClient client = DugongClient.newClient()) {
            Response<String> sync = client.send(Request.get(server.uri("/a?x=1")), BodyReaders.ofString());
            CompletableFuture<Response<byte[]>> async = client.sendAsync(Request.get(server.uri("/b")));

            assertEquals("body of /a?x=1", sync.body());
            assertEquals(200, sync.status());
            assertEquals("body of /b", new String(async.get().body(), java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals("127.0.0.1:" + server.port(), hosts.get("/a?x=1"));
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void requestsToOneOriginSpreadOverItsPipelinesLeastLoadedFirstUpToTheLimit() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        Map<Integer, Integer> perConnection = new ConcurrentHashMap<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            List<RecordedRequest> first = new ArrayList<>();
            for (int i = 0; i < 10; i++) first.add(c.readRequest()); // 30 requests over 3 connections
            perConnection.put(c.id(), first.size());
            await(answer);
            for (RecordedRequest r : first) c.sendResponse(200, r.target());
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(3).build()) {
            client.pipelining(server.uri(), DugongClient.Mode.ON); // 10 in flight per connection from the start
            List<CompletableFuture<Response<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 30; i++) futures.add(client.sendAsync(Request.get(server.uri("/" + i)), BodyReaders.ofString()));
            server.awaitRequests(30);
            answer.countDown();

            for (int i = 0; i < 30; i++) assertEquals("/" + i, futures.get(i).get().body());
            assertEquals(Map.of(1, 10, 2, 10, 3, 10), perConnection);
            assertEquals(3, server.acceptedConnections());
        }
    }

    @Test
    void anOriginWithNothingListeningFailsItsRequestsWithoutStallingAnotherOrigin() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer good = ScriptedServer.start(c -> {
            RecordedRequest first = c.readRequest();
            await(answer);
            c.sendResponse(200, first.target());
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); DugongClient client = DugongClient.newClient()) {
            CompletableFuture<Response<String>> waiting = client.sendAsync(Request.get(good.uri("/waiting")), BodyReaders.ofString());
            good.awaitRequests(1);
            URI dead = URI.create("http://127.0.0.1:" + deadPort + "/x");

            assertThrows(ConnectException.class, () -> client.send(Request.get(dead)));
            ExecutionException again = assertThrows(ExecutionException.class, () -> client.sendAsync(Request.get(dead)).get());
            assertInstanceOf(ConnectException.class, again.getCause());
            answer.countDown();

            assertEquals("/waiting", waiting.get().body());
            assertEquals("/after", client.send(Request.get(good.uri("/after")), BodyReaders.ofString()).body());
        }
    }

    @Test
    void defaultHeadersAndUserAgentAreAddedUnlessTheRequestSetsThem() throws Exception {
        Map<String, RecordedRequest> seen = new ConcurrentHashMap<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                seen.put(r.target(), r);
                c.sendResponse(200, "");
            }
        }); DugongClient client = DugongClient.builder().userAgent("tester/2")
                .defaultHeaders(Headers.of("X-Team", "dugong", "Accept", "text/plain")).build()) {
            client.send(Request.get(server.uri("/plain")));
            client.send(Request.builder("GET", server.uri("/own"))
                    .header("User-Agent", "mine/1").header("x-team", "other").build());

            RecordedRequest plain = seen.get("/plain");
            assertEquals(List.of("tester/2"), plain.headers("User-Agent"));
            assertEquals(List.of("dugong"), plain.headers("X-Team"));
            assertEquals(List.of("text/plain"), plain.headers("Accept"));
            RecordedRequest own = seen.get("/own");
            assertEquals(List.of("mine/1"), own.headers("User-Agent"));
            assertEquals(List.of("other"), own.headers("X-Team"));
            assertEquals(List.of("text/plain"), own.headers("Accept"));
        }
    }

    @Test
    void theDefaultUserAgentNamesTheLibraryAndNullSendsNone() throws Exception {
        Map<String, RecordedRequest> seen = new ConcurrentHashMap<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                seen.put(r.target(), r);
                c.sendResponse(200, "");
            }
        }); DugongClient byDefault = DugongClient.newClient();
             DugongClient without = DugongClient.builder().userAgent(null).build()) {
            byDefault.send(Request.get(server.uri("/default")));
            without.send(Request.get(server.uri("/none")));

            assertTrue(seen.get("/default").header("User-Agent").orElse("").startsWith("dugong-java/"),
                    seen.get("/default").headText());
            assertFalse(seen.get("/none").header("User-Agent").isPresent(), seen.get("/none").headText());
        }
    }

    @Test
    void theRequestTimeoutFailsALateRequestAndFreesItsConnection() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest slow = c.readRequest();
            if (slow == null) return;
            await(answer);
            c.sendResponse(200, slow.target());
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(1)
                .requestTimeout(Duration.ofSeconds(3)).build()) {
            try {
                CompletableFuture<Response<byte[]>> slow = client.sendAsync(Request.get(server.uri("/slow")));
                server.awaitRequests(1); // it was sent, and is now unanswered
                ExecutionException e = assertThrows(ExecutionException.class, slow::get);
                assertInstanceOf(ConnectionTimedOutException.class, e.getCause());
            } finally {
                answer.countDown();
            }

            // The late response never reaches the next request: that connection was closed, and /next went on a new one.
            assertEquals("/next", client.send(Request.get(server.uri("/next")), BodyReaders.ofString()).body());
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void idleConnectionsAreClosedAfterTheIdleTimeout() throws Exception {
        CountDownLatch firstClosedByClient = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
            if (c.id() == 1) firstClosedByClient.countDown();
        }); DugongClient client = DugongClient.builder().idleTimeout(Duration.ofMillis(200)).build()) {
            assertEquals("/a", client.send(Request.get(server.uri("/a")), BodyReaders.ofString()).body());

            await(firstClosedByClient); // readRequest() saw the client's FIN
            assertEquals("/b", client.send(Request.get(server.uri("/b")), BodyReaders.ofString()).body());
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void aClosedClientRefusesNewRequests() {
        DugongClient client = DugongClient.newClient();
        client.close();

        assertThrows(StateException.class, () -> client.sendAsync(Request.get(URI.create("http://127.0.0.1:1/"))));
    }

    @Test
    void requestsAlternatingBetweenOriginsEachReachTheirOwnServer() throws Exception {
        // The client finds the pool of the origin used last without building its key: a request for
        // another origin (here the same host on another port) must never take that shortcut.
        try (ScriptedServer a = ScriptedServer.start(DugongClientTest::echoServerName);
             ScriptedServer b = ScriptedServer.start(DugongClientTest::echoServerName);
             DugongClient client = DugongClient.newClient()) {
            for (int i = 0; i < 6; i++) {
                ScriptedServer to = i % 2 == 0 ? a : b;
                Response<byte[]> r = client.send(Request.get(to.uri("/" + i)));
                assertEquals(to.port() + " /" + i, new String(r.body(), java.nio.charset.StandardCharsets.US_ASCII));
            }
            // Scheme and host are case-insensitive: the same origin, the same connection.
            URI upper = URI.create("HTTP://" + a.host().toUpperCase(java.util.Locale.ROOT) + ":" + a.port() + "/upper");
            assertEquals(200, client.send(Request.get(upper)).status());
            assertEquals(1, a.acceptedConnections());
            assertEquals(1, b.acceptedConnections());
        }
    }

    private static void echoServerName(io.dugong.testing.ServerConnection c) throws Exception {
        for (io.dugong.testing.RecordedRequest r; (r = c.readRequest()) != null; ) {
            c.sendResponse(200, c.socket().getLocalPort() + " " + r.target());
        }
    }
}
