package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static io.dugong.it.Exchanges.connectionId;
import static io.dugong.it.Exchanges.connectionRequests;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.Body;
import io.dugong.Headers;
import io.dugong.HttpConnection;
import io.dugong.Pipeline;
import io.dugong.PipelineOptions;
import io.dugong.Request;
import io.dugong.Response;
import io.dugong.it.Nginx.Server;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Pipeline} against nginx: 10,000 GETs through one pipeline at depth 32 and 128, byte-exact and
 * in order; the same through the keepalive_requests-100 server with nothing lost (the pipeline replays
 * what each close leaves unanswered); bodiless responses; uploads with every body a pipeline sends
 * itself; Expect: 100-continue accepted and refused with 413; and TLS.
 */
@ExtendWith(NginxExtension.class)
@Timeout(120)
class PipelineIT {

    private static final int REQUESTS = 10_000;
    /** 100 B files with a 64 KiB one every third request: about 220 MB per 10,000 requests. */
    private static final String[] CYCLE = {"100.bin", "64k.bin", "100.bin", "100.bin", "64k.txt", "100.bin"};

    private static String target(int i) {
        return "/files/" + CYCLE[i % CYCLE.length] + "?i=" + i;
    }

    private static Map<String, byte[]> cycleFiles(Nginx nginx) {
        Map<String, byte[]> files = new HashMap<>();
        for (String name : CYCLE) files.put(name, nginx.bytes("files/" + name));
        return files;
    }

    private static Pipeline pipeline(Nginx nginx, Server server, int depth) {
        return Pipeline.open(nginx.connection(server).build(), PipelineOptions.defaults().depth(depth));
    }

    /**
     * Submits {@code count} GETs of {@link #target} from another thread (submit blocks while the queue
     * is full) and hands each response, in submit order, to {@code check} on this thread, so only the
     * responses in the pipeline's window are ever held in memory.
     */
    private static void getAll(Pipeline pipeline, int count, Consumer<Response<byte[]>> check) throws Exception {
        BlockingQueue<CompletableFuture<Response<byte[]>>> futures = new LinkedBlockingQueue<>();
        try (ExecutorService submitter = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> submitted = submitter.submit(() -> {
                for (int i = 0; i < count; i++) futures.add(pipeline.submit(Request.get(target(i))));
                return null;
            });
            for (int i = 0; i < count; i++) {
                CompletableFuture<Response<byte[]>> f = futures.poll(30, TimeUnit.SECONDS);
                if (f == null) submitted.get(); // rethrows the submitter's failure, if that is why
                assertNotNull(f, "request " + i + " was not submitted within 30 s");
                Response<byte[]> r = f.get(30, TimeUnit.SECONDS);
                assertEquals(target(i), r.request().uri().toString(), "the future of request " + i);
                check.accept(r);
            }
            submitted.get();
        }
    }

    private static void assertBodyIsTheFile(Map<String, byte[]> files, int i, Response<byte[]> r) {
        assertStatus(200, r);
        assertArrayEquals(files.get(CYCLE[i % CYCLE.length]), r.body(), () -> "body of " + r);
    }

    @ParameterizedTest(name = "depth {0}")
    @ValueSource(ints = {32, 128})
    void tenThousandGetsThroughOnePipelineAreAnsweredInOrderByteExactOnOneConnection(int depth, Nginx nginx)
            throws Exception {
        Map<String, byte[]> files = cycleFiles(nginx);
        long[] first = {-1};
        int[] index = {0};
        try (Pipeline pipeline = pipeline(nginx, Server.MAIN, depth)) {
            getAll(pipeline, REQUESTS, r -> {
                int i = index[0]++;
                assertBodyIsTheFile(files, i, r);
                if (i == 0) first[0] = connectionId(r);
                assertEquals(first[0], connectionId(r), () -> r + " came on another connection");
                // nginx's count on the connection: request i was the (i+1)-th it answered there.
                assertEquals(i + 1, connectionRequests(r), () -> "nginx's request count for " + r);
            });
        }
        assertEquals(REQUESTS, index[0]);
    }

