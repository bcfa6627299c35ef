package io.dugong.bench;

import io.dugong.DugongClient;
import io.dugong.Headers;
import io.dugong.HttpConnection;
import io.dugong.Pipeline;
import io.dugong.PipelineOptions;
import io.dugong.Request;
import io.dugong.Response;
import io.dugong.ResponseHead;
import io.dugong.jdk.DugongHttpClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.async.methods.SimpleResponseConsumer;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.async.MinimalHttpAsyncClient;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.http2.config.H2Config;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;

/**
 * The clients under test, grouped in families (one child JVM each). Every response is checked:
 * status 200 and the expected number of body bytes, or the run fails.
 */
final class Clients {
    private Clients() {}

    /** A client usable from many threads at once: one GET, returns the body length. */
    interface Shared extends AutoCloseable {
        int get(String path) throws Exception;

        @Override
        void close() throws Exception;
    }

    /** A client configuration for a given number of concurrent callers. */
    interface SharedFactory {
        Shared open(int concurrency) throws Exception;
    }

    /** {@code n} GETs of {@code path} over one connection, at most {@code depth} in flight; returns seconds. */
    interface OneConnection {
        double run(int depth, int n, String path, int len) throws Exception;
    }

    record Variant(String label, SharedFactory factory) {}

    /** A family of clients: how each workload runs it. Empty lists / null mean "not measured". */
    record Family(String name, String oneConnectionLabel, List<Integer> depths, OneConnection oneConnection,
                  List<Variant> concurrent, Variant latency, List<Variant> heap) {}

    static void check(int status, int length, int expected) {
        if (status != 200) throw new IllegalStateException("status " + status + ", expected 200");
        if (length != expected) throw new IllegalStateException(length + " body bytes, expected " + expected);
    }

    static Family family(String name, String host, int port) {
        URI origin = URI.create("http://" + host + ":" + port);
        List<Integer> depths = System.getProperty("bench.depths") == null ? List.of(1, 8, 16, 32, 128)
                : java.util.Arrays.stream(System.getProperty("bench.depths").split(",")).map(Integer::valueOf).toList();
        List<Integer> seq = List.of(1);
        return switch (name) {
            case "raw" -> new Family(name, "raw loop: 2 virtual threads, 1 socket (ceiling)", depths,
                    (depth, n, path, len) -> RawLoop.run(host, port, depth, n, path, len),
                    List.of(), null, List.of());
            case "dugong-connection" -> new Family(name, "dugong HttpConnection (sender+reader threads)", depths,
                    (depth, n, path, len) -> connectionPipelined(host, port, depth, n, path, len),
                    List.of(),
                    new Variant("dugong HttpConnection (one thread)", c -> connectionSequential(host, port)),
                    List.of(new Variant("dugong HttpConnection (one per task)", null)));
            case "dugong-pipeline" -> new Family(name, "dugong Pipeline", depths,
                    (depth, n, path, len) -> pipelineRun(origin, depth, n, path, len),
                    List.of(new Variant("dugong Pipeline (1 conn, depth 128)", c -> pipelineShared(origin, 128))),
                    new Variant("dugong Pipeline.send", c -> pipelineShared(origin, 32)),
                    List.of(new Variant("dugong Pipeline (1 conn, depth 128)", c -> pipelineShared(origin, 128))));
            case "dugong-client" -> new Family(name, "DugongClient (1 conn)", depths,
                    (depth, n, path, len) -> dugongClientRun(origin, depth, n, path, len),
                    List.of(new Variant("DugongClient (default: 4 conn x depth 32)", c -> dugongClientShared(origin, 4, 32)),
                            new Variant("DugongClient (1 conn x depth 128)", c -> dugongClientShared(origin, 1, 128))),
                    new Variant("DugongClient.send", c -> dugongClientShared(origin, 4, 32)),
                    List.of(new Variant("DugongClient (default: 4 conn x depth 32)", c -> dugongClientShared(origin, 4, 32))));
            case "jdk" -> new Family(name, "JDK HttpClient (sequential)", seq,
                    (depth, n, path, len) -> sequential(jdk(origin), n, path, len),
                    List.of(new Variant("JDK HttpClient", c -> jdk(origin))),
                    new Variant("JDK HttpClient", c -> jdk(origin)),
                    List.of(new Variant("JDK HttpClient", c -> jdk(origin))));
            case "dugong-jdk" -> new Family(name, "DugongHttpClient (java.net.http API, 1 conn, sendAsync)", depths,
                    (depth, n, path, len) -> jdkAdapterRun(origin, depth, n, path, len),
                    List.of(new Variant("DugongHttpClient (default: 4 conn x depth 32)",
                            c -> jdkApi(DugongHttpClient.newHttpClient(), origin))),
                    new Variant("DugongHttpClient", c -> jdkApi(DugongHttpClient.newHttpClient(), origin)),
                    List.of(new Variant("DugongHttpClient (default: 4 conn x depth 32)",
                            c -> jdkApi(DugongHttpClient.newHttpClient(), origin))));
            case "apache-classic" -> new Family(name, "Apache HttpClient 5 classic (sequential)", seq,
                    (depth, n, path, len) -> sequential(apacheClassic(origin, 1), n, path, len),
                    List.of(new Variant("Apache HttpClient 5 classic (pool = threads)", c -> apacheClassic(origin, c))),
                    new Variant("Apache HttpClient 5 classic", c -> apacheClassic(origin, 1)),
                    List.of(new Variant("Apache HttpClient 5 classic (pool = tasks)", c -> apacheClassic(origin, c))));
            case "apache-async" -> new Family(name, "Apache HttpClient 5 async, pipelined (MinimalHttpAsyncClient)", depths,
                    (depth, n, path, len) -> apacheAsyncPipelined(host, port, depth, n, path, len),
                    List.of(),
                    new Variant("Apache HttpClient 5 async (MinimalHttpAsyncClient)", c -> apacheAsync(origin)),
                    List.of());
            case "okhttp" -> new Family(name, "OkHttp (sequential)", seq,
                    (depth, n, path, len) -> sequential(okhttp(origin, 1), n, path, len),
                    List.of(new Variant("OkHttp (pool = threads)", c -> okhttp(origin, c))),
                    new Variant("OkHttp", c -> okhttp(origin, 1)),
                    List.of(new Variant("OkHttp (pool = tasks)", c -> okhttp(origin, c))));
            default -> throw new IllegalArgumentException("unknown client family " + name);
        };
    }

