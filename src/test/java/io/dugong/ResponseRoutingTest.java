package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.ServerConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first law: a response is delivered to the request it answers, or to none. Races between the
 * sender and the reader, replays, and bytes that answer nothing must never shift a response onto
 * another request.
 */
@Timeout(60)
class ResponseRoutingTest {
    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    // ---- expect 100-continue races

    @Test
    void aBodyStillBeingWrittenAfterTheContinueFallbackIsNotMistakenForAnAnswer() throws Exception {
        // Larger than any socket buffers between us and the server, so the sender is still writing it
        // when the reader reaches B.
        long size = 32L * 1024 * 1024;
        Body.StreamSource zeros = () -> new java.io.InputStream() {
            private long left = size;

            @Override
            public int read() {
                return left-- > 0 ? 0 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) return -1;
                int n = (int) Math.min(len, left);
                Arrays.fill(b, off, off + n, (byte) 0);
                left -= n;
                return n;
            }
        };
        try (ScriptedServer server = ScriptedServer.builder().receiveBufferSize(16 * 1024).start(c -> {
            RecordedRequest a = c.readRequest();
            RecordedRequest b = c.readRequestHead(); // expects 100: none is sent, so the client falls back
            long got = c.readExactly(64 * 1024).length; // the fallback has started writing the body
            c.sendResponse(200, a.target());         // now the reader moves on to B, mid-body...
            Thread.sleep(200);                      // ...and gets there while the body is still being written
            while (got < size) got += c.readExactly((int) Math.min(1024 * 1024, size - got)).length;
            c.sendResponse(200, b.target() + " " + got);
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); Pipeline p = Pipeline.open(server.uri(),
                PipelineOptions.defaults().expectContinueTimeout(Duration.ofMillis(50)))) {
            CompletableFuture<Response<String>> a = p.submit(Request.get("/a"), BodyReaders.ofString());
            CompletableFuture<Response<String>> b = p.submit(Request.builder("PUT", "/b")
                    .body(Body.ofStream(zeros, size)).expect100().build(), BodyReaders.ofString());
            CompletableFuture<Response<String>> c = p.submit(Request.get("/c"), BodyReaders.ofString());

            assertEquals("/a", a.get().body());
            assertEquals("/b " + size, b.get().body());
            assertEquals("/c", c.get().body());
        }
    }

