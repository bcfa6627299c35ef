package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DugongClient under load: 10,000 URLs over 3 origins fetched by 10,000 virtual threads through one client
 * complete byte-exact, on at most maxConnectionsPerOrigin TCP connections per origin.
 * (The same with a StructuredTaskScope is in src/test-jdk25.)
 */
@Timeout(60)
class ManyUrlsTest {
    static final int URLS = 10_000;
    static final int ORIGINS = 3;
    static final int MAX_CONNECTIONS_PER_ORIGIN = 4;

    /** Three servers answering {@code /<n>} with {@link #bodyFor(String)}. */
    static List<ScriptedServer> startOrigins() {
        List<ScriptedServer> servers = new ArrayList<>();
        for (int i = 0; i < ORIGINS; i++) {
            servers.add(ScriptedServer.start(c -> {
                for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, bodyFor(r.target()));
            }));
        }
        return servers;
    }

    static URI uri(List<ScriptedServer> servers, int n) {
        return servers.get(n % ORIGINS).uri("/" + n);
    }

    /** A body of 0 to 4,095 bytes, every byte value included, different for every target. */
    static byte[] bodyFor(String target) {
        int n = Integer.parseInt(target.substring(1));
        byte[] body = new byte[(n * 7919) % 4096];
        for (int i = 0; i < body.length; i++) body[i] = (byte) (i * 31 + n);
        return body;
    }

    static DugongClient client() {
        return DugongClient.builder().maxConnectionsPerOrigin(MAX_CONNECTIONS_PER_ORIGIN).pipelineDepth(32).build();
    }

    /** Fails with every wrong body, then checks the connection count of each origin. */
    static void assertAllExact(List<ScriptedServer> servers, List<Response<byte[]>> responses) {
        List<String> wrong = new ArrayList<>();
        for (int n = 0; n < URLS; n++) {
            Response<byte[]> r = responses.get(n);
            if (r == null || r.status() != 200 || !Arrays.equals(bodyFor("/" + n), r.body())) {
                wrong.add(n + ": " + r);
            }
        }
        assertEquals(List.of(), wrong.subList(0, Math.min(10, wrong.size())), wrong.size() + " wrong responses");
        for (ScriptedServer s : servers) {
            assertTrue(s.acceptedConnections() <= MAX_CONNECTIONS_PER_ORIGIN, s + " accepted too many connections");
        }
    }

    static void closeAll(List<ScriptedServer> servers) {
        servers.forEach(ScriptedServer::close);
    }

    @Test
    void tenThousandVirtualThreadsFetchThroughOneClient() throws Exception {
        List<ScriptedServer> servers = startOrigins();
        try (DugongClient client = client()) {
            List<Response<byte[]>> responses = Collections.synchronizedList(new ArrayList<>(Collections.nCopies(URLS, null)));
            List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (int n = 0; n < URLS; n++) {
                int i = n;
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        responses.set(i, client.send(Request.get(uri(servers, i))));
                    } catch (Exception e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) t.join();

            assertEquals(List.of(), failures.subList(0, Math.min(5, failures.size())), failures.size() + " failures");
            assertAllExact(servers, responses);
        } finally {
            closeAll(servers);
        }
    }
}
