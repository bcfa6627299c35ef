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
 *
 * <p>Off by default: following redirects ({@link Builder#followRedirects(int)}) and transparent
 * decompression ({@link Builder#decompress(boolean)}).
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
        CompletableFuture<Response<T>> future = config.maxRedirects == 0 && !config.decompress
                ? sendOnce(request, bodyReader)
                : new Exchange<>(request, bodyReader).start();
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

    /** Sends one request, with the default headers added, to a pipeline of its origin. */
    private <T> CompletableFuture<Response<T>> sendOnce(Request request, BodyReader<T> bodyReader) {
        if (closed) throw new StateException("sendAsync: the client is closed");
        URI uri = request.uri();
        Origin origin = origins.computeIfAbsent(originKey(uri), k -> new Origin(uri));
        return origin.pick().submit(withDefaults(request), bodyReader);
    }

    /**
     * One call of {@code sendAsync} with redirects or decompression on: a chain of hops, each sent with
     * {@link #sendOnce}. A hop's body reader runs on its pipeline's reader thread, so it decides from
     * the status and headers alone whether the response is a redirect to follow (body discarded) or
     * the final one (body given to the caller's reader, decoded if need be). The next hop is submitted
     * from a new virtual thread, since submitting may block while a pipeline's queue is full.
     */
    private final class Exchange<T> {
        private final BodyReader<T> bodyReader;
        private final Request first;
        private final CompletableFuture<Response<T>> result = new CompletableFuture<>();
        /** The hop in progress, cancelled when {@link #result} is (by the caller or the request timeout). */
        private volatile CompletableFuture<Response<T>> current;

        Exchange(Request first, BodyReader<T> bodyReader) {
            this.first = first;
            this.bodyReader = bodyReader;
            result.whenComplete((r, e) -> {
                CompletableFuture<Response<T>> hop = current;
                if (result.isCancelled() && hop != null) hop.cancel(false);
            });
        }

        /** Sends the first hop; its argument errors are thrown here, as without redirects. */
        CompletableFuture<Response<T>> start() {
            hop(first, config.maxRedirects);
            return result;
        }

        private void hop(Request request, int redirectsLeft) {
            boolean decode = config.decompress && !request.headers().contains("Accept-Encoding")
                    && !config.defaultHeaders.contains("Accept-Encoding");
            Request sent = decode ? request.withHeader("Accept-Encoding", ContentDecoding.ACCEPT_ENCODING) : request;
            BodyReader<T> hopReader = (head, body) -> {
                if (redirectsLeft > 0 && redirect(request, head.status(), head.headers()) != null) {
                    BodyReaders.discarding().read(head, body);
                    return null;
                }
                String coding = decode ? ContentDecoding.codingToUndo(head.method(), head.status(), head.headers()) : null;
                if (coding == null) return bodyReader.read(head, body);
                ContentDecoding.Decoder decoded = ContentDecoding.decoder(body, coding);
                try {
                    return bodyReader.read(ContentDecoding.decodedHead(head), decoded);
                } finally {
                    decoded.end();
                }
            };
            CompletableFuture<Response<T>> hop = sendOnce(sent, hopReader);
            current = hop;
            if (result.isCancelled()) hop.cancel(false);
            hop.whenComplete((r, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                    return;
                }
                Request next = redirectsLeft > 0 ? redirect(request, r.status(), r.headers()) : null;
                if (next != null) {
                    if (result.isDone()) return;
                    Thread.ofVirtual().name("dugong-redirect").start(() -> {
                        try {
                            hop(next, redirectsLeft - 1);
                        } catch (RuntimeException | Error failure) {
                            result.completeExceptionally(failure);
                        }
                    });
                    return;
                }
                String coding = decode ? ContentDecoding.codingToUndo(r.request().method(), r.status(), r.headers()) : null;
                result.complete(coding == null ? r : new Response<>(r.request(), r.status(), r.reason(),
                        ContentDecoding.decodedHeaders(r.headers()), r.body()));
            });
        }
    }

    /** Status codes followed when {@link Builder#followRedirects(int)} is on. */
    private static boolean isFollowedStatus(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /**
     * The request that follows {@code request} answered by a redirect, or null if the response is not
     * one to follow (another status, no or unusable Location, a non-http(s) target).
     */
    private static Request redirect(Request request, int status, Headers headers) {
        if (!isFollowedStatus(status)) return null;
        String location = headers.first("Location").map(String::trim).orElse("");
        if (location.isEmpty()) return null;
        URI target = resolve(request.uri(), location);
        if (target == null) return null;
        String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || target.getHost() == null) return null;

        String method = request.method();
        Body body = request.body();
        boolean expect100 = request.expect100();
        Headers.Builder h = request.headers().toBuilder();
        boolean toGet = (status == 303 && !method.equals("GET") && !method.equals("HEAD"))
                || ((status == 301 || status == 302) && method.equals("POST"));
        if (toGet) {
            method = "GET";
            body = Body.empty();
            expect100 = false;
            h.remove("Content-Type").remove("Content-Encoding").remove("Content-Language").remove("Content-Location");
        }
        if (!originKey(target).equals(originKey(request.uri()))) {
            h.remove("Authorization").remove("Proxy-Authorization").remove("Cookie").remove("Host");
        }
        try {
            return new Request(method, target, h.build(), body, expect100);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** {@code location} resolved against {@code base} (RFC 3986 §5), or null if it is not a URI reference. */
    private static URI resolve(URI base, String location) {
        try {
            URI ref = new URI(location);
            if (base.getRawPath() == null || base.getRawPath().isEmpty()) base = base.resolve("/");
            if (!ref.isAbsolute() && ref.getRawAuthority() == null && ref.getRawPath().isEmpty()
                    && ref.getRawQuery() != null) {
                // java.net.URI follows RFC 2396 here and drops the last path segment; RFC 3986 keeps it.
                return new URI(base.getScheme() + "://" + base.getRawAuthority() + base.getRawPath() + "?"
                        + ref.getRawQuery() + (ref.getRawFragment() == null ? "" : "#" + ref.getRawFragment()));
            }
            return base.resolve(ref);
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            return null;
        }
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
        if (config.localAddress != null) b.localAddress(config.localAddress);
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
        private java.net.InetAddress localAddress;
        private Headers defaultHeaders = Headers.empty();
        private String userAgent = "dugong-java/0.1";
        private int maxRedirects;
        private boolean decompress;

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

        /** The local address connections are made from; default null (the system chooses). */
        public Builder localAddress(java.net.InetAddress address) {
            this.localAddress = address;
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

        /**
         * Follows up to {@code maxRedirects} redirects per request; 0 (the default) follows none and
         * returns every 3xx as it is.
         *
         * <p>Followed: 301, 302, 303, 307 and 308 with a {@code Location} header, resolved against the
         * request's URI (relative references are fine) to an {@code http} or {@code https} URI; any
         * other 3xx, or a Location that is missing, malformed or of another scheme, is returned as the
         * response. 303 turns the request into a GET without a body (HEAD stays HEAD), and so do 301
         * and 302 answering a POST, as browsers and {@code java.net.http} do; otherwise (307, 308, and
         * 301/302 for other methods) the method and body are sent again — pipeline bodies
         * ({@code Body.of}, {@code ofFile}, {@code ofStream}) can be. A body dropped this way takes
         * Content-Type, Content-Encoding, Content-Language and Content-Location with it. When a
         * redirect leads to another origin (scheme, host or port), the follow-up request goes without
         * {@code Authorization}, {@code Proxy-Authorization}, {@code Cookie} and a request's own
         * {@code Host}.
         *
         * <p>The bodies of the redirects followed are read and discarded; the body reader sees only
         * the final response, and {@link Response#request()} is the request that produced it. When
         * the limit is reached, the next redirect is returned as the response, its body read by the
         * body reader — no exception. The request timeout, if set, covers the whole chain.
         *
         * @param maxRedirects at least 0
         */
        public Builder followRedirects(int maxRedirects) {
            if (maxRedirects < 0) throw new IllegalArgumentException("maxRedirects must be >= 0, got " + maxRedirects);
            this.maxRedirects = maxRedirects;
            return this;
        }

        /**
         * Transparent decompression; default off (bodies arrive as sent, and no Accept-Encoding is
         * added).
         *
         * <p>When on, a request that sets no {@code Accept-Encoding} (neither itself nor through
         * {@link #defaultHeaders}) is sent with {@code Accept-Encoding: gzip, deflate}, and a response
         * with {@code Content-Encoding: gzip} (or {@code x-gzip}) or {@code deflate} is decoded: the
         * body reader reads the decoded bytes, and both the {@link ResponseHead} it gets (whose length
         * is then unknown) and the {@link Response}'s headers lack {@code Content-Encoding} and
         * {@code Content-Length}, as in OkHttp. {@code deflate} is read as zlib (RFC 1950, as RFC 9110
         * says) or, if the body does not start with a zlib header, as raw deflate (RFC 1951), which
         * some servers send. Other codings, several codings, responses without a body (HEAD, 204,
         * 304) and responses to requests that chose their own Accept-Encoding are left untouched,
         * headers included. A corrupt encoded body fails the request with a
         * {@link java.util.zip.ZipException}.
         *
         * @param on whether to ask for and decode gzip and deflate bodies
         */
        public Builder decompress(boolean on) {
            this.decompress = on;
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