    static final List<String> FAMILIES = List.of("raw", "dugong-connection", "dugong-pipeline", "dugong-client", "dugong-jdk", "jdk",
            "apache-classic", "apache-async", "okhttp");

    // ---------------------------------------------------------------------------------------------
    // One connection

    private static double sequential(Shared client, int n, String path, int len) throws Exception {
        try (client) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) check(200, client.get(path), len);
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** The raw pattern: one sender and one reader virtual thread over one HttpConnection. */
    private static double connectionPipelined(String host, int port, int depth, int n, String path, int len)
            throws Exception {
        try (HttpConnection conn = HttpConnection.open(host, port)) {
            Request request = Request.get(path);
            Semaphore window = new Semaphore(depth);   // at most `depth` requests sent and unanswered
            Semaphore sent = new Semaphore(0);         // the reader reads only what is in flight
            long t0 = System.nanoTime();
            runPair(() -> {
                for (int i = 0; i < n; i++) {
                    window.acquire();
                    conn.sendRequest(request);
                    sent.release();
                }
            }, () -> {
                for (int i = 0; i < n; i++) {
                    sent.acquire();
                    ResponseHead head = conn.readResponse();
                    byte[] body = conn.readAll();
                    check(head.status(), body.length, len);
                    window.release();
                }
            });
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private static Shared connectionSequential(String host, int port) {
        HttpConnection conn = HttpConnection.open(host, port);
        return new Shared() {
            @Override
            public int get(String path) throws Exception {
                conn.sendRequest(Request.get(path));
                ResponseHead head = conn.readResponse();
                byte[] body = conn.readAll();
                if (head.status() != 200) throw new IllegalStateException("status " + head.status());
                return body.length;
            }

            @Override
            public void close() {
                conn.close();
            }
        };
    }

    private static double pipelineRun(URI origin, int depth, int n, String path, int len) throws Exception {
        try (Pipeline p = Pipeline.open(origin, PipelineOptions.defaults().depth(depth))) {
            Request request = Request.get(path);
            return submitAll(() -> p.submit(request), n, len);
        }
    }

    /**
     * Submits {@code n} requests through {@code submit} (which blocks while the client's queue is full),
     * checks every response, and returns the seconds until the last one came.
     */
    private static double submitAll(Supplier<CompletableFuture<Response<byte[]>>> submit, int n, int len)
            throws Exception {
        CountDownLatch done = new CountDownLatch(n);
        AtomicReference<Throwable> error = new AtomicReference<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n && error.get() == null; i++) {
            submit.get().whenComplete((r, e) -> {
                if (e != null) {
                    error.compareAndSet(null, e);
                } else {
                    try {
                        check(r.status(), r.body().length, len);
                    } catch (RuntimeException bad) {
                        error.compareAndSet(null, bad);
                    }
                }
                done.countDown();
            });
        }
        awaitAll(done, error);
        return (System.nanoTime() - t0) / 1e9;
    }

    private static Shared pipelineShared(URI origin, int depth) {
        Pipeline p = Pipeline.open(origin, PipelineOptions.defaults().depth(depth));
        return new Shared() {
            @Override
            public int get(String path) throws Exception {
                var r = p.send(Request.get(path));
                if (r.status() != 200) throw new IllegalStateException("status " + r.status());
                return r.body().length;
            }

            @Override
            public void close() {
                p.close();
            }
        };
    }

    private static double dugongClientRun(URI origin, int depth, int n, String path, int len) throws Exception {
        try (DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(1).pipelineDepth(depth).build()) {
            Request request = Request.get(origin.resolve(path));
            return submitAll(() -> client.sendAsync(request), n, len);
        }
    }

    private static Shared dugongClientShared(URI origin, int connections, int depth) {
        DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(connections).pipelineDepth(depth).build();
        return new Shared() {
            @Override
            public int get(String path) throws Exception {
                var r = client.send(Request.get(origin.resolve(path)));
                if (r.status() != 200) throw new IllegalStateException("status " + r.status());
                return r.body().length;
            }

            @Override
            public void close() {
                client.close();
            }
        };
    }

    // ---------------------------------------------------------------------------------------------
    // Other clients

    /**
     * {@code n} GETs through {@link DugongHttpClient#sendAsync} on one connection, at most {@code depth}
     * in flight ({@code sendAsync} blocks while the pipeline is full).
     */
    private static double jdkAdapterRun(URI origin, int depth, int n, String path, int len) throws Exception {
        try (HttpClient client = DugongHttpClient.newBuilder().maxConnectionsPerOrigin(1).pipelineDepth(depth).build()) {
            HttpRequest request = HttpRequest.newBuilder(origin.resolve(path)).build();
            Request asDugong = Request.get(origin.resolve(path));
            return submitAll(() -> client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                    .thenApply(r -> new Response<>(asDugong, r.statusCode(), "", Headers.empty(), r.body())), n, len);
        }
    }

    private static Shared jdk(URI origin) {
        return jdkApi(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), origin);
    }

