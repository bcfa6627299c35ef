package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(30)
class PipelineSmokeTest {
    @Test
    void hundredSubmittedAtOnceAnsweredInOrder() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "body of " + r.target());
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(8))) {
            List<CompletableFuture<Response<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 100; i++) fs.add(p.submit(Request.get("/r" + i), BodyReaders.ofString()));
            for (int i = 0; i < 100; i++) assertEquals("body of /r" + i, fs.get(i).get().body());
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void serverClosingEveryTenthResponseLosesNothing() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (int n = 1; ; n++) {
                RecordedRequest r = c.readRequest();
                if (r == null) return;
                if (n % 10 == 0) {
                    c.send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + r.target().length() + "\r\n\r\n" + r.target());
                    c.closeGracefully();
                    return;
                }
                c.sendResponse(200, r.target());
            }
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults().depth(32).retries(10))) {
            List<CompletableFuture<Response<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) fs.add(p.submit(Request.get("/r" + i), BodyReaders.ofString()));
            for (int i = 0; i < 1000; i++) assertEquals("/r" + i, fs.get(i).get().body());
            System.out.println("connections: " + server.acceptedConnections());
        }
    }

    @Test
    void postInFlightAtCloseSaysItMayHaveReachedServer() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            RecordedRequest first = c.readRequest();
            c.readRequest();
            c.send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
            c.closeGracefully();
        }); Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            var get = p.submit(Request.get("/a"));
            var post = p.submit(Request.post("/b", "x".getBytes(StandardCharsets.UTF_8)));
            assertEquals(200, get.get().status());
            ExecutionException e = assertThrows(ExecutionException.class, post::get);
            UnansweredRequestException u = assertInstanceOf(UnansweredRequestException.class, e.getCause());
            assertTrue(u.mayHaveReachedServer(), u.getMessage());
            System.out.println(u.getMessage());
        }
    }

    @Test
    void clientAcrossOrigins() throws Exception {
        try (ScriptedServer a = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "A" + r.target());
        }); ScriptedServer b = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "B" + r.target());
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(2).build()) {
            List<Thread> ts = new ArrayList<>();
            List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 1000; i++) {
                int n = i;
                ts.add(Thread.ofVirtual().start(() -> {
                    try {
                        ScriptedServer s = n % 2 == 0 ? a : b;
                        Response<String> r = client.send(Request.get(URI.create(s.uri() + "/x" + n)), BodyReaders.ofString());
                        if (!r.body().equals((n % 2 == 0 ? "A" : "B") + "/x" + n)) errors.add(r.body());
                    } catch (Exception e) {
                        errors.add(e.toString());
                    }
                }));
            }
            for (Thread t : ts) t.join();
            assertEquals(List.of(), errors);
            assertTrue(a.acceptedConnections() <= 2 && b.acceptedConnections() <= 2);
        }
    }
}
