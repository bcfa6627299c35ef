package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipeline with {@code Expect: 100-continue}: the body follows the 100; a final status instead drops the body;
 * a server that ignores the expectation gets the body after the expect-continue timeout.
 */
@Timeout(30)
class PipelineExpectContinueTest {
    private static final byte[] CONTENT = "the request body".getBytes(StandardCharsets.US_ASCII);

    @Test
    void theBodyIsSentAfterTheServersHundredContinue() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest head = c.readRequestHead();
            assertEquals("100-continue", head.header("Expect").orElse(null));
            c.send100Continue();
            c.sendResponse(200, c.readBody(head), "X-Echo", "yes");
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            Response<byte[]> r = p.send(Request.put("/upload", CONTENT).withExpect100());

            assertEquals(200, r.status());
            assertArrayEquals(CONTENT, r.body());
            assertEquals("/next", p.send(Request.get("/next"), BodyReaders.ofString()).body());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void aFinalStatusInsteadOfHundredMeansTheBodyIsNeverSentAndTheNextRequestStillWorks() throws Exception {
        CompletableFuture<byte[]> afterRefusal = new CompletableFuture<>();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                RecordedRequest head = c.readRequestHead();
                assertEquals("100-continue", head.header("Expect").orElse(null));
                c.sendResponse(413, "too large");
                afterRefusal.complete(c.readToEof()); // the client closes this connection, having sent no body
            } else {
                for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
            }
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().expectContinueTimeout(Duration.ofSeconds(20)))) {
            CompletableFuture<Response<String>> upload = p.submit(Request.put("/upload", CONTENT).withExpect100(),
                    BodyReaders.ofString());
            CompletableFuture<Response<String>> next = p.submit(Request.get("/next"), BodyReaders.ofString());

            assertEquals(413, upload.get().status());
            assertEquals("too large", upload.get().body());
            assertEquals("/next", next.get().body());
            // Waited for, not raced against server.close(), which could cut the read short.
            assertArrayEquals(new byte[0], afterRefusal.get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    @Test
    void theBodyIsSentAfterTheExpectContinueTimeoutWhenTheServerIgnoresTheExpectation() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest r = c.readRequest(); // no 100: waits for the whole request
            assertEquals("100-continue", r.header("Expect").orElse(null));
            c.sendResponse(201, r.body());
        }); Pipeline p = Pipeline.open(server.uri(),
                PipelineOptions.defaults().expectContinueTimeout(Duration.ofMillis(200)))) {
            Response<byte[]> r = p.send(Request.put("/upload", CONTENT).withExpect100());

            assertEquals(201, r.status());
            assertArrayEquals(CONTENT, r.body());
            assertTrue(server.handlerErrors().isEmpty(), server.handlerErrors().toString());
        }
    }
}
