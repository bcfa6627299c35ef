package io.dugong.jdk;

import io.dugong.DugongClient;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A {@link java.net.http.HttpClient} backed by {@link DugongClient}: code written for the JDK's client
 * switches with one line, and its requests to one origin share a few pipelined HTTP/1.1 connections.
 *
 * <pre>{@code
 * HttpClient client = DugongHttpClient.newHttpClient();        // was: HttpClient.newHttpClient()
 * HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString());
 *
 * HttpClient tuned = DugongHttpClient.newBuilder()
 *         .followRedirects(HttpClient.Redirect.NORMAL)
 *         .connectTimeout(Duration.ofSeconds(5))
 *         .maxConnectionsPerOrigin(8).pipelineDepth(64)       // dugong's own options
 *         .build();
 * }</pre>
 *
 * <p>What is the same as the JDK's client: every builder option (redirect policies with the JDK's
 * rules and limit, {@code ProxySelector}, {@code SSLContext}/{@code SSLParameters}, Basic
 * authentication for servers and plain-HTTP proxies, {@code CookieHandler}, {@code executor}), every
 * standard body publisher and handler driven through {@code Flow} with back-pressure, request
 * timeouts ({@link java.net.http.HttpTimeoutException}), connect timeouts
 * ({@link java.net.http.HttpConnectTimeoutException}), restricted headers, {@code expectContinue}, and
 * the JDK 21 lifecycle ({@link #close()}, {@link #shutdown()}, {@link #shutdownNow()},
 * {@link #awaitTermination}). Failures are the JDK's {@code IOException} types with dugong's exception
 * as the cause.
 *
 * <p>What differs: only HTTP/1.1 is spoken ({@code HTTP_2} requests are sent as HTTP/1.1 and
 * {@link HttpResponse#version()} says so, as the JDK's client says with a server without h2); requests
 * are pipelined, so a response whose body is read slowly (a slow subscriber, an unread
 * {@code ofInputStream}) delays the responses behind it on that connection; a body the application
 * stops reading is read to its end and dropped so the connection can go on; WebSocket is not
 * supported. The {@code User-Agent} is dugong's unless the request sets one.
 *
 * <p>Threads: responses are read on the connections' own virtual threads, which also run the
 * subscriber's {@code onNext}/{@code onComplete} (as the JDK runs them on its own threads): a
 * subscriber must not wait there for another response of the same client; the futures of
 * {@code sendAsync} complete on the {@link HttpClient.Builder#executor executor} (by default a new
 * virtual thread per completion), so dependent stages never run on a connection's thread.
 */
public final class DugongHttpClient extends HttpClient {
    private final Settings settings;
    private final Connections connections;
    private final BasicAuth basicAuth;
    private final Executor executor;
    private final Lifecycle lifecycle;

    /**
     * {@link HttpClient.Builder} with dugong's own options. Every {@code HttpClient.Builder} method is
     * accepted; {@code priority} is ignored (HTTP/1.1 has none).
     */
    public interface Builder extends HttpClient.Builder {
        /**
         * Most connections per origin; default 4.
         *
         * @param n at least 1
         * @return this builder
         */
        Builder maxConnectionsPerOrigin(int n);

        /**
         * Most requests in flight per connection; default 32.
         *
         * @param depth at least 1
         * @return this builder
         */
        Builder pipelineDepth(int depth);

        @Override
        Builder cookieHandler(CookieHandler cookieHandler);

        @Override
        Builder connectTimeout(Duration duration);

        @Override
        Builder sslContext(SSLContext sslContext);

        @Override
        Builder sslParameters(SSLParameters sslParameters);

        @Override
        Builder executor(Executor executor);

        @Override
        Builder followRedirects(Redirect policy);

        @Override
        Builder version(Version version);

        @Override
        Builder priority(int priority);

        @Override
        Builder proxy(ProxySelector proxySelector);

        @Override
        Builder authenticator(Authenticator authenticator);

        @Override
        Builder localAddress(InetAddress localAddr);

        @Override
        DugongHttpClient build();
    }

    DugongHttpClient(Settings settings) {
        this.settings = settings;
        this.connections = new Connections(settings);
        this.basicAuth = settings.authenticator() == null ? null : new BasicAuth(settings.authenticator());
        this.executor = settings.executor() != null ? settings.executor()
                : task -> Thread.ofVirtual().name("dugong-jdk-completion").start(task);
        this.lifecycle = new Lifecycle(connections::close);
    }

    /**
     * A client with the defaults (as {@link HttpClient#newHttpClient()}, but HTTP/1.1 and pipelined).
     *
     * @return the client
     */
    public static DugongHttpClient newHttpClient() {
        return newBuilder().build();
    }

    /**
     * A builder for a client; see {@link Builder}.
     *
     * @return the builder
     */
    public static Builder newBuilder() {
        return new ClientBuilder();
    }

    /** The builder's cookie handler, if any. */
    @Override
    public Optional<CookieHandler> cookieHandler() {
        return Optional.ofNullable(settings.cookieHandler());
    }

    /** The builder's connect timeout; empty means none (the operating system's). */
    @Override
    public Optional<Duration> connectTimeout() {
        return Optional.ofNullable(settings.connectTimeout());
    }

    /** The redirect policy; default {@code NEVER}, as in the JDK. */
    @Override
    public Redirect followRedirects() {
        return settings.redirect();
    }

    /** The builder's proxy selector, if any. */
    @Override
    public Optional<ProxySelector> proxy() {
        return Optional.ofNullable(settings.proxySelector());
    }

    /** The builder's TLS context, or the JDK's default one. */
    @Override
    public SSLContext sslContext() {
        return connections.sslContext();
    }

    /** A copy of the builder's TLS parameters, or of the context's defaults. */
    @Override
    public SSLParameters sslParameters() {
        return ClientBuilder.copy(settings.sslParameters() != null ? settings.sslParameters()
                : connections.sslContext().getDefaultSSLParameters());
    }

    /** The builder's authenticator, if any (without one, 401 and 407 reach the application). */
    @Override
    public Optional<Authenticator> authenticator() {
        return Optional.ofNullable(settings.authenticator());
    }

    /** The version the builder asked for (default HTTP/1.1); requests are sent as HTTP/1.1 whatever it is. */
    @Override
    public Version version() {
        return settings.version();
    }

    /** The executor given to the builder, or empty for the default (a virtual thread per completion). */
    @Override
    public Optional<Executor> executor() {
        return Optional.ofNullable(settings.executor());
    }

    /**
     * Sends {@code request} and waits for the response (for streaming handlers such as
     * {@code ofInputStream}: until the body can be read). An interrupt abandons this request only.
     */
    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> responseBodyHandler)
            throws IOException, InterruptedException {
        Exchange<T> exchange = start(request, responseBodyHandler);
        try {
            return exchange.result().get();
        } catch (InterruptedException e) {
            exchange.abort(new IOException("interrupted while waiting for the response"));
            throw e;
        } catch (ExecutionException e) {
            // As the JDK's send: argument errors stay unchecked, everything else (a body handler's own
            // failure included) is an IOException.
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) throw io;
            if (cause instanceof IllegalArgumentException || cause instanceof SecurityException) throw (RuntimeException) cause;
            if (cause instanceof Error err) throw err;
            throw new IOException(cause.getMessage(), cause);
        }
    }

    /** Sends {@code request}; the future completes on the executor. Cancelling it abandons the request. */
    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                                                            HttpResponse.BodyHandler<T> responseBodyHandler) {
        Exchange<T> exchange;
        try {
            exchange = start(request, responseBodyHandler);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<HttpResponse<T>> user = new CompletableFuture<>();
        exchange.result().whenComplete((response, error) -> {
            Runnable complete = () -> {
                if (error != null) user.completeExceptionally(error);
                else user.complete(response);
            };
            try {
                executor.execute(complete);
            } catch (RejectedExecutionException rejected) {
                complete.run();
            }
        });
        user.whenComplete((r, e) -> {
            if (user.isCancelled()) exchange.abort(new IOException("the future was cancelled"));
        });
        return user;
    }

    /** As {@link #sendAsync(HttpRequest, HttpResponse.BodyHandler)}: HTTP/1.1 has no server push. */
    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                                                            HttpResponse.BodyHandler<T> responseBodyHandler,
                                                            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        return sendAsync(request, responseBodyHandler);
    }

    /**
     * Not supported: dugong has no WebSocket.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public WebSocket.Builder newWebSocketBuilder() {
        throw new UnsupportedOperationException("DugongHttpClient does not support WebSocket");
    }

    /** No new requests; those in progress finish, then the connections close. */
    @Override
    public void shutdown() {
        lifecycle.shutdown();
    }

    /** No new requests; those in progress fail with an {@link IOException}; the connections close. */
    @Override
    public void shutdownNow() {
        lifecycle.shutdownNow();
    }

    /** Waits until terminated or {@code duration} passed; true if terminated. */
    @Override
    public boolean awaitTermination(Duration duration) throws InterruptedException {
        return lifecycle.awaitTermination(duration);
    }

    /** True once shut down with nothing in progress (connections closed). */
    @Override
    public boolean isTerminated() {
        return lifecycle.isTerminated();
    }

    /** {@link #shutdown()} and wait for termination; interrupted, it escalates to {@link #shutdownNow()}. */
    @Override
    public void close() {
        lifecycle.close();
    }

    /** The dugong settings, for logs. */
    @Override
    public String toString() {
        return "DugongHttpClient(" + settings.maxConnectionsPerOrigin() + " connections per origin, depth "
                + settings.pipelineDepth() + ")";
    }

    Settings settings() {
        return settings;
    }

    Connections connections() {
        return connections;
    }

    /** Null without an authenticator (the JDK then leaves 401 and 407 to the application). */
    BasicAuth basicAuth() {
        return basicAuth;
    }

    private <T> Exchange<T> start(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        java.util.Objects.requireNonNull(request, "request");
        java.util.Objects.requireNonNull(handler, "handler");
        Requests.check(request);
        Exchange<T> exchange = new Exchange<>(this, request, handler);
        lifecycle.begin(exchange);
        try {
            return exchange.start();
        } catch (RuntimeException e) {
            exchange.abort(e);
            throw e;
        }
    }
}
