package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.ServerConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.dugong.PipelineCancellationTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipelining on the open internet: against a scripted server for each way real servers and middleboxes
 * break pipelining, every request is answered with its own response or failed by the "nothing lost"
 * rule, and the client learns the mode the origin deserves.
 */
@Timeout(60)
class PipeliningSafetyTest {
    private static final int REQUESTS = 200;

    /** Sends {@code n} GETs of {@code /0 .. /n-1} at once. */
    private static List<CompletableFuture<Response<String>>> getAll(DugongClient client, URI origin, int n) {
        List<CompletableFuture<Response<String>>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) futures.add(client.sendAsync(Request.get(origin.resolve("/" + i)), BodyReaders.ofString()));
        return futures;
    }

    /**
     * Each request got the response to its own target, or failed with {@link UnansweredRequestException}
     * (the rule for a request the connection lost); returns how many were answered.
     */
    private static int answeredOwnOrFailedByRule(List<CompletableFuture<Response<String>>> futures) throws Exception {
        int answered = 0;
        for (int i = 0; i < futures.size(); i++) {
            try {
                Response<String> r = futures.get(i).get(30, TimeUnit.SECONDS);
                assertEquals("/" + i, r.body(), "request /" + i + " got the response to another request");
                answered++;
            } catch (ExecutionException e) {
                assertInstanceOf(UnansweredRequestException.class, e.getCause(), "request /" + i + " failed otherwise");
            }
        }
        return answered;
    }

    /** The client learnt not to pipeline to {@code origin}, for a reason that says {@code why}. */
    private static OriginStats assertFellBackToKeepAlive(DugongClient client, URI origin, String why) {
        OriginStats stats = client.originStats(origin);
        assertEquals(OriginStats.Verdict.KEEP_ALIVE, stats.verdict(), stats.toString());
        assertEquals(1, stats.depth(), stats.toString());
        assertTrue(stats.reason().contains(why), stats.reason());
        return stats;
    }

    /** Answers with the request target as the body. */
    private static void echo(ServerConnection c, RecordedRequest r, String... headers) throws Exception {
        c.sendResponse(200, r.target().getBytes(StandardCharsets.ISO_8859_1), headers);
    }

    @Test
    void anHttp10OriginFallsBackToKeepAliveAndEveryRequestIsAnswered() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest r = c.readRequest();
            if (r == null) return;
            c.send("HTTP/1.0 200 OK\r\nContent-Length: " + r.target().length() + "\r\n\r\n" + r.target());
            c.closeGracefully();
        }); DugongClient client = DugongClient.newClient()) {
            List<CompletableFuture<Response<String>>> futures = getAll(client, server.uri(), 50);

            assertEquals(50, answeredOwnOrFailedByRule(futures));
            assertFellBackToKeepAlive(client, server.uri(), "HTTP/1.0");
        }
    }

    @Test
    void anOriginClosingAfterTheFirstResponseFallsBackToKeepAlive() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest r = c.readRequest();
            if (r == null) return;
            echo(c, r, "Connection", "close");
            c.closeGracefully();
        }); DugongClient client = DugongClient.newClient()) {
            List<CompletableFuture<Response<String>>> futures = getAll(client, server.uri(), 50);

            assertEquals(50, answeredOwnOrFailedByRule(futures));
            assertFellBackToKeepAlive(client, server.uri(), "Connection: close on the first response");
        }
    }

    @Test
    void anOriginClosingAfterRandomlyManyResponsesWithoutNoticeFallsBackToKeepAlive() throws Exception {
        Random random = new Random(14);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            int n;
            synchronized (random) {
                n = 1 + random.nextInt(5);
            }
            for (int i = 0; i < n; i++) {
                RecordedRequest r = c.readRequest();
                if (r == null) return;
                echo(c, r); // no Connection: close, then the connection ends anyway
            }
            c.closeGracefully();
        }); DugongClient client = DugongClient.newClient()) {
            List<CompletableFuture<Response<String>>> futures = getAll(client, server.uri(), REQUESTS);

            int answered = answeredOwnOrFailedByRule(futures);
            assertFellBackToKeepAlive(client, server.uri(), "connections with pipelined requests unanswered");
            assertEquals(REQUESTS, answered, "every GET is answered within its retries here");
        }
    }

    @Test
    void aProxyAnsweringOnlyTheFirstOfEachBatchIsNoLongerPipelined() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest r = c.readRequest();
            if (r == null) return;
            echo(c, r); // the rest of the batch is dropped: the connection ends without a word
            c.closeGracefully();
        }); DugongClient client = DugongClient.newClient()) {
            List<CompletableFuture<Response<String>>> futures = getAll(client, server.uri(), REQUESTS);

            int answered = answeredOwnOrFailedByRule(futures);
            OriginStats stats = assertFellBackToKeepAlive(client, server.uri(), "connections with pipelined requests unanswered");
            assertTrue(stats.unansweredCloses() > DugongClient.DEFAULT_MAX_UNANSWERED_CLOSES, stats.toString());
            assertTrue(answered > 0);
        }
    }

    @Test
    void aWellBehavedOriginIsPipelinedAtTheFullDepthAfterLearning() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) echo(c, r);
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(1).pipelineDepth(16).build()) {
            assertEquals(OriginStats.Verdict.LEARNING, client.originStats(server.uri()).verdict());
            assertEquals(DugongClient.DEFAULT_INITIAL_PIPELINE_DEPTH, client.originStats(server.uri()).depth());

            assertEquals(REQUESTS, answeredOwnOrFailedByRule(getAll(client, server.uri(), REQUESTS)));

            OriginStats stats = client.originStats(server.uri());
            assertEquals(OriginStats.Verdict.PIPELINING, stats.verdict(), stats.toString());
            assertEquals(16, stats.depth());
            assertEquals(REQUESTS, stats.responses());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void aResponseThatCannotBelongToTheHeadClosesTheConnectionAndIsNeverShifted() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (connections.incrementAndGet() == 1) {
                RecordedRequest head = c.readRequest();
                RecordedRequest get = c.readRequest(); // both arrived pipelined
                assertEquals("HEAD", head.method());
                // A body on a HEAD answer: read by the framing rules, it would be the start of the next response.
                c.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
                echo(c, get);
                c.closeGracefully();
                return;
            }
            for (RecordedRequest r; (r = c.readRequest()) != null; ) echo(c, r);
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(1).build()) {
            CompletableFuture<Response<String>> head = client.sendAsync(Request.head(server.uri("/h")), BodyReaders.ofString());
            CompletableFuture<Response<String>> get = client.sendAsync(Request.get(server.uri("/a")), BodyReaders.ofString());

            assertEquals(200, head.get().status());
            assertEquals("", head.get().body());
            assertEquals("/a", get.get().body(), "replayed on a new connection, not given the HEAD answer's leftovers");
            assertFellBackToKeepAlive(client, server.uri(), "out of protocol");
        }
    }

    @Test
    void newRequestsAndUnsentOnesLeaveAConnectionWhoseHeadOfLineIsSlow() throws Exception {
        CountDownLatch releaseSlow = new CountDownLatch(1);
        List<String> writtenBehindSlow = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                if (!r.target().equals("/slow")) {
                    echo(c, r);
                    continue;
                }
                // Hold the slow response; meanwhile record what the client still writes on this connection.
                LinkedBlockingQueue<RecordedRequest> behind = new LinkedBlockingQueue<>();
                RecordedRequest end = new RecordedRequest("END", "/", "HTTP/1.1", List.of(), new byte[0], "");
                Thread.ofVirtual().start(() -> {
                    try {
                        for (RecordedRequest b; (b = c.readRequest()) != null; ) {
                            writtenBehindSlow.add(b.target());
                            behind.add(b);
                        }
                    } catch (Exception e) {
                        // the connection ended
                    }
                    behind.add(end);
                });
                await(releaseSlow);
                c.sendResponse(200, "/slow");
                for (RecordedRequest b; (b = behind.take()) != end; ) echo(c, b);
                return;
            }
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(2).pipelineDepth(2)
                .headOfLineTimeout(Duration.ofMillis(100)).build()) {
            CompletableFuture<Response<String>> slow = client.sendAsync(Request.get(server.uri("/slow")), BodyReaders.ofString());
            server.awaitRequests(1);
            List<CompletableFuture<Response<String>>> fast = new ArrayList<>();
            for (int i = 1; i < 100; i++) fast.add(client.sendAsync(Request.get(server.uri("/" + i)), BodyReaders.ofString()));

            // While the slow response is held, every request not already written behind it is answered.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (fast.stream().filter(CompletableFuture::isDone).count() + writtenBehindSlow.size() < fast.size()) {
                assertTrue(System.nanoTime() < deadline, "requests stayed queued behind the slow response: "
                        + fast.stream().filter(CompletableFuture::isDone).count() + " answered, "
                        + writtenBehindSlow.size() + " written behind it");
                Thread.sleep(10);
            }
            assertTrue(writtenBehindSlow.size() <= 1, "only what the depth allowed before the stall went behind it: "
                    + writtenBehindSlow);
            releaseSlow.countDown();

            assertEquals("/slow", slow.get().body());
            for (int i = 1; i < 100; i++) assertEquals("/" + i, fast.get(i - 1).get().body());
        }
    }

    @Test
    void aPostIsNeitherPipelinedBehindOthersNorHasAnythingPipelinedBehindIt() throws Exception {
        List<String> pipelinedReads = new CopyOnWriteArrayList<>();
        CountDownLatch releaseHold = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                if (r.target().equals("/hold")) await(releaseHold);
                // Anything that arrives before this response is sent was pipelined behind it.
                c.socket().setSoTimeout(300);
                try {
                    RecordedRequest early = c.readRequest();
                    if (early != null) pipelinedReads.add(r.method() + " " + r.target() + " <- " + early.method() + " " + early.target());
                    echo(c, r);
                    if (early == null) return;
                    echo(c, early);
                } catch (SocketTimeoutException e) {
                    echo(c, r);
                } finally {
                    c.socket().setSoTimeout(0);
                }
            }
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(1).build()) {
            client.pipelining(server.uri(), DugongClient.Mode.ON);
            CompletableFuture<Response<String>> hold = client.sendAsync(Request.get(server.uri("/hold")), BodyReaders.ofString());
            server.awaitRequests(1);
            CompletableFuture<Response<String>> post = client.sendAsync(Request.post(server.uri("/p"), new byte[]{1}), BodyReaders.ofString());
            CompletableFuture<Response<String>> after = client.sendAsync(Request.get(server.uri("/after")), BodyReaders.ofString());
            releaseHold.countDown();

            assertEquals("/hold", hold.get().body());
            assertEquals("/p", post.get().body());
            assertEquals("/after", after.get().body());
            assertEquals(List.of(), pipelinedReads);
        }
    }

    @Test
    void aRequestWithABodyReadOnceIsSentAlone() throws Exception {
        CountDownLatch releaseHold = new CountDownLatch(1);
        AtomicInteger connectionOfHold = new AtomicInteger();
        AtomicInteger connectionOfUpload = new AtomicInteger();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                if (r.target().equals("/hold")) {
                    connectionOfHold.set(c.id());
                    await(releaseHold);
                }
                if (r.target().equals("/upload")) connectionOfUpload.set(c.id());
                echo(c, r);
            }
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(2).build()) {
            client.pipelining(server.uri(), DugongClient.Mode.ON);
            CompletableFuture<Response<String>> hold = client.sendAsync(Request.get(server.uri("/hold")), BodyReaders.ofString());
            server.awaitRequests(1);
            Request upload = Request.builder("PUT", server.uri("/upload"))
                    .body(Body.ofInputStream(new ByteArrayInputStream(new byte[]{1, 2, 3}), 3)).build();

            // An idempotent PUT, but its body cannot be sent twice: it goes on a connection of its own.
            assertEquals("/upload", client.send(upload, BodyReaders.ofString()).body());
            releaseHold.countDown();
            assertEquals("/hold", hold.get().body());
            assertTrue(connectionOfUpload.get() != connectionOfHold.get());
        }
    }

    @Test
    void aPostSentWithTheOptInIsPipelined() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest first = c.readRequest();
            RecordedRequest second = c.readRequest(); // read before the first is answered: pipelined
            echo(c, first);
            echo(c, second);
            for (RecordedRequest r; (r = c.readRequest()) != null; ) echo(c, r);
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(1).build()) {
            CompletableFuture<Response<String>> get = client.sendAsync(Request.get(server.uri("/g")), BodyReaders.ofString());
            CompletableFuture<Response<String>> post = client.sendPipelinedAsync(
                    Request.post(server.uri("/p"), new byte[]{1}), BodyReaders.ofString());

            assertEquals("/g", get.get().body());
            assertEquals("/p", post.get().body());
        }
    }

    @Test
    void aForcedModeOverridesWhatIsLearnt() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) echo(c, r);
        }); DugongClient client = DugongClient.newClient()) {
            client.pipelining(server.uri("/anything"), DugongClient.Mode.OFF);
            assertEquals(REQUESTS, answeredOwnOrFailedByRule(getAll(client, server.uri(), REQUESTS)));
            OriginStats off = client.originStats(server.uri());
            assertEquals(DugongClient.Mode.OFF, off.mode());
            assertEquals(OriginStats.Verdict.KEEP_ALIVE, off.verdict());
            assertEquals(1, off.depth());

            client.pipelining(server.uri(), DugongClient.Mode.ON);
            OriginStats on = client.originStats(server.uri());
            assertEquals(OriginStats.Verdict.PIPELINING, on.verdict());
            assertEquals(PipelineOptions.DEFAULT_DEPTH, on.depth());

            client.pipelining(server.uri(), DugongClient.Mode.AUTO);
            assertEquals(OriginStats.Verdict.LEARNING, client.originStats(server.uri()).verdict());
        }
    }

    @Test
    void nonIdempotentMethodsExpectContinueAndBodiesReadOnceGoAloneUnlessTheMethodIsOptedIn() {
        URI u = URI.create("http://example.org/x");
        assertTrue(DugongClient.sentAlone(Request.post(u, new byte[]{1}), false));
        assertTrue(DugongClient.sentAlone(Request.builder("PATCH", u).body(new byte[]{1}).build(), false));
        assertTrue(DugongClient.sentAlone(Request.put(u, new byte[]{1}).withExpect100(), false));
        assertTrue(DugongClient.sentAlone(Request.put(u, new byte[]{1}).withExpect100(), true));
        assertTrue(DugongClient.sentAlone(Request.builder("PUT", u)
                .body(Body.ofInputStream(new ByteArrayInputStream(new byte[]{1}), 1)).build(), true));

        assertTrue(!DugongClient.sentAlone(Request.get(u), false));
        assertTrue(!DugongClient.sentAlone(Request.put(u, new byte[]{1}), false));
        assertTrue(!DugongClient.sentAlone(Request.builder("PUT", u).body(Body.ofStream(
                () -> new ByteArrayInputStream(new byte[]{1}), 1)).build(), false));
        assertTrue(!DugongClient.sentAlone(Request.post(u, new byte[]{1}), true));
    }
}
