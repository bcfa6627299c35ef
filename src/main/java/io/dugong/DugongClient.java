package io.dugong;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;

/**
 * An HTTP/1.1 client for many origins and many threads: per origin, a small pool of
 * {@link Pipeline}s (one connection each), with requests spread over the least-loaded one.
 *
 * <pre>{@code
 * try (DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(4).pipelineDepth(32).build()) {
 *     Response<byte[]> r = client.send(Request.get(URI.create("http://host/x")));
 *     try (var scope = StructuredTaskScope.open()) {              // JDK 25
 *         var tasks = uris.stream().map(u -> scope.fork(() -> client.send(Request.get(u)))).toList();
 *         scope.join();
 *     }
 * }
 * }</pre>
 *
 * <p>{@code send} is meant to be called from many virtual threads at once; only the pipelines' own
 * threads touch sockets, so interrupting or cancelling a caller abandons just its request. Requests
 * need an absolute {@code http} or {@code https} URI.
 */
public final class DugongClient implements AutoCloseable {
    private final Builder config;
    private final Map<String, Origin> origins = new ConcurrentHashMap<>();
    private final Thread janitor;
    private volatile boolean closed;

    /** The pipelines of one origin. */
    private final class Origin {
        final URI uri;
        final ReentrantLock lock = new ReentrantLock();
        final List<Pipeline> pipelines = new ArrayList<>();
        final Map<Pipeline, Long> lastUsed = new ConcurrentHashMap<>();

        Origin(URI uri) {
            this.uri = uri;
        }

        /** The least-loaded open pipeline, opening another while under the limit and all are busy. */
        Pipeline pick() {
            lock.lock();
            try {
                pipelines.removeIf(p -> !p.isOpen());
                Pipeline best = null;
                int bestLoad = Integer.MAX_VALUE;
                for (Pipeline p : pipelines) {
                    int load = p.load();
                    if (load < bestLoad) {
                        best = p;
                        bestLoad = load;
                    }
                }
                if (best == null || (bestLoad > 0 && pipelines.size() < config.maxConnectionsPerOrigin)) {
                    best = Pipeline.open(connectionTo(uri), config.pipelineOptions());
                    pipelines.add(best);
                }
                lastUsed.put(best, System.nanoTime());
                return best;
            } finally {
                lock.unlock();
            }
        }

        /** Closes pipelines with nothing to do for longer than the idle timeout. */
        void evictIdle(long now) {
            List<Pipeline> idle = new ArrayList<>();
            lock.lock();
            try {
                for (Pipeline p : pipelines) {
                    Long used = lastUsed.get(p);
                    if (p.load() == 0 && used != null && now - used > config.idleTimeout.toNanos()) idle.add(p);
                }
                pipelines.removeAll(idle);
                idle.forEach(lastUsed::remove);
            } finally {
                lock.unlock();
            }
            idle.forEach(Pipeline::close);
        }

        void closeAll() {
            List<Pipeline> all;
            lock.lock();
            try {
                all = new ArrayList<>(pipelines);
                pipelines.clear();
            } finally {
                lock.unlock();
            }
            all.forEach(Pipeline::close);
        }
    }

    private DugongClient(Builder config) {
        this.config = config;
        this.janitor = Thread.ofVirtual().name("dugong-idle-evictor").start(this::evictIdleLoop);
    }

    /** A client with the defaults of {@link Builder}. */
    public static DugongClient newClient() {
        return builder().build();
    }

    /** A builder with defaults: 4 connections per origin, depth 32, 3 retries, 10 s connect timeout. */
    public static Builder builder() {
        return new Builder();
    }

    /** Sends {@code request} and waits for the response, with a {@code byte[]} body. */
    public Response<byte[]> send(Request request) throws IOException, InterruptedException {
        return send(request, BodyReaders.ofByteArray());
    }

    /**
     * Sends {@code request} and waits for the response. Interrupting the caller abandons this request
     * only.
     *
     * @throws ConnectionTimedOutException if the request timeout passed
     * @throws IOException the failure of this request
     * @throws InterruptedException if interrupted while waiting
     */
    public <T> Response<T> send(Request request, BodyReader<T> bodyReader) throws IOException, InterruptedException {
        return Pipeline.await(sendAsync(request, bodyReader));
    }

    /** Sends {@code request} asynchronously, with a {@code byte[]} body. */
    public CompletableFuture<Response<byte[]>> sendAsync(Request request) {
        return sendAsync(request, BodyReaders.ofByteArray());
    }