    @ParameterizedTest(name = "depth {0}")
    @ValueSource(ints = {32, 128})
    void tenThousandGetsAgainstKeepaliveHundredAllSucceedByReplayingWhatEachCloseLeftUnanswered(int depth, Nginx nginx)
            throws Exception {
        Map<String, byte[]> files = cycleFiles(nginx);
        Set<Long> connections = new HashSet<>();
        long[] previous = {-1, 0}; // connection, request count on it
        int[] index = {0};
        try (Pipeline pipeline = pipeline(nginx, Server.KEEPALIVE_100, depth)) {
            getAll(pipeline, REQUESTS, r -> {
                int i = index[0]++;
                assertBodyIsTheFile(files, i, r);
                long connection = connectionId(r);
                long count = connectionRequests(r);
                connections.add(connection);
                assertTrue(count <= 100, () -> r + " was request " + count + " on its connection");
                // Replays go out in their original order, ahead of anything newer: in submit order, the
                // answers come on the same or a later connection, and later on the same one.
                assertTrue(connection > previous[0] || connection == previous[0] && count > previous[1],
                        () -> r + " answered as request " + count + " on connection " + connection
                                + ", after request " + previous[1] + " on connection " + previous[0]);
                previous[0] = connection;
                previous[1] = count;
            });
        }
        assertEquals(REQUESTS, index[0]);
        assertTrue(connections.size() >= REQUESTS / 100, "nginx saw " + connections.size() + " connections");
    }

    // ------------------------------------------------------------------------------------------
    // Responses without a body, each followed by one with a body that must arrive intact

    private static void assertBodilessThenIntact(Nginx nginx, Request bodiless, int status) throws Exception {
        try (Pipeline pipeline = pipeline(nginx, Server.MAIN, 32)) {
            CompletableFuture<Response<byte[]>> none = pipeline.submit(bodiless);
            CompletableFuture<Response<byte[]>> next = pipeline.submit(Request.get("/files/100.bin"));

            Response<byte[]> r = none.get(30, TimeUnit.SECONDS);
            assertStatus(status, r);
            assertEquals(0, r.body().length, () -> "body of " + r);
            Response<byte[]> after = next.get(30, TimeUnit.SECONDS);
            assertStatus(200, after);
            assertArrayEquals(nginx.bytes("files/100.bin"), after.body());
            assertEquals(connectionId(r), connectionId(after), "both on one connection");
        }
    }

    @Test
    void headHasNoBodyDespiteItsContentLength(Nginx nginx) throws Exception {
        assertBodilessThenIntact(nginx, Request.head("/files/64k.bin"), 200);
    }

    @Test
    void noContentHasNoBody(Nginx nginx) throws Exception {
        assertBodilessThenIntact(nginx, Request.get("/status/204"), 204);
    }

    @Test
    void notModifiedHasNoBodyDespiteTheFilesLength(Nginx nginx) throws Exception {
        String lastModified;
        try (Pipeline pipeline = pipeline(nginx, Server.MAIN, 32)) {
            lastModified = pipeline.send(Request.get("/files/64k.bin")).headers().first("Last-Modified").orElseThrow();
        }
        assertBodilessThenIntact(nginx, Request.builder("GET", "/files/64k.bin")
                .headers(Headers.of("If-Modified-Since", lastModified)).build(), 304);
    }

