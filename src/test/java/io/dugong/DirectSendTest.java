package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static io.dugong.PipelineCancellationTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small blocking send on an idle pipeline is written by its caller (no hand-off to the sender
 * thread), and keeps every guarantee of the threaded path: the reader thread reads its response, so
 * order, replay, timeouts, interrupts, abort and re-entrancy behave as for any request.
 */
@Timeout(30)
class DirectSendTest {

    /** Answers every request with its target, in order. */
    private static final ScriptedServer.Handler ECHO = c -> {
        for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
    };

    /** Opens the pipeline's connection (through the sender), then waits (bounded) until a small blocking send would be written by its caller. */
    static void awaitIdle(Pipeline p) throws Exception {
        if (p.callerWrites() == 0 && !p.idleForCaller()) p.send(Request.get("/warm-up"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!p.idleForCaller()) {
            if (System.nanoTime() > deadline) throw new AssertionError("the pipeline never became idle");
            Thread.sleep(1);
        }
    }

    /** A body reader that records the thread it runs on. */
    private static BodyReader<String> recordingThread(AtomicReference<Thread> ranOn) {
        return (head, body) -> {
            ranOn.set(Thread.currentThread());
            return BodyReaders.ofString().read(head, body);
        };
    }

    @Test
    void aLoneSmallBlockingSendIsWrittenByItsCallerAndReadByTheReaderThread() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(ECHO);
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            for (int i = 0; i < 3; i++) {
                awaitIdle(p);
                AtomicReference<Thread> ranOn = new AtomicReference<>();
                assertEquals("/" + i, p.send(Request.get("/" + i), recordingThread(ranOn)).body());
                assertTrue(ranOn.get().getName().startsWith("dugong-reader"), ranOn.get().getName());
            }
            assertEquals(3, p.callerWrites());
            assertEquals(0, p.load());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void aLargeBodyOrABusyPipelineGoesThroughTheSender() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest(); // the warm-up
            c.sendResponse(200, "/warm-up");
            List<RecordedRequest> two = List.of(c.readRequest(), c.readRequest());
            await(answer);
            for (RecordedRequest r : two) c.sendResponse(200, r.target());
            ECHO.handle(c);
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            long before = p.callerWrites();
            CompletableFuture<Response<String>> a = p.submit(Request.get("/a"), BodyReaders.ofString());
            server.awaitRequests(2);
            CompletableFuture<Response<String>> b = sendOnAnotherThread(p, "/b", BodyReaders.ofString()); // busy
            server.awaitRequests(3);
            answer.countDown();
            assertEquals("/a", a.get().body());
            assertEquals("/b", b.get().body());
            awaitIdle(p);
            byte[] large = new byte[Pipeline.CALLER_WRITE_LIMIT + 1];
            assertEquals(200, p.send(Request.post("/large", large), BodyReaders.ofString()).status());
            assertEquals(before, p.callerWrites(), "neither was written by its caller");
        }
    }

    @Test
    void requestsSubmittedWhileACallersRequestIsInFlightArePipelinedBehindItAndAnsweredInOrder() throws Exception {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, "/warm-up");
            // Holds the first answer until two more requests are on the wire: they were pipelined behind it.
            List<RecordedRequest> three = List.of(c.readRequest(), c.readRequest(), c.readRequest());
            for (RecordedRequest r : three) {
                seen.add(r.target());
                c.sendResponse(200, r.target());
            }
            ECHO.handle(c);
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            CompletableFuture<Response<String>> first = sendOnAnotherThread(p, "/first", BodyReaders.ofString());
            server.awaitRequests(2);
            CompletableFuture<Response<String>> second = p.submit(Request.get("/second"), BodyReaders.ofString());
            CompletableFuture<Response<String>> third = p.submit(Request.get("/third"), BodyReaders.ofString());

            assertEquals("/first", first.get().body());
            assertEquals("/second", second.get().body());
            assertEquals("/third", third.get().body());
            assertEquals(List.of("/first", "/second", "/third"), seen);
            assertEquals(1, p.callerWrites());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void aCallersRequestWhoseConnectionClosesUnansweredIsReplayed() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequest();
                c.sendResponse(200, "/warm-up");
                c.readRequest();
                c.close(); // no answer, no announcement: as a server closing an idle connection would
                return;
            }
            ECHO.handle(c);
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            assertEquals("/x", p.send(Request.get("/x"), BodyReaders.ofString()).body());
            assertEquals(1, p.callerWrites());
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void aNonIdempotentCallersRequestWhoseConnectionClosesFailsSayingItMayHaveReachedTheServer() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequest();
                c.sendResponse(200, "/warm-up");
                c.readRequest();
                c.close();
                return;
            }
            ECHO.handle(c);
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            UnansweredRequestException e = assertThrows(UnansweredRequestException.class,
                    () -> p.send(Request.post("/order", new byte[] {1}), BodyReaders.ofString()));
            assertTrue(e.mayHaveReachedServer(), e.getMessage());
            assertEquals(1, p.callerWrites());
            assertEquals(2, server.requestsRead());
        }
    }

    @Test
    void interruptingACallerWhoWroteItsRequestAbandonsOnlyThatRequestAndKeepsTheConnection() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, "/warm-up");
            List<RecordedRequest> two = List.of(c.readRequest(), c.readRequest()); // /first, then /behind
            await(answer);
            for (RecordedRequest r : two) c.sendResponse(200, r.target());
            ECHO.handle(c);
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            AtomicReference<Thread> caller = new AtomicReference<>();
            CompletableFuture<Response<String>> first = sendOnAnotherThread(p, "/first", BodyReaders.ofString(), caller);
            server.awaitRequests(2);
            CompletableFuture<Response<String>> behind = p.submit(Request.get("/behind"), BodyReaders.ofString());
            server.awaitRequests(3);

            caller.get().interrupt();
            Throwable e = assertThrows(java.util.concurrent.ExecutionException.class, first::get).getCause();
            assertInstanceOf(InterruptedException.class, e);
            answer.countDown();

            assertEquals("/behind", behind.get().body());
            assertEquals("/after", p.send(Request.get("/after"), BodyReaders.ofString()).body());
            assertEquals(1, server.acceptedConnections(), "the response to /first was read and dropped");
            assertTrue(p.callerWrites() >= 1, "/first was written by its caller");
        }
    }

    @Test
    void abortingWhileACallersRequestIsInFlightFailsIt() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, "/warm-up");
            c.readRequest();
            c.readRequest(); // until the client closes the connection
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            CompletableFuture<Response<String>> first = sendOnAnotherThread(p, "/first", BodyReaders.ofString());
            server.awaitRequests(2);

            p.abort();

            Throwable e = assertThrows(java.util.concurrent.ExecutionException.class, first::get).getCause();
            UnansweredRequestException unanswered = assertInstanceOf(UnansweredRequestException.class, e);
            assertTrue(unanswered.mayHaveReachedServer());
        }
    }

    @Test
    void theClientsBlockingSendsOverOneConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(ECHO); DugongClient client = DugongClient.newClient()) {
            for (int i = 0; i < 5; i++) {
                Request request = i % 2 == 0 ? Request.get(server.uri("/" + i))
                        : Request.post(server.uri("/" + i), new byte[] {1, 2});
                assertEquals("/" + i, client.send(request, BodyReaders.ofString()).body());
            }
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void theClientsRequestTimeoutEndsACallersRequestAndClosesItsConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequest();
                c.sendResponse(200, "/warm-up");
                c.readRequest();
                c.readRequest(); // until the client closes the connection
                return;
            }
            ECHO.handle(c);
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(1)
                .requestTimeout(Duration.ofMillis(300)).build()) {
            assertEquals("/warm-up", client.send(Request.get(server.uri("/warm-up")), BodyReaders.ofString()).body());
            ConnectionTimedOutException e = assertThrows(ConnectionTimedOutException.class,
                    () -> client.send(Request.get(server.uri("/silent")), BodyReaders.ofString()));
            assertTrue(e.getMessage().contains("/silent"), e.getMessage());
            assertEquals("/next", client.send(Request.get(server.uri("/next")), BodyReaders.ofString()).body());
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void noResponseIsKeptReachableByThePipelinesWaitingThreads() throws Exception {
        // Found when lone requests began to run on their callers' threads: the reader thread, waiting
        // for work that no longer came, kept the first call (and its response) in a local variable.
        try (ScriptedServer server = ScriptedServer.start(ECHO);
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            WeakReference<Response<byte[]>> direct = new WeakReference<>(p.send(Request.get("/direct")));
            WeakReference<Response<byte[]>> threaded = new WeakReference<>(p.submit(Request.get("/threaded")).get());
            awaitCollected(direct, "the response read on the caller's thread");
            awaitCollected(threaded, "the response read on the reader thread");
        }
    }

    private static void awaitCollected(WeakReference<?> ref, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ref.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20); // polling for the collector, not timing an assertion
        }
        assertNull(ref.get(), what + " is still reachable");
    }

    private static <T> CompletableFuture<Response<T>> sendOnAnotherThread(Pipeline p, String target, BodyReader<T> reader) {
        return sendOnAnotherThread(p, target, reader, new AtomicReference<>());
    }

    /** Runs a blocking send on a new virtual thread named "caller"; the future gets its outcome. */
    private static <T> CompletableFuture<Response<T>> sendOnAnotherThread(Pipeline p, String target, BodyReader<T> reader,
                                                                      AtomicReference<Thread> thread) {
        CompletableFuture<Response<T>> outcome = new CompletableFuture<>();
        thread.set(Thread.ofVirtual().name("caller").start(() -> {
            try {
                outcome.complete(p.send(Request.get(target), reader));
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        }));
        return outcome;
    }
}
