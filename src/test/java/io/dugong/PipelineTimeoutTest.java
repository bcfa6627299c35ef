package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static io.dugong.PipelineReplayTest.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pipeline timeouts: a late response fails its own request; the requests behind it are replayed on a new connection. */
@Timeout(30)
class PipelineTimeoutTest {

    @Test
    void aLateResponseTimesOutAndTheIdempotentRequestsBehindItAreReplayed() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            if (c.id() == 1) {
                while (c.readRequest() != null) {
                    // reads /slow, /a and /b; answers nothing
                }
            } else {
                for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, r.target());
            }
        })) {
            HttpConnection conn = HttpConnection.builder(server.host()).port(server.port())
                    .timeout(Duration.ofSeconds(1)).build();
            try (Pipeline p = Pipeline.open(conn, PipelineOptions.defaults())) {
                CompletableFuture<Response<String>> slow = p.submit(Request.get("/slow"), BodyReaders.ofString());
                CompletableFuture<Response<String>> a = p.submit(Request.get("/a"), BodyReaders.ofString());
                CompletableFuture<Response<String>> b = p.submit(Request.get("/b"), BodyReaders.ofString());

                failure(slow, ConnectionTimedOutException.class);
                assertEquals("/a", a.get().body());
                assertEquals("/b", b.get().body());
                assertEquals(2, server.acceptedConnections());
            }
        }
    }
}
