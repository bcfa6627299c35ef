package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipeline "nothing is lost": when the server ends a connection, idempotent requests in flight are replayed
 * in order on a new one, within the retry budget; the others fail saying whether they may have reached the server.
 */
@Timeout(30)
class PipelineReplayTest {

    /** Answers every request with its target; ends each connection after the tenth response. */
    private static ScriptedServer closingAfterEveryTenth(boolean announceClose) {
        return ScriptedServer.start(c -> {
            for (int n = 1; n <= 10; n++) {
                RecordedRequest r = c.readRequest();
                if (r == null) return;
                if (n < 10) {
                    c.sendResponse(200, r.target());
                } else if (announceClose) {
                    c.sendResponse(200, r.target().getBytes(StandardCharsets.ISO_8859_1), "Connection", "close");
                } else {
                    c.sendResponse(200, r.target());
                }
            }
            c.closeGracefully();
        });
    }

    @ParameterizedTest(name = "Connection: close announced = {0}")
    @ValueSource(booleans = {true, false})
    void thousandGetsSucceedAgainstAServerClosingAfterEveryTenthResponse(boolean announceClose) throws Exception {
        // Up to depth + 9 requests go out on each connection (the first nine answers free slots), so the
        // last of them is replayed 4 times before it is among the first ten on a connection.
        try (ScriptedServer server = closingAfterEveryTenth(announceClose);
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(32).retries(4))) {
            List<CompletableFuture<Response<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 1000; i++) futures.add(p.submit(Request.get("/r" + i), BodyReaders.ofString()));

            for (int i = 0; i < 1000; i++) assertEquals("/r" + i, futures.get(i).get().body());
            assertTrue(server.acceptedConnections() >= 100, server.toString());
        }
    }

    @Test
    void requestsAfterAnAnnouncedCloseAreReplayedWithoutSpendingTheRetryBudget() throws Exception {
        // RFC 9112 §9.6: after "Connection: close" the server processes nothing more on that connection,
        // so the requests pipelined behind it are replayed even with a retry budget of zero.
        try (ScriptedServer server = closingAfterEveryTenth(true);
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(32).retries(0))) {
            List<CompletableFuture<Response<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 1000; i++) futures.add(p.submit(Request.get("/r" + i), BodyReaders.ofString()));

            for (int i = 0; i < 1000; i++) assertEquals("/r" + i, futures.get(i).get().body());
        }
    }

    @ParameterizedTest(name = "Connection: close announced = {0}")
    @ValueSource(booleans = {true, false})
    void postInFlightWhenTheServerClosesFailsSayingItMayHaveReachedTheServer(boolean announceClose) throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest get = c.readRequest();
            c.readRequest(); // the POST: read, never answered
            if (announceClose) {
                c.sendResponse(200, get.target().getBytes(StandardCharsets.ISO_8859_1), "Connection", "close");
            } else {
                c.sendResponse(200, get.target());
            }
            c.closeGracefully();
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            CompletableFuture<Response<byte[]>> get = p.submit(Request.get("/a"));
            Request post = Request.post("/b", "x".getBytes(StandardCharsets.US_ASCII));
            CompletableFuture<Response<byte[]>> postFuture = p.submit(post);

            assertEquals(200, get.get().status());
            UnansweredRequestException e = failure(postFuture, UnansweredRequestException.class);
            assertTrue(e.mayHaveReachedServer(), e.getMessage());
            assertEquals(post, e.request());
            assertEquals(1, server.acceptedConnections()); // a POST is never replayed
        }
    }

    @Test
    void anIdempotentRequestFailsOnceItsRetryBudgetIsSpent() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.closeGracefully(); // never answers
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().retries(2))) {
            CompletableFuture<Response<byte[]>> f = p.submit(Request.get("/doomed"));

            UnansweredRequestException e = failure(f, UnansweredRequestException.class);
            assertTrue(e.mayHaveReachedServer(), e.getMessage());
            assertEquals(3, server.acceptedConnections()); // the first attempt and two replays
            assertEquals(3, server.requestsRead());
        }
    }

    @ParameterizedTest(name = "Connection: close announced = {0}")
    @ValueSource(booleans = {true, false})
    void replayedRequestsReachTheNewConnectionInTheirOriginalOrderBeforeNewOnes(boolean announceClose) throws Exception {
        List<String> secondConnection = Collections.synchronizedList(new ArrayList<>());
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                RecordedRequest first = c.readRequest();
                for (int i = 1; i < 5; i++) c.readRequest(); // /1../4 read, never answered
                if (announceClose) {
                    c.sendResponse(200, first.target().getBytes(StandardCharsets.ISO_8859_1), "Connection", "close");
                } else {
                    c.sendResponse(200, first.target());
                }
                c.closeGracefully();
            } else {
                for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                    secondConnection.add(r.target());
                    c.sendResponse(200, r.target());
                }
            }
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(5))) {
            List<CompletableFuture<Response<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) futures.add(p.submit(Request.get("/" + i), BodyReaders.ofString()));

            for (int i = 0; i < 8; i++) assertEquals("/" + i, futures.get(i).get().body());
            assertEquals(List.of("/1", "/2", "/3", "/4", "/5", "/6", "/7"), secondConnection);
            assertEquals(2, server.acceptedConnections());
        }
    }

    static <T extends Throwable> T failure(CompletableFuture<?> future, Class<T> type) {
        ExecutionException e = assertThrows(ExecutionException.class, future::get);
        return assertInstanceOf(type, e.getCause());
    }
}