    @Test
    void headAnnouncesTheFilesLength(Nginx nginx) throws Exception {
        try (Pipeline pipeline = pipeline(nginx, Server.MAIN, 32)) {
            Response<byte[]> r = pipeline.send(Request.head("/files/64k.bin"));

            assertEquals("65536", r.headers().first("Content-Length").orElseThrow());
            assertEquals(0, r.body().length);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Uploads: bodies the pipeline sends itself, stored by WebDAV PUT and read back by GET

    /** The bodies a pipeline accepts. */
    enum Kind {
        BYTES, FILE, STREAM_OF_KNOWN_LENGTH, STREAM_CHUNKED;

        Body body(byte[] content, Path dir, AtomicInteger opened) throws Exception {
            return switch (this) {
                case BYTES -> Body.of(content);
                case FILE -> Body.ofFile(Files.write(dir.resolve(UUID.randomUUID() + ".bin"), content));
                case STREAM_OF_KNOWN_LENGTH -> Body.ofStream(() -> {
                    opened.incrementAndGet();
                    return new ByteArrayInputStream(content);
                }, content.length);
                case STREAM_CHUNKED -> Body.ofStream(() -> {
                    opened.incrementAndGet();
                    return new ByteArrayInputStream(content);
                });
            };
        }
    }

    private static String newDavTarget() {
        return "/dav/" + UUID.randomUUID() + ".bin";
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void uploadIsStoredAndReadBackByAGetPipelinedBehindIt(Kind kind, Nginx nginx, @TempDir Path dir) throws Exception {
        byte[] content = NginxSite.randomBytes(1_500_000 + kind.ordinal(), 20 + kind.ordinal());
        String target = newDavTarget();
        try (Pipeline pipeline = pipeline(nginx, Server.MAIN, 32)) {
            CompletableFuture<Response<byte[]>> put = pipeline.submit(
                    Request.builder("PUT", target).body(kind.body(content, dir, new AtomicInteger())).build());
            CompletableFuture<Response<byte[]>> get = pipeline.submit(Request.get(target));

            assertStatus(201, put.get(30, TimeUnit.SECONDS));
            Response<byte[]> back = get.get(30, TimeUnit.SECONDS);
            assertStatus(200, back);
            assertArrayEquals(content, back.body());
        }
    }

    @Test
    void manyUploadsOfEveryKindPipelinedTogetherAreEachStoredOnOneConnection(Nginx nginx, @TempDir Path dir)
            throws Exception {
        int uploads = 200;
        Kind[] kinds = Kind.values();
        List<String> targets = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        try (Pipeline pipeline = pipeline(nginx, Server.MAIN, 32)) {
            List<CompletableFuture<Response<byte[]>>> puts = new ArrayList<>();
            for (int i = 0; i < uploads; i++) {
                byte[] content = NginxSite.randomBytes(i * 997, 1000 + i); // 0 B (the first) to about 200 KB
                String target = newDavTarget();
                targets.add(target);
                contents.add(content);
                Body body = kinds[i % kinds.length].body(content, dir, new AtomicInteger());
                puts.add(pipeline.submit(Request.builder("PUT", target).body(body).build()));
            }
            List<CompletableFuture<Response<byte[]>>> gets = new ArrayList<>();
            for (String target : targets) gets.add(pipeline.submit(Request.get(target)));

            long connection = connectionId(puts.get(0).get(30, TimeUnit.SECONDS));
            for (int i = 0; i < uploads; i++) {
                Response<byte[]> put = puts.get(i).get(30, TimeUnit.SECONDS);
                assertStatus(201, put);
                assertEquals(connection, connectionId(put), () -> put + " came on another connection");
            }
            for (int i = 0; i < uploads; i++) {
                Response<byte[]> get = gets.get(i).get(30, TimeUnit.SECONDS);
                assertStatus(200, get);
                assertArrayEquals(contents.get(i), get.body(), "content stored by upload " + i + " ("
                        + kinds[i % kinds.length] + ")");
                assertEquals(connection, connectionId(get), () -> get + " came on another connection");
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Expect: 100-continue

    @ParameterizedTest
    @EnumSource(Kind.class)
    void bodyIsSentAfterNginxsHundredContinueAndStored(Kind kind, Nginx nginx, @TempDir Path dir) throws Exception {
        byte[] content = NginxSite.randomBytes(300_000 + kind.ordinal(), 40 + kind.ordinal());
        String target = newDavTarget();
        // A long fallback: the body must go because nginx said 100, not because the wait ran out.
        PipelineOptions options = PipelineOptions.defaults().expectContinueTimeout(Duration.ofSeconds(60));
        try (Pipeline pipeline = Pipeline.open(nginx.connection(Server.MAIN).build(), options)) {
            Response<byte[]> put = pipeline.send(
                    Request.builder("PUT", target).body(kind.body(content, dir, new AtomicInteger())).expect100().build());
            assertStatus(201, put);

            Response<byte[]> back = pipeline.send(Request.get(target));
            assertStatus(200, back);
            assertArrayEquals(content, back.body());
            assertEquals(connectionId(put), connectionId(back), "the connection stays usable");
        }
    }

    @Test
    void tooLargeWithExpectIsRefusedBeforeTheBodyIsOpenedAndTheRequestsBehindItStillSucceed(Nginx nginx)
            throws Exception {
        AtomicInteger opened = new AtomicInteger();
        byte[] content = NginxSite.randomBytes(1_000_000, 50);
        Request tooLarge = Request.builder("PUT", "/limited/" + UUID.randomUUID())
                .body(Kind.STREAM_OF_KNOWN_LENGTH.body(content, null, opened)).expect100().build();
        PipelineOptions options = PipelineOptions.defaults().expectContinueTimeout(Duration.ofSeconds(60));
        try (Pipeline pipeline = Pipeline.open(nginx.connection(Server.MAIN).build(), options)) {
            CompletableFuture<Response<byte[]>> refused = pipeline.submit(tooLarge);
            CompletableFuture<Response<byte[]>> small = pipeline.submit(Request.get("/files/100.bin"));
            CompletableFuture<Response<byte[]>> large = pipeline.submit(Request.get("/files/64k.bin"));

            Response<byte[]> r = refused.get(30, TimeUnit.SECONDS);
            assertStatus(413, r);
            Response<byte[]> s = small.get(30, TimeUnit.SECONDS);
            Response<byte[]> l = large.get(30, TimeUnit.SECONDS);
            assertArrayEquals(nginx.bytes("files/100.bin"), s.body());
            assertArrayEquals(nginx.bytes("files/64k.bin"), l.body());
            assertEquals(0, opened.get(), "the body's stream was opened: the body was sent after all");
            assertNotEquals(connectionId(r), connectionId(s), "without its body the request left that connection unusable");
            assertEquals(connectionId(s), connectionId(l));
        }
    }

    @Test
    void bodyWithinTheLimitWithExpectIsAccepted(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(1024, 51);
        String name = UUID.randomUUID().toString();
        PipelineOptions options = PipelineOptions.defaults().expectContinueTimeout(Duration.ofSeconds(60));
        try (Pipeline pipeline = Pipeline.open(nginx.connection(Server.MAIN).build(), options)) {
            CompletableFuture<Response<byte[]>> put = pipeline.submit(
                    Request.builder("PUT", "/limited/" + name).body(Body.of(content)).expect100().build());
            CompletableFuture<Response<byte[]>> get = pipeline.submit(Request.get("/dav/" + name));

            assertStatus(201, put.get(30, TimeUnit.SECONDS));
            Response<byte[]> back = get.get(30, TimeUnit.SECONDS);
            assertStatus(200, back);
            assertArrayEquals(content, back.body());
        }
    }

    // ------------------------------------------------------------------------------------------
    // TLS

    @Test
    void getsThroughAPipelineOverTlsTrustingTheTestCaAreByteExactOnOneConnection(Nginx nginx) throws Exception {
        Map<String, byte[]> files = cycleFiles(nginx);
        HttpConnection tls = HttpConnection.builder(nginx.host()).port(nginx.port(Server.TLS))
                .tls(nginx.trust()).timeout(Duration.ofSeconds(30)).build();
        long[] first = {-1};
        int[] index = {0};
        try (Pipeline pipeline = Pipeline.open(tls, PipelineOptions.defaults().depth(32))) {
            getAll(pipeline, 2_000, r -> {
                int i = index[0]++;
                assertBodyIsTheFile(files, i, r);
                if (i == 0) first[0] = connectionId(r);
                assertEquals(first[0], connectionId(r), () -> r + " came on another connection");
                assertEquals(i + 1, connectionRequests(r), () -> "nginx's request count for " + r);
            });
        }
        assertEquals(2_000, index[0]);
    }

    @Test
    void chunkedStreamUploadThroughAPipelineOverTlsIsStored(Nginx nginx) throws Exception {
        byte[] content = NginxSite.randomBytes(2_000_000, 52);
        String target = newDavTarget();
        HttpConnection tls = HttpConnection.builder(nginx.host()).port(nginx.port(Server.TLS))
                .tls(nginx.trust()).timeout(Duration.ofSeconds(30)).build();
        try (Pipeline pipeline = Pipeline.open(tls, PipelineOptions.defaults())) {
            CompletableFuture<Response<byte[]>> put = pipeline.submit(Request.builder("PUT", target)
                    .body(Body.ofStream(() -> new ByteArrayInputStream(content))).build());
            CompletableFuture<Response<byte[]>> get = pipeline.submit(Request.get(target));

            assertStatus(201, put.get(30, TimeUnit.SECONDS));
            assertArrayEquals(content, get.get(30, TimeUnit.SECONDS).body());
        }
    }
}
