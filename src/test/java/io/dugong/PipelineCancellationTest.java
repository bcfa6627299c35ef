package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.dugong.PipelineReplayTest.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipeline cancellation and interrupts: a cancelled or interrupted caller abandons its own request only;
 * the connection and the other requests on it carry on.
 */
@Timeout(30)
class PipelineCancellationTest {

    @Test
    void aRequestCancelledBeforeItIsSentIsNeverSent() throws Exception {
        CountDownLatch answerFirst = new CountDownLatch(1);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest first = c.readRequest();
            seen.add(first.target());
            await(answerFirst);
            c.sendResponse(200, first.target());
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                seen.add(r.target());
                c.sendResponse(200, r.target());
            }
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(1))) {
            CompletableFuture<Response<String>> a = p.submit(Request.get("/a"), BodyReaders.ofString());
            server.awaitRequests(1);
            CompletableFuture<Response<String>> b = p.submit(Request.get("/b"), BodyReaders.ofString()); // queued: depth 1

            assertTrue(b.cancel(false));
            answerFirst.countDown();
            CompletableFuture<Response<String>> c = p.submit(Request.get("/c"), BodyReaders.ofString());

            assertEquals("/a", a.get().body());
            assertEquals("/c", c.get().body());
            assertTrue(b.isCancelled());
            assertEquals(List.of("/a", "/c"), seen);
        }
    }

    @Test
    void aRequestCancelledAfterItWasSentHasItsResponseReadAndDropped() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            List<RecordedRequest> first = List.of(c.readRequest(), c.readRequest(), c.readRequest());
            await(answer);
            for (RecordedRequest r : first) c.sendResponse(200, "body of " + r.target());
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "body of " + r.target());
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            CompletableFuture<Response<String>> a = p.submit(Request.get("/a"), BodyReaders.ofString());
            CompletableFuture<Response<String>> b = p.submit(Request.get("/b"), BodyReaders.ofString());
            CompletableFuture<Response<String>> c = p.submit(Request.get("/c"), BodyReaders.ofString());
            server.awaitRequests(3);

            assertTrue(b.cancel(false));
            answer.countDown();

            assertEquals("body of /a", a.get().body());
            assertEquals("body of /c", c.get().body());
            assertEquals("body of /d", p.send(Request.get("/d"), BodyReaders.ofString()).body());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void interruptingACallerBlockedInSendAbandonsOnlyItsRequestAndKeepsTheConnection() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            List<RecordedRequest> first = List.of(c.readRequest(), c.readRequest());
            await(answer);
            for (RecordedRequest r : first) c.sendResponse(200, r.target());
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            CompletableFuture<Response<String>> a = p.submit(Request.get("/a"), BodyReaders.ofString());
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().start(() -> {
                try {
                    outcome.set(p.send(Request.get("/b"), BodyReaders.ofString()));
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            server.awaitRequests(2); // /b is on the wire, so its caller is waiting for the response

            caller.interrupt();
            caller.join();
            answer.countDown();

            assertInstanceOf(InterruptedException.class, outcome.get());
            assertEquals("/a", a.get().body());
            assertEquals("/c", p.send(Request.get("/c"), BodyReaders.ofString()).body());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void interruptingACallerWaitingForRoomFailsItsRequestUnsent() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest first = c.readRequest();
            seen.add(first.target());
            await(answer);
            c.sendResponse(200, first.target());
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                seen.add(r.target());
                c.sendResponse(200, r.target());
            }
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(1))) {
            CompletableFuture<Response<String>> a = p.submit(Request.get("/a"), BodyReaders.ofString());
            server.awaitRequests(1);
            CompletableFuture<Response<String>> b = p.submit(Request.get("/b"), BodyReaders.ofString()); // fills the queue
            AtomicReference<CompletableFuture<Response<String>>> c = new AtomicReference<>();
            AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().unstarted(() -> {
                c.set(p.submit(Request.get("/c"), BodyReaders.ofString())); // blocks: no room
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            });
            caller.start();
            caller.interrupt();
            caller.join();
            answer.countDown();

            UnansweredRequestException e = failure(c.get(), UnansweredRequestException.class);
            assertFalse(e.mayHaveReachedServer(), e.getMessage());
            assertTrue(stillInterrupted.get(), "the interrupt status is kept");
            assertEquals("/a", a.get().body());
            assertEquals("/b", b.get().body());
            assertEquals(List.of("/a", "/b"), seen);
        }
    }

    static void await(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(10, TimeUnit.SECONDS)) throw new AssertionError("the test never released the server");
    }
}
