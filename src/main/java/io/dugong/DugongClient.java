package io.dugong;

import io.dugong.internal.Durations;
import io.dugong.internal.Origin;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 * <p>{@code send} is meant to be called from many virtual threads at once. Only the pipelines' own
 * threads read from sockets, and callers wait on per-request futures, so interrupting or cancelling a
 * caller abandons just its request. (A small request that finds its connection idle is written by its
 * caller, sparing a hand-off: see {@link Pipeline#send(Request, BodyReader)}.) Requests need an
 * absolute {@code http} or {@code https} URI.
 *
 * <p><b>Is pipelining safe?</b> Each origin is learnt: it starts at a small depth
 * ({@link Builder#initialPipelineDepth}), doubled while responses come back correctly up to
 * {@link Builder#pipelineDepth}; it falls back to one request at a time per connection (plain keep-alive)
 * when it answers HTTP/1.0, announces {@code Connection: close} on the first response of a connection,
 * closes more than {@link Builder#maxUnansweredCloses} connections with pipelined requests unanswered, or
 * answers out of protocol. {@link #originStats(URI)} shows the verdict, a fallback is forgotten after
 * {@link Builder#pipeliningExpiry}, and {@link #pipelining(URI, Mode)} forces a mode per origin. A
 * response that cannot belong to the request at the head of line closes the connection: the requests
 * behind it are replayed or failed, never given a response that is not theirs.
 *
 * <p><b>Never pipelined behind others</b> (RFC 9112 §9.3.2): a request with a non-idempotent method
 * (POST, PATCH, ...; unless sent with {@link #sendPipelinedAsync}), with {@code Expect: 100-continue}, or
 * with a body that cannot be replayed ({@link Body#ofInputStream}). It is written only on a connection
 * with nothing else in flight — an idle one of its origin, or a new one if the per-origin limit allows,
 * else it waits for one to drain — and nothing is written behind it until its response has come.
 *
 * <p><b>Head-of-line relief.</b> When the response at the head of a connection is slow (no byte for
 * {@link Builder#headOfLineTimeout}, or a body beyond {@link Builder#headOfLineBodySize} still
 * streaming), new requests for that origin go to its other connections (or a new one), and the requests
 * queued there but not yet written move too. Requests already written on it wait for their responses.
 *
 * <p>Off by default: following redirects ({@link Builder#followRedirects(int)}) and transparent
 * decompression ({@link Builder#decompress(boolean)}).
 */
public final class DugongClient implements AutoCloseable {
    /** Default {@link Builder#connectTimeout}: 10 s. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@link Builder#timeout} (inactivity per blocking read or write): 30 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Default {@link Builder#headTimeout}: 60 s. */
    public static final Duration DEFAULT_HEAD_TIMEOUT = Duration.ofSeconds(60);
    /** Default {@link Builder#initialPipelineDepth}: 2. */
    public static final int DEFAULT_INITIAL_PIPELINE_DEPTH = 2;
    /** Default {@link Builder#maxUnansweredCloses}: 2. */
    public static final int DEFAULT_MAX_UNANSWERED_CLOSES = 2;
    /** Default {@link Builder#pipeliningExpiry}: 10 minutes. */
    public static final Duration DEFAULT_PIPELINING_EXPIRY = Duration.ofMinutes(10);
    /** Default {@link Builder#headOfLineTimeout}: 1 s. */
    public static final Duration DEFAULT_HEAD_OF_LINE_TIMEOUT = Duration.ofSeconds(1);
    /** Default {@link Builder#headOfLineBodySize}: 1 MiB. */
    public static final long DEFAULT_HEAD_OF_LINE_BODY_SIZE = 1024 * 1024;

    private final Builder config;
    private final Map<String, OriginPool> pools = new ConcurrentHashMap<>();
    /** The pool used last: found without building the origin's key. */
    private volatile OriginPool lastPool;
    private final Thread janitor;
    private volatile boolean closed;

    private DugongClient(Builder config) {
        this.config = config;
        this.janitor = Thread.ofVirtual().name("dugong-maintenance").start(this::maintenanceLoop);
    }

    /**
     * A client with the defaults of {@link Builder}.
     *
     * @return a new client
     */
    public static DugongClient newClient() {
        return builder().build();
    }

    /**
     * A builder with defaults: 4 connections per origin, depth 32 (learnt per origin from 2), 3 retries;
     * timeouts of 10 s to connect, 30 s of inactivity per read or write, 60 s for a response head; no
     * request timeout; head-of-line relief after 1 s without a byte or 1 MiB of body.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Sends {@code request} and waits for the response, with a {@code byte[]} body.
     *
     * @param request the request
     * @return the response
     * @throws IOException the failure of this request (see the class description)
     * @throws InterruptedException if interrupted while waiting (the request is abandoned)
     */
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
     * @param <T> the type of the body value
     * @param request the request
     * @param bodyReader reads the response body, on the reader thread
     * @return the response
     */
    public <T> Response<T> send(Request request, BodyReader<T> bodyReader) throws IOException, InterruptedException {
        return sendBlocking(request, bodyReader, false);
    }

    /**
     * A blocking send. Without redirects or decompression to handle, a small request whose connection
     * is idle is written by the calling thread (see {@link Pipeline#claim}), sparing the hand-off to the
     * pipeline's sender.
     */
    private <T> Response<T> sendBlocking(Request request, BodyReader<T> bodyReader, boolean pipelineAnyway)
            throws IOException, InterruptedException {
        if (config.maxRedirects != 0 || config.decompress) {
            return Pipeline.await(sendAsync(request, bodyReader, pipelineAnyway));
        }
        if (closed) throw new StateException("send: the client is closed");
        long deadline = config.requestTimeout == null ? 0 : deadlineAfter(config.requestTimeout);
        Pipeline pipeline = poolOf(request.uri()).pick();
        Request sent = withDefaults(request);
        boolean alone = sentAlone(request, pipelineAnyway);
        Pipeline.CallFuture<T> claimed = pipeline.claim(sent, bodyReader, alone);
        Pipeline.CallFuture<T> call = claimed != null ? claimed : pipeline.submit(sent, bodyReader, deadline, alone);
        if (deadline != 0) expireAt(deadline, request, call, () -> call);
        return claimed != null ? pipeline.exchange(claimed) : Pipeline.await(call);
    }

    /**
     * Whether the pipelining modes of origins can be forced: {@code AUTO} learns (the default),
     * {@code ON} pipelines at the full depth whatever the origin does, {@code OFF} sends one request at a
     * time per connection (plain keep-alive).
     */
    public enum Mode {
        /** Never pipelined: one request in flight per connection. */
        OFF,
        /** Learnt from what the origin does (see the class description). */
        AUTO,
        /** Always pipelined at {@link Builder#pipelineDepth}, whatever the origin does. */
        ON
    }

    /**
     * Forces how requests to {@code origin} are pipelined, from the next request on (requests in flight
     * stay where they are). {@code AUTO} forgets what was learnt and learns afresh.
     *
     * @param origin any http or https URI of the origin (only scheme, host and port count)
     * @param mode   the mode
     * @return this client
     * @throws IllegalArgumentException if {@code origin} is not an http or https URI with a host
     */
    public DugongClient pipelining(URI origin, Mode mode) {
        Objects.requireNonNull(mode, "mode");
        OriginPool pool = poolOf(origin);
        pool.learning.mode(mode);
        pool.depthMayHaveChanged();
        return this;
    }

    /**
     * What the client has learnt about pipelining to {@code origin}: the verdict, the depth, why, and
     * the counts it was based on. An origin not contacted yet shows the starting state.
     *
     * @param origin any http or https URI of the origin (only scheme, host and port count)
     * @return a snapshot
     * @throws IllegalArgumentException if {@code origin} is not an http or https URI with a host
     */
    public OriginStats originStats(URI origin) {
        return poolOf(origin).learning.stats();
    }

    private OriginPool poolOf(URI uri) {
        OriginPool last = lastPool;
        if (last != null && last.serves(uri)) return last; // most calls go where the one before went
        OriginPool pool = pools.computeIfAbsent(originKey(uri), k -> newPool(uri));
        lastPool = pool;
        return pool;
    }

    private OriginPool newPool(URI uri) {
        OriginLearning learning = new OriginLearning(URI.create(Origin.of(uri).key()), config.pipelineDepth,
                config.initialPipelineDepth, config.maxUnansweredCloses, config.pipeliningExpiry, System::nanoTime);
        OriginPool.Settings settings = new OriginPool.Settings(config.maxConnectionsPerOrigin, config.pipelineOptions(),
                config.headOfLineTimeout, config.headOfLineBodySize, config.idleTimeout);
        return new OriginPool(uri, settings, learning, () -> connectionTo(uri));
    }

    /**
     * Sends {@code request} like {@link #sendAsync(Request, BodyReader)}, but lets it be pipelined even
     * if its method is not idempotent (POST, PATCH, ...): the caller asserts that the server may see it
     * behind other requests. It is still not replayed after a connection failure (it fails with
     * {@link UnansweredRequestException}, which says whether it may have reached the server), and
     * requests with {@code Expect: 100-continue} or a body that cannot be replayed still go alone.
     *
     * @param <T>        the body type
     * @param request    the request
     * @param bodyReader reads the response body
     * @return the response, when it comes
     */
    public <T> CompletableFuture<Response<T>> sendPipelinedAsync(Request request, BodyReader<T> bodyReader) {
        return sendAsync(request, bodyReader, true);
    }

    /**
     * The blocking form of {@link #sendPipelinedAsync}.
     *
     * @param <T>        the body type
     * @param request    the request
     * @param bodyReader reads the response body
     * @return the response
     * @throws IOException the failure of this request
     * @throws InterruptedException if interrupted while waiting (the request is abandoned)
     */
    public <T> Response<T> sendPipelined(Request request, BodyReader<T> bodyReader) throws IOException, InterruptedException {
        return sendBlocking(request, bodyReader, true);
    }

    /**
     * Whether {@code request} must be sent alone on its connection: see "Never pipelined behind others"
     * in the class description.
     */
    static boolean sentAlone(Request request, boolean pipelineAnyway) {
        return (!pipelineAnyway && !Pipeline.isIdempotent(request.method()))
                || (request.expect100() && request.body().length().orElse(1) != 0)
                || !request.body().replayable();
    }

    /**
     * Sends {@code request} asynchronously, with a {@code byte[]} body.
     *
     * @param request the request
     * @return the future response
     */
    public CompletableFuture<Response<byte[]>> sendAsync(Request request) {
        return sendAsync(request, BodyReaders.ofByteArray());
    }

    /**
     * Sends {@code request} asynchronously. Blocks while every connection of its origin has a full
     * queue (backpressure), at most until the request timeout. The future fails with
     * {@link ConnectionTimedOutException} if the request timeout passes; a request that was sent by
     * then has its connection closed, so the requests behind it are replayed elsewhere instead of
     * waiting for it.
     *
     * <p>A request with a non-idempotent method, {@code Expect: 100-continue} or a body that cannot be
     * replayed is not pipelined: it waits for a connection with nothing in flight (see the class
     * description).
     *
     * @param <T> the type of the body value
     * @param request the request
     * @param bodyReader reads the response body, on the reader thread
     * @return the future response
     */
    public <T> CompletableFuture<Response<T>> sendAsync(Request request, BodyReader<T> bodyReader) {
        return sendAsync(request, bodyReader, false);
    }

    private <T> CompletableFuture<Response<T>> sendAsync(Request request, BodyReader<T> bodyReader, boolean pipelineAnyway) {
        if (closed) throw new StateException("sendAsync: the client is closed");
        long deadline = config.requestTimeout == null ? 0 : deadlineAfter(config.requestTimeout);
        if (config.maxRedirects == 0 && !config.decompress) {
            Pipeline.CallFuture<T> call = sendOnce(request, bodyReader, deadline, pipelineAnyway);
            if (deadline != 0) expireAt(deadline, request, call, () -> call);
            return call;
        }
        RedirectChain<T> chain = new RedirectChain<>(request, bodyReader, deadline, pipelineAnyway);
        CompletableFuture<Response<T>> result = chain.start();
        if (deadline != 0) expireAt(deadline, request, result, chain::current);
        return result;
    }

    /** System.nanoTime() after {@code d}, never 0 (0 means "no deadline"). */
    private static long deadlineAfter(Duration d) {
        long t = System.nanoTime() + Durations.nanos(d);
        return t == 0 ? 1 : t;
    }

    /**
     * At {@code deadline}, fails {@code result} with a timeout and expires the hop in progress, which
     * frees its connection. The JDK's shared delay scheduler only fires this; nothing blocks on it.
     *
     * <p>The timer is cancelled as soon as {@code result} completes: {@code completeOnTimeout} takes its
     * task off the scheduler when the timer future completes. A task left scheduled for the whole
     * timeout would keep the call, its response and its body reachable that long, so under load the
     * heap would grow with requests per second times the request timeout.
     */
    private void expireAt(long deadline, Request request, CompletableFuture<?> result,
                          java.util.function.Supplier<Pipeline.CallFuture<?>> hop) {
        long delay = Math.max(0, deadline - System.nanoTime());
        CompletableFuture<Void> timer = new CompletableFuture<Void>().completeOnTimeout(null, delay, TimeUnit.NANOSECONDS);
        result.whenComplete((r, e) -> timer.cancel(false));
        timer.thenRun(() -> {
            if (result.isDone()) return;
            ConnectionTimedOutException timeout = new ConnectionTimedOutException(request
                    + " got no response within the request timeout of " + config.requestTimeout);
            Pipeline.CallFuture<?> current = hop.get();
            if (current != null) current.expire(timeout);
            result.completeExceptionally(timeout);
        });
    }

    /** Closes every connection; requests in flight get a bounded time to finish (the pipelines' close timeout). */
    @Override
    public void close() {
        closed = true;
        janitor.interrupt();
        pools.values().forEach(OriginPool::closeAll);
        pools.clear();
        lastPool = null;
    }

    /** Sends one request, with the default headers added, to a pipeline of its origin. */
    private <T> Pipeline.CallFuture<T> sendOnce(Request request, BodyReader<T> bodyReader, long deadline,
                                                boolean pipelineAnyway) {
        if (closed) throw new StateException("sendAsync: the client is closed");
        OriginPool pool = poolOf(request.uri());
        return pool.pick().submit(withDefaults(request), bodyReader, deadline, sentAlone(request, pipelineAnyway));
    }

    /**
     * One call of {@code sendAsync} with redirects or decompression on: a chain of hops, each sent with
     * {@link #sendOnce}. A hop's body reader runs on its pipeline's reader thread, so it decides from
     * the status and headers alone whether the response is a redirect to follow (body discarded) or
     * the final one (body given to the caller's reader, decoded if need be). The next hop is submitted
     * from a new virtual thread, since submitting may block while a pipeline's queue is full.
     */
    private final class RedirectChain<T> {
        private final BodyReader<T> bodyReader;
        private final Request first;
        private final CompletableFuture<Response<T>> result = new CompletableFuture<>();
        /** When the whole chain must be done (System.nanoTime()), or 0. */
        private final long deadline;
        /** The hop in progress, cancelled when {@link #result} is (by the caller), expired by the request timeout. */
        private volatile Pipeline.CallFuture<T> current;
        /** The caller's opt-in to pipelining a non-idempotent request, for every hop. */
        private final boolean pipelineAnyway;

        RedirectChain(Request first, BodyReader<T> bodyReader, long deadline, boolean pipelineAnyway) {
            this.pipelineAnyway = pipelineAnyway;
            this.first = first;
            this.bodyReader = bodyReader;
            this.deadline = deadline;
            result.whenComplete((r, e) -> {
                CompletableFuture<Response<T>> hop = current;
                if (result.isCancelled() && hop != null) hop.cancel(false);
            });
        }

        Pipeline.CallFuture<?> current() {
            return current;
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
            Pipeline.CallFuture<T> hop = sendOnce(sent, hopReader, deadline, pipelineAnyway);
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

    /** The header fields of a request with the client's defaults added; {@code in} itself if none is missing. */
    private record WithDefaults(Headers in, Headers out) {
    }

    /** The last header set completed with the defaults: callers mostly send the same one (often none). */
    private volatile WithDefaults lastWithDefaults;

    private Request withDefaults(Request request) {
        Headers h = request.headers();
        WithDefaults last = lastWithDefaults;
        Headers out;
        if (last != null && last.in() == h) { // Headers are immutable: the same object, the same result
            out = last.out();
        } else {
            out = addDefaults(h);
            lastWithDefaults = new WithDefaults(h, out);
        }
        return out == h ? request : new Request(request.method(), request.uri(), out, request.body(), request.expect100());
    }

    private Headers addDefaults(Headers h) {
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
        return extra == null ? h : extra.build();
    }

    private HttpConnection connectionTo(URI origin) {
        HttpConnection.Builder b = HttpConnection.builder(origin)
                .connectTimeout(config.connectTimeout)
                .timeout(config.timeout)
                .headTimeout(config.headTimeout);
        if (config.sslContext != null && Origin.of(origin).tls()) b.tls(config.sslContext);
        if (config.proxy != null) b.proxy(config.proxy);
        if (config.localAddress != null) b.localAddress(config.localAddress);
        return b.build();
    }

    private static String originKey(URI uri) {
        return Origin.of(uri).key();
    }

    /**
     * Every tick: closes idle pipelines and relieves stalled heads of line. The tick is half the shorter
     * of the idle timeout and the head-of-line timeout, so each acts at most half its time late.
     */
    private void maintenanceLoop() {
        long tick = config.idleTimeout.toMillis() / 2;
        if (config.headOfLineTimeout != null) tick = Math.min(tick, config.headOfLineTimeout.toMillis() / 2);
        tick = Math.max(tick, 10);
        while (!closed) {
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (OriginPool pool : pools.values()) {
                pool.evictIdle(now);
                pool.relieve(now);
            }
        }
    }

    /** Settings of a {@link DugongClient}. */
    public static final class Builder {
        private int maxConnectionsPerOrigin = 4;
        private int pipelineDepth = PipelineOptions.DEFAULT_DEPTH;
        private int retries = PipelineOptions.DEFAULT_RETRIES;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration headTimeout = DEFAULT_HEAD_TIMEOUT;
        private Duration requestTimeout;
        private Duration idleTimeout = Duration.ofSeconds(60);
        private SSLContext sslContext;
        private InetSocketAddress proxy;
        private java.net.InetAddress localAddress;
        private Headers defaultHeaders = Headers.empty();
        private String userAgent = "dugong-java/0.1";
        private int maxRedirects;
        private boolean decompress;
        private int initialPipelineDepth = DEFAULT_INITIAL_PIPELINE_DEPTH;
        private int maxUnansweredCloses = DEFAULT_MAX_UNANSWERED_CLOSES;
        private Duration pipeliningExpiry = DEFAULT_PIPELINING_EXPIRY;
        private Duration headOfLineTimeout = DEFAULT_HEAD_OF_LINE_TIMEOUT;
        private long headOfLineBodySize = DEFAULT_HEAD_OF_LINE_BODY_SIZE;

        private Builder() {
        }

        /**
         * Most connections (pipelines) per origin; default 4.
         *
         * @param n the number
         * @return this builder
         */
        public Builder maxConnectionsPerOrigin(int n) {
            if (n < 1) throw new IllegalArgumentException("maxConnectionsPerOrigin must be at least 1, got " + n);
            this.maxConnectionsPerOrigin = n;
            return this;
        }

        /**
         * Most requests in flight per connection; default 32.
         *
         * @param depth most requests in flight per connection, at least 1
         * @return this builder
         */
        public Builder pipelineDepth(int depth) {
            if (depth < 1) throw new IllegalArgumentException("pipelineDepth must be at least 1, got " + depth);
            this.pipelineDepth = depth;
            return this;
        }

        /**
         * The depth a new origin starts at (at most {@link #pipelineDepth}); default 2. It doubles after as
         * many correct responses in a row as the depth, up to {@link #pipelineDepth}.
         *
         * @param depth at least 1
         * @return this builder
         */
        public Builder initialPipelineDepth(int depth) {
            if (depth < 1) throw new IllegalArgumentException("initialPipelineDepth must be at least 1, got " + depth);
            this.initialPipelineDepth = depth;
            return this;
        }

        /**
         * How many connections an origin may close, without announcing it, with pipelined requests
         * unanswered before it is no longer pipelined; default 2 (the third such close is the end).
         * Each one halves the depth already.
         *
         * @param n at least 0
         * @return this builder
         */
        public Builder maxUnansweredCloses(int n) {
            if (n < 0) throw new IllegalArgumentException("maxUnansweredCloses must be >= 0, got " + n);
            this.maxUnansweredCloses = n;
            return this;
        }

        /**
         * How long an origin that fell back to keep-alive stays there before it is learnt afresh (and
         * how long a count of unanswered closes is kept); default 10 minutes.
         *
         * @param d a positive duration
         * @return this builder
         */
        public Builder pipeliningExpiry(Duration d) {
            this.pipeliningExpiry = Durations.positive(d, "pipeliningExpiry");
            return this;
        }

        /**
         * A response at the head of a connection that shows no byte for this long holds the requests
         * behind it: new requests for its origin go to another connection, and those queued there but
         * not yet written move; default 1 s; null turns head-of-line relief off.
         *
         * @param d a positive duration, or null
         * @return this builder
         */
        public Builder headOfLineTimeout(Duration d) {
            this.headOfLineTimeout = Durations.positiveOrNull(d, "headOfLineTimeout");
            return this;
        }

        /**
         * A response body at the head of a connection still streaming after this many bytes holds the
         * requests behind it, as in {@link #headOfLineTimeout}; default 1 MiB.
         *
         * @param bytes at least 1
         * @return this builder
         */
        public Builder headOfLineBodySize(long bytes) {
            if (bytes < 1) throw new IllegalArgumentException("headOfLineBodySize must be at least 1, got " + bytes);
            this.headOfLineBodySize = bytes;
            return this;
        }

        /**
         * Replays of an unanswered idempotent request; default 3.
         *
         * @param n the number
         * @return this builder
         */
        public Builder retries(int n) {
            if (n < 0) throw new IllegalArgumentException("retries must be >= 0, got " + n);
            this.retries = n;
            return this;
        }

        /**
         * Limit for opening a connection (DNS, TCP, proxy tunnel, TLS); default 10 s; null for none.
         *
         * @param d a positive duration, or null
         * @return this builder
         */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = Durations.positiveOrNull(d, "connectTimeout");
            return this;
        }

        /**
         * Inactivity timeout per blocking read or write on a connection; default 30 s; null for none.
         *
         * @param d a positive duration, or null
         * @return this builder
         */
        public Builder timeout(Duration d) {
            this.timeout = Durations.positiveOrNull(d, "timeout");
            return this;
        }

        /**
         * Limit from a request completely sent to its response head complete (see
         * {@link HttpConnection.Builder#headTimeout}); default 60 s; null for none. A server that
         * trickles a head cannot hold a request longer; the connection is then closed.
         *
         * @param d a positive duration, or null
         * @return this builder
         */
        public Builder headTimeout(Duration d) {
            this.headTimeout = Durations.positiveOrNull(d, "headTimeout");
            return this;
        }

        /**
         * Limit for a whole request, from the call of {@code send}/{@code sendAsync} — waiting for room
         * in a queue included — to its response (body read, redirects followed); default none. When it
         * passes, the request fails with {@link ConnectionTimedOutException}, and if it had been sent,
         * its connection is closed: the other requests on it are replayed (idempotent) or failed by
         * the usual rules.
         *
         * @param d a positive duration, or null
         * @return this builder
         */
        public Builder requestTimeout(Duration d) {
            this.requestTimeout = Durations.positiveOrNull(d, "requestTimeout");
            return this;
        }

        /**
         * Connections with nothing to do for this long are closed; default 60 s.
         *
         * @param d the duration
         * @return this builder
         */
        public Builder idleTimeout(Duration d) {
            this.idleTimeout = Durations.positive(d, "idleTimeout");
            return this;
        }

        /**
         * The TLS context for https origins; default the JDK's. Hostname verification stays on.
         *
         * @param context the TLS context
         * @return this builder
         */
        public Builder tls(SSLContext context) {
            this.sslContext = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * An HTTP proxy for every origin.
         *
         * @param address the proxy's address
         * @return this builder
         */
        public Builder proxy(InetSocketAddress address) {
            this.proxy = address;
            return this;
        }

        /**
         * The local address connections are made from.
         *
         * @param address a local address of this machine, or null (the default: the system chooses)
         * @return this builder
         */
        public Builder localAddress(java.net.InetAddress address) {
            this.localAddress = address;
            return this;
        }

        /**
         * Headers added to every request that does not set them itself.
         *
         * @param headers the header fields
         * @return this builder
         */
        public Builder defaultHeaders(Headers headers) {
            this.defaultHeaders = Objects.requireNonNull(headers, "headers");
            return this;
        }

        /**
         * The User-Agent sent unless a request sets one; null sends none. Default {@code dugong-java/0.1}.
         *
         * @param ua the User-Agent value, or null for none
         * @return this builder
         */
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
         * @return this builder
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
         * @return this builder
         */
        public Builder decompress(boolean on) {
            this.decompress = on;
            return this;
        }

        /**
         * The client.
         *
         * @return the client
         */
        public DugongClient build() {
            return new DugongClient(this);
        }

        PipelineOptions pipelineOptions() {
            return PipelineOptions.defaults().depth(pipelineDepth).retries(retries).headTimeout(headTimeout);
        }
    }
}
