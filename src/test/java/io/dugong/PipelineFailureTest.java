package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a pipeline ends when things go wrong around it: aborts and closes report honestly what may
 * have reached the server, its threads stop, a crash of its own threads fails every request instead
 * of hanging them, calls from its own threads fail fast instead of deadlocking, and a truncated body
 * fails its request even when the body reader hides the error.
 */
@Timeout(60)
class PipelineFailureTest {
    /** A body source that sends {@code first} bytes, then blocks until released. */
    private static Body.StreamSource stalling(int first, CountDownLatch release) {
        return () -> new InputStream() {
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent == first) {
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new IOException("interrupted", e);
                    }
                    return -1;
                }
                sent++;
                return 'x';
            }
        };
    }

    private static UnansweredRequestException unanswered(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
        return assertInstanceOf(UnansweredRequestException.class, e.getCause());
    }

    @Test
    void abortReportsARequestWhoseHeadLeftAsMaybeReceived() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch headArrived = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequestHead();
            headArrived.countDown();
            c.readToEof();
        })) {
            Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults());
            try {
                CompletableFuture<Response<byte[]>> post = p.submit(Request.builder("POST", "/upload")
                        .body(Body.ofStream(stalling(256 * 1024, release), 1_000_000)).build());
                CompletableFuture<Response<byte[]>> queued = p.submit(Request.builder("POST", "/later").body(new byte[1]).build());
                assertTrue(headArrived.await(20, TimeUnit.SECONDS));

                p.abort();

                assertTrue(unanswered(post).mayHaveReachedServer(), "its head and part of its body were sent");
                assertFalse(unanswered(queued).mayHaveReachedServer(), "never written");
                assertFalse(p.threadsAlive(), "abort() stops the sender and reader threads");
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void aTimedOutCloseReportsAPartlySentRequestAsMaybeReceived() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch headArrived = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequestHead();
            headArrived.countDown();
            c.readToEof();
        })) {
            Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().closeTimeout(Duration.ofMillis(200)));
            try {
                CompletableFuture<Response<byte[]>> post = p.submit(Request.builder("POST", "/upload")
                        .body(Body.ofStream(stalling(256 * 1024, release), 1_000_000)).build());
                assertTrue(headArrived.await(20, TimeUnit.SECONDS));

                p.close();

                assertTrue(unanswered(post).mayHaveReachedServer());
                assertFalse(p.threadsAlive());
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void aConnectThatCompletesAfterAbortIsClosedAndSendsNothing() throws Exception {
        CountDownLatch accepted = new CountDownLatch(1);
        CountDownLatch handshake = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<RecordedRequest> seen = new AtomicReference<>();
        try (ScriptedServer server = ScriptedServer.builder().tls(TestCertificates.get().serverContext()).start(c -> {
            accepted.countDown();
            handshake.await(20, TimeUnit.SECONDS); // the client is inside its TLS handshake meanwhile
            try {
                c.handshake();
                seen.set(c.readRequest()); // null: the client closed the connection without a request
            } catch (IOException expected) {
                // the client gave up the connection during the handshake
            } finally {
                done.countDown();
            }
        })) {
            HttpConnection conn = HttpConnection.builder(server.host()).port(server.port())
                    .tls(TestCertificates.get().clientContext()).build();
            Pipeline p = Pipeline.open(conn, PipelineOptions.defaults());
            CompletableFuture<Response<byte[]>> f = p.submit(Request.get("/x"));
            assertTrue(accepted.await(20, TimeUnit.SECONDS));

            p.abort();
            handshake.countDown();

            assertFalse(unanswered(f).mayHaveReachedServer());
            assertFalse(p.threadsAlive());
            assertTrue(done.await(20, TimeUnit.SECONDS));
            assertEquals(null, seen.get(), "no request may arrive on a connection opened for an aborted pipeline");
        }
    }

    @Test
    void anErrorInTheSenderThreadFailsEveryRequestAndClosesThePipeline() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            release.await(20, TimeUnit.SECONDS);
            c.sendResponse(200, "first");
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(1))) {
            try {
                CompletableFuture<Response<byte[]>> first = p.submit(Request.get("/first"));
                server.awaitRequests(1);
                Body.StreamSource broken = () -> {
                    throw new AssertionError("a bug in a body source");
                };
                CompletableFuture<Response<byte[]>> second = p.submit(Request.builder("POST", "/second")
                        .body(Body.ofStream(broken, 10)).build());
                release.countDown();

                // The sender dies on the second; nothing hangs: every future completes, and the pipeline is closed.
                ExecutionException e = assertThrows(ExecutionException.class, () -> second.get(20, TimeUnit.SECONDS));
                assertInstanceOf(UnansweredRequestException.class, e.getCause());
                assertTrue(first.handle((r, x) -> true).get(20, TimeUnit.SECONDS));
                assertFalse(p.isOpen());
                CompletableFuture<Response<byte[]>> after = p.submit(Request.get("/after"));
                assertThrows(ExecutionException.class, () -> after.get(20, TimeUnit.SECONDS));
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void anErrorInTheReaderThreadFailsEveryRequestAndClosesThePipeline() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            BodyReader<String> failing = (head, in) -> {
                throw new AssertionError("a bug in a body reader");
            };
            CompletableFuture<Response<String>> first = p.submit(Request.get("/first"), failing);
            List<CompletableFuture<Response<byte[]>>> behind = new ArrayList<>();
            for (int i = 0; i < 5; i++) behind.add(p.submit(Request.get("/behind" + i)));

            ExecutionException e = assertThrows(ExecutionException.class, () -> first.get(20, TimeUnit.SECONDS));
            assertInstanceOf(AssertionError.class, e.getCause().getCause());
            for (var f : behind) assertTrue(f.handle((r, x) -> true).get(20, TimeUnit.SECONDS), "every future completes");
            assertFalse(p.isOpen());
            assertThrows(ExecutionException.class, () -> p.submit(Request.get("/after")).get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aBlockingSendFromADependentStageFailsFastInsteadOfDeadlocking() throws Exception {
        CountDownLatch stageAttached = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            stageAttached.await(20, TimeUnit.SECONDS); // so the stage runs on the reader thread, not the caller's
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            CompletableFuture<String> chained = p.submit(Request.get("/a"), BodyReaders.ofString())
                    .thenApply(r -> {
                        try {
                            return p.send(Request.get("/b"), BodyReaders.ofString()).body();
                        } catch (IOException | InterruptedException e) {
                            throw new CompletionException(e);
                        }
                    });
            stageAttached.countDown();

            ExecutionException e = assertThrows(ExecutionException.class, () -> chained.get(20, TimeUnit.SECONDS));
            assertInstanceOf(StateException.class, e.getCause());
            assertEquals("/c", p.send(Request.get("/c"), BodyReaders.ofString()).body(), "the pipeline still works");
        }
    }

    @Test
    void submittingToAFullQueueFromADependentStageFailsFast() throws Exception {
        CountDownLatch stageAttached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            stageAttached.await(20, TimeUnit.SECONDS);
            c.sendResponse(200, "a");
            release.await(20, TimeUnit.SECONDS);
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(1))) {
            try {
                List<CompletableFuture<Response<byte[]>>> more = new ArrayList<>();
                CompletableFuture<Integer> chained = p.submit(Request.get("/a")).thenApply(r -> {
                    for (int i = 0; i < 10; i++) more.add(p.submit(Request.get("/more" + i)));
                    return more.size();
                });
                stageAttached.countDown();

                ExecutionException e = assertThrows(ExecutionException.class, () -> chained.get(20, TimeUnit.SECONDS));
                assertInstanceOf(StateException.class, e.getCause());
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void closeFromADependentStageStartsTheCloseWithoutDeadlocking() throws Exception {
        CountDownLatch stageAttached = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            stageAttached.await(20, TimeUnit.SECONDS);
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        })) {
            Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults());
            CompletableFuture<Boolean> closed = p.submit(Request.get("/a")).thenApply(r -> {
                p.close();
                return p.isOpen();
            });
            stageAttached.countDown();

            assertFalse(closed.get(20, TimeUnit.SECONDS));
            p.close();
            assertFalse(p.threadsAlive());
        }
    }

    @Test
    void aTruncatedBodyFailsTheRequestEvenWhenTheBodyReaderSwallowsTheError() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd");
            c.close();
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            BodyReader<String> swallowing = (head, in) -> {
                StringBuilder got = new StringBuilder();
                try {
                    for (int b; (b = in.read()) >= 0; ) got.append((char) b);
                } catch (IOException hidden) {
                    // a careless reader: keeps what it got
                }
                return got.toString();
            };
            CompletableFuture<Response<String>> f = p.submit(Request.builder("POST", "/p").body(new byte[1]).build(), swallowing);

            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
            assertInstanceOf(ConnectionClosedException.class, e.getCause());
        }
    }

    @Test
    void afterDisconnectTheBufferedRestOfABodyIsNotServed() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            c.sendResponse(200, "0123456789".repeat(10));
            c.readToEof();
        }); HttpConnection conn = HttpConnection.open(server.host(), server.port())) {
            conn.sendRequest("GET", "/x");
            conn.readResponse();
            byte[] some = new byte[10];
            assertEquals(10, conn.read(some, 0, 10));

            conn.disconnect();

            assertThrows(ConnectionClosedException.class, () -> conn.read(some, 0, 10));
            assertThrows(ConnectionClosedException.class, () -> conn.read(some, 0, 10), "and it does not turn into an end of body");
        }
    }
}
