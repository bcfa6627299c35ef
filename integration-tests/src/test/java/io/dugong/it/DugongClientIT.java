package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static io.dugong.it.Exchanges.connectionId;
import static io.dugong.it.Exchanges.connectionRequests;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.DugongClient;
import io.dugong.Request;
import io.dugong.Response;
import io.dugong.it.Nginx.Server;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link DugongClient} against nginx: thousands of virtual threads sharing one client (at most 4
 * connections per origin) fetch from the main server and from the one that closes every connection
 * after 100 requests, with no failure and every body byte-exact; uploads from many threads; an https
 * origin trusting the test CA.
 */
@ExtendWith(NginxExtension.class)
@Timeout(120)
class DugongClientIT {

    private static final int THREADS = 2_000;
    private static final int REQUESTS_PER_THREAD = 6;
    private static final int MAX_CONNECTIONS = 4;
    private static final String[] FILES = {"100.bin", "64k.bin", "100.bin", "64k.txt", "0.bin", "100.bin"};

    private static URI origin(Nginx nginx, Server server) {
        String scheme = server == Server.TLS ? "https" : "http";
        return URI.create(scheme + "://" + nginx.host() + ":" + nginx.port(server));
    }

    /** Where each response came from: nginx's connection and its request count there, per server. */
    private record Seen(Server server, long connection, long requests) {
    }

    /**
     * Runs {@code threads} virtual threads, each sending {@code perThread} GETs of the {@link #FILES}
     * through {@code client}, alternating between {@code servers}; checks each body and returns where
     * each response came from. Any failure fails the test, naming the thread and request.
     */
    private static List<Seen> fetchFromManyThreads(Nginx nginx, DugongClient client, int threads, int perThread,
            Server... servers) throws Exception {
        Map<String, byte[]> files = new ConcurrentHashMap<>();
        for (String f : FILES) files.put(f, nginx.bytes("files/" + f));
        List<Seen> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        Server server = servers[(thread + i) % servers.length];
                        String file = FILES[(thread + i) % FILES.length];
                        URI uri = origin(nginx, server).resolve("/files/" + file + "?t=" + thread + "&i=" + i);
                        Response<byte[]> r = client.send(Request.get(uri));
                        assertStatus(200, r);
                        assertArrayEquals(files.get(file), r.body(), () -> "body of " + r);
                        seen.add(new Seen(server, connectionId(r), connectionRequests(r)));
                    }
                    return null;
                }));
            }
            for (int t = 0; t < threads; t++) done.get(t).get(60, TimeUnit.SECONDS); // rethrows a thread's failure
        }
        assertEquals(threads * perThread, seen.size());
        return seen;
    }

    private static Set<Long> connectionsOf(List<Seen> seen, Server server) {
        Set<Long> ids = new java.util.HashSet<>();
        for (Seen s : seen) if (s.server() == server) ids.add(s.connection());
        return ids;
    }

    @Test
    void twoThousandVirtualThreadsFetchFromBothServersThroughOneClientWithoutAFailure(Nginx nginx) throws Exception {
        List<Seen> seen;
        try (DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(MAX_CONNECTIONS).build()) {
            seen = fetchFromManyThreads(nginx, client, THREADS, REQUESTS_PER_THREAD, Server.MAIN, Server.KEEPALIVE_100);
        }
        int perServer = THREADS * REQUESTS_PER_THREAD / 2;
        Set<Long> main = connectionsOf(seen, Server.MAIN);
        assertTrue(main.size() <= MAX_CONNECTIONS, "the main server, which never closes, saw connections " + main);
        Set<Long> limited = connectionsOf(seen, Server.KEEPALIVE_100);
        assertTrue(limited.size() >= perServer / 100,
                "keepalive-100 answered " + perServer + " requests on only " + limited.size() + " connections");
        for (Seen s : seen) {
            if (s.server() == Server.KEEPALIVE_100) assertTrue(s.requests() <= 100, s::toString);
        }
    }

    @Test
    void uploadsFromManyThreadsAreEachStored(Nginx nginx) throws Exception {
        int threads = 200;
        URI origin = origin(nginx, Server.MAIN);
        try (DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(MAX_CONNECTIONS).build();
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    byte[] content = NginxSite.randomBytes(thread * 1_499, 3000 + thread);
                    URI target = origin.resolve("/dav/" + UUID.randomUUID() + ".bin");
                    assertStatus(201, client.send(Request.put(target, content)));
                    Response<byte[]> back = client.send(Request.get(target));
                    assertStatus(200, back);
                    assertArrayEquals(content, back.body(), () -> "content stored by thread " + thread);
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void httpsOriginTrustingTheTestCaServesManyThreadsByteExact(Nginx nginx) throws Exception {
        List<Seen> seen;
        try (DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(MAX_CONNECTIONS)
                .tls(nginx.trust()).build()) {
            seen = fetchFromManyThreads(nginx, client, 500, 4, Server.TLS);
        }
        Set<Long> tls = connectionsOf(seen, Server.TLS);
        assertTrue(tls.size() <= MAX_CONNECTIONS, "connections to the https origin: " + tls);
    }

    @Test
    void httpsOriginIsRefusedWithTheJdksDefaultTrust(Nginx nginx) throws Exception {
        try (DugongClient client = DugongClient.newClient()) {
            URI uri = origin(nginx, Server.TLS).resolve("/files/100.bin");

            SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> client.send(Request.get(uri)));
            assertTrue(e.getMessage().contains("PKIX") || e.getMessage().contains("certification path"), e.getMessage());
        }
    }
}