    /**
     * Sends {@code request} asynchronously; may block briefly while the chosen pipeline's queue is full.
     * The future fails with {@link ConnectionTimedOutException} if the request timeout passes.
     */
    public <T> CompletableFuture<Response<T>> sendAsync(Request request, BodyReader<T> bodyReader) {
        if (closed) throw new StateException("sendAsync: the client is closed");
        URI uri = request.uri();
        Origin origin = origins.computeIfAbsent(originKey(uri), k -> new Origin(uri));
        CompletableFuture<Response<T>> future = origin.pick().submit(withDefaults(request), bodyReader);
        if (config.requestTimeout == null) return future;
        CompletableFuture<Response<T>> result = new CompletableFuture<>();
        future.whenComplete((r, e) -> {
            if (e != null) result.completeExceptionally(e);
            else result.complete(r);
        });
        // The JDK's shared delay scheduler only fires the timeout; nothing blocks on it.
        CompletableFuture.delayedExecutor(config.requestTimeout.toNanos(), TimeUnit.NANOSECONDS, Runnable::run).execute(() -> {
            if (result.completeExceptionally(new ConnectionTimedOutException(request
                    + " got no response within the request timeout of " + config.requestTimeout))) {
                future.cancel(false); // abandon it: its response, if it comes, is read and dropped
            }
        });
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) future.cancel(false);
        });
        return result;
    }

    /** Closes every connection; requests in flight get a bounded time to finish (the pipelines' close timeout). */
    @Override
    public void close() {
        closed = true;
        janitor.interrupt();
        origins.values().forEach(Origin::closeAll);
        origins.clear();
    }

    private Request withDefaults(Request request) {
        Headers h = request.headers();
        Headers.Builder extra = null;
        if (config.userAgent != null && !h.contains("User-Agent")) {
            extra = h.toBuilder().add("User-Agent", config.userAgent);
        }
        for (int i = 0; i < config.defaultHeaders.size(); i++) {
            String name = config.defaultHeaders.name(i);
            if (h.contains(name)) continue;
            if (extra == null) extra = h.toBuilder();
            extra.add(name, config.defaultHeaders.value(i));
        }
        return extra == null ? request : new Request(request.method(), request.uri(), extra.build(), request.body(),
                request.expect100());
    }

    private HttpConnection connectionTo(URI origin) {
        boolean https = "https".equalsIgnoreCase(origin.getScheme());
        HttpConnection.Builder b = HttpConnection.builder(origin.getHost())
                .connectTimeout(config.connectTimeout)
                .timeout(config.timeout);
        if (https) b.tls(config.sslContext != null ? config.sslContext : defaultContext());
        if (origin.getPort() >= 0) b.port(origin.getPort());
        if (config.proxy != null) b.proxy(config.proxy);
        return b.build();
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no default SSLContext", e);
        }
    }

    private static String originKey(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("the client needs an absolute http or https URI, not " + uri);
        }
        if (uri.getHost() == null) throw new IllegalArgumentException("no host in " + uri);
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    private void evictIdleLoop() {
        long tick = Math.max(config.idleTimeout.toMillis() / 2, 10);
        while (!closed) {
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            origins.values().forEach(o -> o.evictIdle(now));
        }
    }

    /** Settings of a {@link DugongClient}. */
    public static final class Builder {
        private int maxConnectionsPerOrigin = 4;
        private int pipelineDepth = PipelineOptions.DEFAULT_DEPTH;
        private int retries = PipelineOptions.DEFAULT_RETRIES;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration timeout;
        private Duration requestTimeout;
        private Duration idleTimeout = Duration.ofSeconds(60);
        private SSLContext sslContext;
        private InetSocketAddress proxy;
        private Headers defaultHeaders = Headers.empty();
        private String userAgent = "dugong-java/0.1";

        private Builder() {
        }

        /** Most connections (pipelines) per origin; default 4. */
        public Builder maxConnectionsPerOrigin(int n) {
            if (n < 1) throw new IllegalArgumentException("maxConnectionsPerOrigin must be at least 1, got " + n);
            this.maxConnectionsPerOrigin = n;
            return this;
        }

        /** Most requests in flight per connection; default 32. */
        public Builder pipelineDepth(int depth) {
            if (depth < 1) throw new IllegalArgumentException("pipelineDepth must be at least 1, got " + depth);
            this.pipelineDepth = depth;
            return this;
        }

        /** Replays of an unanswered idempotent request; default 3. */
        public Builder retries(int n) {
            if (n < 0) throw new IllegalArgumentException("retries must be >= 0, got " + n);
            this.retries = n;
            return this;
        }

        /** Limit for opening a connection (DNS, TCP, proxy tunnel, TLS); default 10 s. */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        /** Inactivity timeout per blocking read or write on a connection; default none. */
        public Builder timeout(Duration d) {
            this.timeout = d;
            return this;
        }

        /** Limit for a whole request, from {@code send} to its response; default none. */
        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        /** Connections with nothing to do for this long are closed; default 60 s. */
        public Builder idleTimeout(Duration d) {
            if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException("idleTimeout must be positive");
            this.idleTimeout = d;
            return this;
        }

        /** The TLS context for https origins; default the JDK's. Hostname verification stays on. */
        public Builder tls(SSLContext context) {
            this.sslContext = Objects.requireNonNull(context, "context");
            return this;
        }

        /** An HTTP proxy for every origin. */
        public Builder proxy(InetSocketAddress address) {
            this.proxy = address;
            return this;
        }

        /** Headers added to every request that does not set them itself. */
        public Builder defaultHeaders(Headers headers) {
            this.defaultHeaders = Objects.requireNonNull(headers, "headers");
            return this;
        }

        /** The User-Agent sent unless a request sets one; null sends none. Default {@code dugong-java/0.1}. */
        public Builder userAgent(String ua) {
            this.userAgent = ua;
            return this;
        }

        /** The client. */
        public DugongClient build() {
            return new DugongClient(this);
        }

        PipelineOptions pipelineOptions() {
            return PipelineOptions.defaults().depth(pipelineDepth).retries(retries);
        }
    }
}
