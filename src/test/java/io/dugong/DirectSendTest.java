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
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A blocking send on an idle pipeline runs on the caller's own thread (no hand-off to the sender and
 * reader threads): and it keeps every guarantee of the threaded path — order, replay, timeouts,
 * interrupts, abort, re-entrancy.
 */
@Timeout(30)
class DirectSendTest {

    /** Answers every request with its target, in order. */
    private static final ScriptedServer.Handler ECHO = c -> {
        for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
    };

    /** Waits (bounded) until a blocking send would run on its caller's thread. */
    static void awaitIdle(Pipeline p) throws InterruptedException {
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
    void aLoneBlockingSendRunsOnTheCallersThread() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(ECHO);
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            for (int i = 0; i < 3; i++) {
                awaitIdle(p);
                AtomicReference<Thread> ranOn = new AtomicReference<>();
                assertEquals("/" + i, p.send(Request.get("/" + i), recordingThread(ranOn)).body());
                assertSame(Thread.currentThread(), ranOn.get());
            }
            assertEquals(0, p.load());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void aBusyPipelineStillReadsOnItsReaderThread() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            List<RecordedRequest> two = List.of(c.readRequest(), c.readRequest());
            await(answer);
            for (RecordedRequest r : two) c.sendResponse(200, r.target());
            ECHO.handle(c);
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            CompletableFuture<Response<String>> a = p.submit(Request.get("/a"), BodyReaders.ofString());
            server.awaitRequests(1);
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().start(() -> {
                try {
                    p.send(Request.get("/b"), recordingThread(ranOn));
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            server.awaitRequests(2);
            answer.countDown();
            caller.join();
            assertEquals("/a", a.get().body());
            assertTrue(ranOn.get().getName().startsWith("dugong-reader"), ranOn.get().getName());
        }
    }

    @Test
    void requestsSubmittedDuringADirectSendArePipelinedBehindItAndAnsweredInOrder() throws Exception {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (ScriptedServer server = ScriptedServer.start(c -> {
            // Holds the first answer until two more requests are on the wire: they were pipelined behind it.
            List<RecordedRequest> three = List.of(c.readRequest(), c.readRequest(), c.readRequest());
            for (RecordedRequest r : three) {
                seen.add(r.target());
                c.sendResponse(200, r.target());
            }
            ECHO.handle(c);
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            CompletableFuture<Response<String>> first = sendOnAnotherThread(p, "/first", recordingThread(ranOn));
            server.awaitRequests(1);
            CompletableFuture<Response<String>> second = p.submit(Request.get("/second"), BodyReaders.ofString());
            CompletableFuture<Response<String>> third = p.submit(Request.get("/third"), BodyReaders.ofString());

            assertEquals("/first", first.get().body());
            assertEquals("/second", second.get().body());
            assertEquals("/third", third.get().body());
            assertEquals(List.of("/first", "/second", "/third"), seen);
            assertTrue(ranOn.get().getName().startsWith("caller"), "the first ran on " + ranOn.get());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void aDirectSendWhoseConnectionClosesUnansweredIsReplayed() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequest();
                c.close(); // no answer, no announcement: as a server closing an idle connection would
                return;
            }
            ECHO.handle(c);
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            assertEquals("/x", p.send(Request.get("/x"), BodyReaders.ofString()).body());
            assertEquals(2, server.acceptedConnections());
            awaitIdle(p);
            assertEquals("/y", p.send(Request.get("/y"), BodyReaders.ofString()).body());
        }
    }

    @Test
    void aNonIdempotentDirectSendWhoseConnectionClosesFailsSayingItMayHaveReachedTheServer() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
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
            assertEquals(1, server.requestsRead());
        }
    }

    @Test
    void interruptingADirectSendAbandonsItAndTheRequestsBehindItAreReplayed() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequest(); // /first: never answered
                c.readRequest(); // /behind, pipelined after it
                c.readRequest(); // until the client closes the connection
                return;
            }
            ECHO.handle(c);
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            AtomicReference<Thread> caller = new AtomicReference<>();
            CompletableFuture<Response<String>> first = sendOnAnotherThread(p, "/first", (head, body) -> {
                throw new AssertionError("the first request is never answered");
            }, caller);
            server.awaitRequests(1);
            CompletableFuture<Response<String>> behind = p.submit(Request.get("/behind"), BodyReaders.ofString());
            server.awaitRequests(2);

