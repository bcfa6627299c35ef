package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static io.dugong.PipelineCancellationTest.await;
import static io.dugong.PipelineReplayTest.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipeline close and abort: close() lets accepted requests finish (within the close timeout), abort() fails
 * everything at once, and each failure says whether the request may have reached the server.
 */
@Timeout(30)
class PipelineCloseTest {

    @Test
    void closeWaitsForTheRequestsInFlight() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            List<RecordedRequest> first = List.of(c.readRequest(), c.readRequest());
            await(answer);
            for (RecordedRequest r : first) c.sendResponse(200, r.target());
            c.readRequest(); // until the client closes
        })) {
            Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults());
            CompletableFuture<Response<String>> a = p.submit(Request.get("/a"), BodyReaders.ofString());
            CompletableFuture<Response<String>> b = p.submit(Request.get("/b"), BodyReaders.ofString());
            server.awaitRequests(2);

            Thread closer = Thread.ofVirtual().start(p::close);
            while (p.isOpen()) Thread.onSpinWait(); // close() has begun: it now waits for /a and /b
            CompletableFuture<Response<byte[]>> late = p.submit(Request.get("/late"));
            answer.countDown();
            closer.join();

            assertEquals("/a", a.get().body());
            assertEquals("/b", b.get().body());
            UnansweredRequestException e = failure(late, UnansweredRequestException.class);
            assertFalse(e.mayHaveReachedServer(), e.getMessage());
            assertEquals(2, server.requestsRead());
        }
    }

    @Test
    void closeFailsWhatIsStillUnansweredWhenTheCloseTimeoutPasses() throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            while (c.readRequest() != null) {
                // never answers
            }
            clientClosed.countDown();
        })) {
            Pipeline p = Pipeline.open(server.uri(),
                    PipelineOptions.defaults().depth(2).closeTimeout(Duration.ofMillis(200)));
            CompletableFuture<Response<byte[]>> a = p.submit(Request.get("/a"));
            CompletableFuture<Response<byte[]>> b = p.submit(Request.post("/b", "x".getBytes(StandardCharsets.US_ASCII)));
            CompletableFuture<Response<byte[]>> queued = p.submit(Request.get("/queued"));
            server.awaitRequests(2);

            p.close();

            assertTrue(failure(a, UnansweredRequestException.class).mayHaveReachedServer());
            assertTrue(failure(b, UnansweredRequestException.class).mayHaveReachedServer());
            assertFalse(failure(queued, UnansweredRequestException.class).mayHaveReachedServer());
            await(clientClosed);
            assertEquals(2, server.requestsRead());
        }
    }

    @Test
    void abortFailsEverythingAtOnceSayingWhatWasSent() throws Exception {
        CountDownLatch serverDone = new CountDownLatch(1);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (ScriptedServer server = ScriptedServer.start(c -> {
            try {
                for (RecordedRequest r; (r = c.readRequest()) != null; ) seen.add(r.target()); // never answers
            } finally {
                serverDone.countDown();
            }
        })) {
            Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(1));
            CompletableFuture<Response<byte[]>> sentGet = p.submit(Request.get("/a"));
            server.awaitRequests(1);
            CompletableFuture<Response<byte[]>> unsentPost = p.submit(Request.post("/b", "x".getBytes(StandardCharsets.US_ASCII)));

            p.abort();

            UnansweredRequestException sent = failure(sentGet, UnansweredRequestException.class);
            assertTrue(sent.mayHaveReachedServer(), sent.getMessage());
            UnansweredRequestException unsent = failure(unsentPost, UnansweredRequestException.class);
            assertFalse(unsent.mayHaveReachedServer(), unsent.getMessage());
            assertFalse(p.isOpen());
            await(serverDone);
            assertEquals(List.of("/a"), seen);
            p.close(); // harmless after abort
        }
    }
}