    @Test
    void aReplayedExpectContinueRequestCarriesNothingOfItsDeadAttempt() throws Exception {
        byte[] content = "the body".getBytes(StandardCharsets.US_ASCII);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequestHead(); // the PUT, waiting for 100
                c.close();           // dies before answering: the PUT is replayed
                return;
            }
            RecordedRequest put = c.readRequestHead();
            c.send100Continue();     // at once, this time
            c.sendResponse(201, "stored " + text(c.readBody(put)));
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); Pipeline p = Pipeline.open(server.uri(),
                PipelineOptions.defaults().expectContinueTimeout(Duration.ofSeconds(20)))) {
            CompletableFuture<Response<String>> put = p.submit(Request.put("/u", content).withExpect100(), BodyReaders.ofString());
            List<CompletableFuture<Response<String>>> gets = new ArrayList<>();
            for (int i = 0; i < 20; i++) gets.add(p.submit(Request.get("/g" + i), BodyReaders.ofString()));

            assertEquals("stored the body", put.get().body());
            for (int i = 0; i < gets.size(); i++) assertEquals("/g" + i, gets.get(i).get().body());
        }
    }

    // ---- bytes that answer nothing

    @Test
    void bytesAfterTheLastResponseWithNothingInFlightDiscardTheConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequest();
                // One answer, and a second "response" to nothing, in the same write.
                c.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale");
                c.readToEof();
                return;
            }
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); HttpConnection conn = HttpConnection.open(server.host(), server.port())) {
            conn.sendRequest("GET", "/first");
            conn.readResponse();
            assertEquals("first", text(conn.readAll()));

            conn.sendRequest("GET", "/second");
            conn.readResponse();
            assertEquals("/second", text(conn.readAll()));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void moreResponsesThanRequestsArriveLaterAndAreNotReadAsTheNextAnswer() throws Exception {
        CountDownLatch extraSent = new CountDownLatch(1);
        CountDownLatch secondRead = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequest();
                c.readRequest();
                c.sendResponse(200, "one");
                c.sendResponse(200, "two");
                secondRead.await(10, TimeUnit.SECONDS);
                c.sendResponse(200, "three: answers nothing");
                extraSent.countDown();
                c.readToEof();
                return;
            }
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); HttpConnection conn = HttpConnection.open(server.host(), server.port())) {
            conn.sendRequest("GET", "/1");
            conn.sendRequest("GET", "/2");
            conn.readResponse();
            assertEquals("one", text(conn.readAll()));
            conn.readResponse();
            assertEquals("two", text(conn.readAll()));
            secondRead.countDown();
            assertTrue(extraSent.await(10, TimeUnit.SECONDS)); // on loopback, now in our receive buffer

            conn.sendRequest("GET", "/3");
            conn.readResponse();
            assertEquals("/3", text(conn.readAll()));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void aResponseBeforeAnyRequestIsNeverReadAsTheAnswer() throws Exception {
        CountDownLatch unsolicitedSent = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.sendResponse(200, "nobody asked");
                unsolicitedSent.countDown();
                c.readToEof();
                return;
            }
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); HttpConnection conn = HttpConnection.open(server.host(), server.port())) {
            conn.connect();
            assertTrue(unsolicitedSent.await(10, TimeUnit.SECONDS));

            conn.sendRequest("GET", "/asked");
            conn.readResponse();
            assertEquals("/asked", text(conn.readAll()));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void anIdleConnectionTheServerClosedIsReplacedBeforeARequestIsSentOnIt() throws Exception {
        CountDownLatch closedByServer = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                RecordedRequest r = c.readRequest();
                c.sendResponse(200, r.target());
                c.close(); // keep-alive timeout on the server side
                closedByServer.countDown();
                return;
            }
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); HttpConnection conn = HttpConnection.open(server.host(), server.port())) {
            conn.sendRequest("GET", "/a");
            conn.readResponse();
            assertEquals("/a", text(conn.readAll()));
            assertTrue(closedByServer.await(10, TimeUnit.SECONDS));
            // Age the idle connection past the point where it is probed for an end of stream (setup, not a timing check).
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(TransportSlot.IDLE_PROBE_AFTER_NANOS) + 100);

            // A POST is not replayable: it must not be the request that finds the connection closed.
            conn.sendRequest("POST", "/b", Headers.empty(), "data".getBytes(StandardCharsets.US_ASCII));
            conn.readResponse();
            assertEquals("/b", text(conn.readAll()));
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void unsolicitedBytesOnAnIdlePipelineAreNotDeliveredToTheNextRequest() throws Exception {
        CountDownLatch extraSent = new CountDownLatch(1);
        CountDownLatch firstAnswered = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                RecordedRequest r = c.readRequest();
                c.sendResponse(200, r.target());
                firstAnswered.await(10, TimeUnit.SECONDS);
                c.sendResponse(200, "stale");
                extraSent.countDown();
                c.readToEof();
                return;
            }
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            assertEquals("/a", p.send(Request.get("/a"), BodyReaders.ofString()).body());
            firstAnswered.countDown();
            assertTrue(extraSent.await(10, TimeUnit.SECONDS));

            assertEquals("/b", p.send(Request.get("/b"), BodyReaders.ofString()).body());
            assertEquals(2, server.acceptedConnections());
        }
    }

    // ---- stress

    /**
     * Many requests through one pipeline against a server that answers each with its own target after a
     * random delay, now and then closing the connection (announced or not) or asking for 100-continue
     * bodies: every response that arrives is the one its request asked for.
     */
    @Test
    void underRandomDelaysClosesAndContinueRacesNoResponseShiftsOntoAnotherRequest() throws Exception {
        long seed = Long.getLong("dugong.test.seed", System.nanoTime());
        Random rng = new Random(seed);
        int total = 1_500;
        try (ScriptedServer server = ScriptedServer.start(c -> serveRandomly(c, new Random(seed + c.id())));
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(16).retries(1000)
                     .expectContinueTimeout(Duration.ofMillis(2)))) {
            List<CompletableFuture<Response<String>>> futures = new ArrayList<>();
            List<String> targets = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                String target = "/r" + i;
                Request r = rng.nextInt(10) == 0
                        ? Request.put(target, ("body of " + target).getBytes(StandardCharsets.US_ASCII)).withExpect100()
                        : Request.get(target);
                targets.add(target);
                futures.add(p.submit(r, BodyReaders.ofString()));
            }
            int answered = 0;
            for (int i = 0; i < total; i++) {
                try {
                    Response<String> r = futures.get(i).get(30, TimeUnit.SECONDS);
                    String expected = r.request().method().equals("PUT")
                            ? targets.get(i) + " <- body of " + targets.get(i) : targets.get(i);
                    assertEquals(expected, r.body(), "seed " + seed);
                    answered++;
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof ConnectionClosedException, "seed " + seed + ": " + e.getCause());
                }
            }
            assertTrue(answered > total / 2, "seed " + seed + ": only " + answered + " answered");
        }
    }

    private static void serveRandomly(ServerConnection c, Random rng) throws Exception {
        for (RecordedRequest head; (head = c.readRequestHead()) != null; ) {
            String body = "";
            if (head.header("Expect").isPresent()) {
                if (rng.nextBoolean()) c.send100Continue();
                body = " <- " + text(c.readBody(head));
            } else if (head.header("Content-Length").isPresent()) {
                body = " <- " + text(c.readBody(head));
            }
            if (rng.nextInt(8) == 0) Thread.sleep(rng.nextInt(3));
            int roll = rng.nextInt(100);
            if (roll < 2) {
                c.close(); // unannounced: the requests in flight are replayed
                return;
            }
            if (roll < 4) {
                c.sendResponse(200, (head.target() + body).getBytes(StandardCharsets.ISO_8859_1), "Connection", "close");
                c.close();
                return;
            }
            c.sendResponse(200, head.target() + body);
        }
    }

    @Test
    void theProxiedResponseHeadNamesTheCallersTarget() throws Exception {
        try (ScriptedServer proxy = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, "via proxy");
        }); HttpConnection conn = HttpConnection.builder("origin.example").port(8080)
                .proxy(new java.net.InetSocketAddress(proxy.host(), proxy.port())).build()) {
            conn.sendRequest("GET", "/p?q=1");
            ResponseHead head = conn.readResponse();
            assertEquals("/p?q=1", head.target());
            assertArrayEquals("via proxy".getBytes(StandardCharsets.US_ASCII), conn.readAll());
            assertFalse(conn.responsePending());
        }
    }
}