            caller.get().interrupt();

            Throwable e = assertThrows(java.util.concurrent.ExecutionException.class, first::get).getCause();
            assertInstanceOf(InterruptedException.class, e);
            assertEquals("/behind", behind.get().body());
            assertEquals("/after", p.send(Request.get("/after"), BodyReaders.ofString()).body());
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void abortingDuringADirectSendFailsIt() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.readRequest(); // until the client closes the connection
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            CompletableFuture<Response<String>> first = sendOnAnotherThread(p, "/first", BodyReaders.ofString());
            server.awaitRequests(1);

            p.abort();

            Throwable e = assertThrows(java.util.concurrent.ExecutionException.class, first::get).getCause();
            UnansweredRequestException unanswered = assertInstanceOf(UnansweredRequestException.class, e);
            assertTrue(unanswered.mayHaveReachedServer());
        }
    }

    @Test
    void aBlockingSendFromADirectSendsBodyReaderFailsInsteadOfDeadlocking() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(ECHO);
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            AtomicReference<Throwable> nested = new AtomicReference<>();
            Response<String> r = p.send(Request.get("/outer"), (head, body) -> {
                try {
                    p.send(Request.get("/inner"), BodyReaders.ofString());
                } catch (Throwable t) {
                    nested.set(t);
                }
                return BodyReaders.ofString().read(head, body);
            });
            assertEquals("/outer", r.body());
            assertInstanceOf(StateException.class, nested.get());
            assertEquals("/next", p.send(Request.get("/next"), BodyReaders.ofString()).body());
        }
    }

    /** An {@link Error} thrown by a body reader. */
    private static final class ReaderError extends Error {
        ReaderError() {
            super("thrown by the test's body reader");
        }
    }

    @Test
    void anErrorInADirectSendsBodyReaderReachesTheCallerAndThePipelineGoesOn() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(ECHO);
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            awaitIdle(p);
            assertThrows(ReaderError.class, () -> p.send(Request.get("/boom"), (head, body) -> {
                throw new ReaderError();
            }));
            assertTrue(p.isOpen());
            assertEquals("/next", p.send(Request.get("/next"), BodyReaders.ofString()).body());
            // The body of /boom was never read, so its connection could not be trusted and was closed.
            assertEquals(2, server.acceptedConnections());
        }
    }

    @Test
    void theClientsBlockingSendRunsOnTheCallersThreadOverOneConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(ECHO); DugongClient client = DugongClient.newClient()) {
            for (int i = 0; i < 5; i++) {
                AtomicReference<Thread> ranOn = new AtomicReference<>();
                Request request = i % 2 == 0 ? Request.get(server.uri("/" + i))
                        : Request.post(server.uri("/" + i), new byte[] {1, 2});
                assertEquals("/" + i, client.send(request, recordingThread(ranOn)).body());
                assertSame(Thread.currentThread(), ranOn.get(), "request " + i);
            }
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void theClientsRequestTimeoutEndsADirectSendAndClosesItsConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                c.readRequest();
                c.readRequest(); // until the client closes the connection
                return;
            }
            ECHO.handle(c);
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(1)
                .requestTimeout(Duration.ofMillis(300)).build()) {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            ConnectionTimedOutException e = assertThrows(ConnectionTimedOutException.class,
                    () -> client.send(Request.get(server.uri("/silent")), recordingThread(ranOn)));
            assertTrue(e.getMessage().contains("/silent"), e.getMessage());
            assertEquals("/next", client.send(Request.get(server.uri("/next")), recordingThread(ranOn)).body());
            assertSame(Thread.currentThread(), ranOn.get());
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
