package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Pipeline: responses are delivered in submit order, and no more than {@code depth} requests are ever outstanding. */
@Timeout(30)
class PipelineOrderTest {

    @Test
    void hundredRequestsSubmittedAtOnceAreAnsweredInSubmitOrder() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "body of " + r.target());
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(8))) {
            List<Request> requests = new ArrayList<>();
            List<CompletableFuture<Response<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Request r = Request.get("/r" + i);
                requests.add(r);
                futures.add(p.submit(r, BodyReaders.ofString()));
            }

            for (int i = 0; i < 100; i++) {
                Response<String> response = futures.get(i).get();
                assertEquals("body of /r" + i, response.body());
                assertSame(requests.get(i), response.request());
            }
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void theServerNeverSeesMoreThanDepthRequestsOutstanding() throws Exception {
        int depth = 4;
        int total = 100;
        // The handshake: each request's body is opened by the pipeline's sender as it writes that request,
        // so the server knows when the client has started another request and reads it before answering.
        AtomicInteger started = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger(); // incremented before each response leaves the server
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger maxOutstanding = new AtomicInteger();
        try (ScriptedServer server = ScriptedServer.start(c -> {
            ArrayDeque<RecordedRequest> unanswered = new ArrayDeque<>();
            int read = 0;
            while (answered.get() < total) {
                boolean filling = answered.get() == 0 && read < depth; // the client must pipeline `depth` at first
                boolean clientStartedAnother = read < started.get();
                if (read < total && (unanswered.isEmpty() || filling || clientStartedAnother)) {
                    unanswered.add(c.readRequest());
                    read++;
                    int outstanding = read - answered.get();
                    maxOutstanding.accumulateAndGet(outstanding, Math::max);
                    if (outstanding > depth) violations.add("server: " + outstanding + " outstanding at request " + read);
                } else {
                    answered.incrementAndGet();
                    c.sendResponse(200, unanswered.poll().target());
                }
            }
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(depth))) {
            byte[] content = "x".getBytes(StandardCharsets.US_ASCII);
            List<CompletableFuture<Response<String>>> futures = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                Body body = Body.ofStream(() -> {
                    int k = started.incrementAndGet();
                    if (k - answered.get() > depth) {
                        violations.add("client: request " + k + " sent with only " + answered.get() + " answered");
                    }
                    return new ByteArrayInputStream(content);
                }, content.length);
                futures.add(p.submit(Request.builder("PUT", "/r" + i).body(body).build(), BodyReaders.ofString()));
            }

            for (int i = 0; i < total; i++) assertEquals("/r" + i, futures.get(i).get().body());
            assertEquals(List.of(), violations);
            assertEquals(depth, maxOutstanding.get());
            assertEquals(1, server.acceptedConnections());
        }
    }
}