    /** The java.net.http code of the JDK rows, run on {@code client} (the JDK's own or DugongHttpClient). */
    private static Shared jdkApi(HttpClient client, URI origin) {
        return new Shared() {
            @Override
            public int get(String path) throws Exception {
                HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(origin.resolve(path)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) throw new IllegalStateException("status " + r.statusCode());
                return r.body().length;
            }

            @Override
            public void close() {
                client.close();
            }
        };
    }

    private static Shared apacheClassic(URI origin, int poolSize) {
        CloseableHttpClient client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnPerRoute(poolSize).setMaxConnTotal(poolSize).build())
                .build();
        return new Shared() {
            @Override
            public int get(String path) throws Exception {
                return client.execute(new HttpGet(origin.resolve(path)), response -> {
                    byte[] body = EntityUtils.toByteArray(response.getEntity());
                    if (response.getCode() != 200) throw new IllegalStateException("status " + response.getCode());
                    return body.length;
                });
            }

            @Override
            public void close() throws Exception {
                client.close();
            }
        };
    }

    private static MinimalHttpAsyncClient minimalAsync() {
        MinimalHttpAsyncClient client = HttpAsyncClients.createMinimal(HttpVersionPolicy.FORCE_HTTP_1, H2Config.DEFAULT,
                Http1Config.DEFAULT, IOReactorConfig.custom().setIoThreadCount(1).build(),
                PoolingAsyncClientConnectionManagerBuilder.create().build());
        client.start();
        return client;
    }

    /**
     * Apache's HTTP/1.1 pipelining: lease one endpoint (one connection) of the minimal async client
     * and execute requests on it without waiting for the previous responses (their
     * AsyncClientHttp1Pipelining example); at most {@code depth} outstanding.
     */
    private static double apacheAsyncPipelined(String host, int port, int depth, int n, String path, int len)
            throws Exception {
        MinimalHttpAsyncClient client = minimalAsync();
        try {
            HttpHost target = new HttpHost("http", host, port);
            AsyncClientEndpoint endpoint = client.lease(target, null).get(10, TimeUnit.SECONDS);
            try {
                Semaphore window = new Semaphore(depth);
                CountDownLatch done = new CountDownLatch(n);
                AtomicReference<Throwable> error = new AtomicReference<>();
                long t0 = System.nanoTime();
                for (int i = 0; i < n && error.get() == null; i++) {
                    window.acquire();
                    SimpleHttpRequest request = SimpleRequestBuilder.get().setHttpHost(target).setPath(path).build();
                    endpoint.execute(SimpleRequestProducer.create(request), SimpleResponseConsumer.create(),
                            new FutureCallback<SimpleHttpResponse>() {
                                @Override
                                public void completed(SimpleHttpResponse r) {
                                    try {
                                        check(r.getCode(), r.getBodyBytes() == null ? 0 : r.getBodyBytes().length, len);
                                    } catch (RuntimeException bad) {
                                        error.compareAndSet(null, bad);
                                    }
                                    window.release();
                                    done.countDown();
                                }

                                @Override
                                public void failed(Exception e) {
                                    error.compareAndSet(null, e);
                                    window.release();
                                    done.countDown();
                                }

                                @Override
                                public void cancelled() {
                                    failed(new IllegalStateException("cancelled"));
                                }
                            });
                }
                awaitAll(done, error);
                return (System.nanoTime() - t0) / 1e9;
            } finally {
                endpoint.releaseAndReuse();
            }
        } finally {
            client.close(CloseMode.GRACEFUL);
        }
    }

    private static Shared apacheAsync(URI origin) {
        MinimalHttpAsyncClient client = minimalAsync();
        return new Shared() {
            @Override
            public int get(String path) throws Exception {
                SimpleHttpResponse r = client.execute(SimpleRequestProducer.create(SimpleRequestBuilder.get(origin.resolve(path)).build()),
                        SimpleResponseConsumer.create(), null).get();
                if (r.getCode() != 200) throw new IllegalStateException("status " + r.getCode());
                return r.getBodyBytes() == null ? 0 : r.getBodyBytes().length;
            }

            @Override
            public void close() {
                client.close(CloseMode.GRACEFUL);
            }
        };
    }

    private static Shared okhttp(URI origin, int pool) {
        okhttp3.OkHttpClient client = new okhttp3.OkHttpClient.Builder()
                .connectionPool(new okhttp3.ConnectionPool(Math.max(5, pool), 5, TimeUnit.MINUTES))
                .build();
        return new Shared() {
            @Override
            public int get(String path) throws Exception {
                okhttp3.Request request = new okhttp3.Request.Builder().url(origin.resolve(path).toString()).build();
                try (okhttp3.Response r = client.newCall(request).execute()) {
                    byte[] body = r.body().bytes();
                    if (r.code() != 200) throw new IllegalStateException("status " + r.code());
                    return body.length;
                }
            }

            @Override
            public void close() {
                client.dispatcher().executorService().shutdown();
                client.connectionPool().evictAll();
            }
        };
    }

    // ---------------------------------------------------------------------------------------------

    interface Body {
        void run() throws Exception;
    }

    /** Runs two loops on virtual threads; the first failure interrupts the other and is rethrown. */
    static void runPair(Body a, Body b) throws Exception {
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread[] threads = new Thread[2];
        Body[] bodies = {a, b};
        for (int i = 0; i < 2; i++) {
            Body body = bodies[i];
            threads[i] = Thread.ofVirtual().unstarted(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    if (error.compareAndSet(null, t)) {
                        for (Thread th : threads) if (th != Thread.currentThread()) th.interrupt();
                    }
                }
            });
        }
        for (Thread t : threads) t.start();
        for (Thread t : threads) t.join();
        if (error.get() != null) throw new IllegalStateException("run failed", error.get());
    }

    static void awaitAll(CountDownLatch done, AtomicReference<Throwable> error) throws Exception {
        while (!done.await(100, TimeUnit.MILLISECONDS)) {
            if (error.get() != null) break;
        }
        if (error.get() != null) throw new IllegalStateException("run failed", error.get());
    }
}
