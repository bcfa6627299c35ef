package io.dugong.jdk;

import io.dugong.BodyReader;
import io.dugong.Headers;
import io.dugong.ProxyTunnelException;
import io.dugong.Request;
import io.dugong.Response;
import io.dugong.ResponseHead;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One call of {@code send}/{@code sendAsync}: a chain of hops (the request, then each redirect or
 * authentication retry), each sent through a {@code DugongClient}, with the JDK client's filters in
 * between — cookies before every hop and after every response, Basic authentication, redirects.
 *
 * <p>A hop's {@link BodyReader} runs on the pipeline's reader thread. It decides from the status and
 * headers alone whether the response is left behind (a redirect to follow or a challenge to answer:
 * the body is discarded) or is the final one: then it applies the application's {@link BodyHandler}
 * and pumps the body into the subscriber. The exchange's {@link #result()} completes as soon as the
 * subscriber's {@code getBody()} does — for {@code ofInputStream} or {@code ofPublisher} that is
 * before the body is read, which goes on, driven by the subscriber's demand, on the reader thread.
 *
 * <p>The next hop is prepared on a new virtual thread: the {@code Authenticator} is user code, and
 * submitting may block while a pipeline is full.
 *
 * @param <T> the body type
 */
final class Exchange<T> {
    private final DugongHttpClient client;
    private final HttpRequest original;
    private final BodyHandler<T> handler;
    private final CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
    /** Completes when nothing of this exchange runs any more: the result is in and the last hop settled. */
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final BasicAuth.State auth = new BasicAuth.State();
    private int redirects;
    private volatile Hop current;
    /**
     * The HTTP proxy of every hop, or null: as in the JDK, the selector is asked once per exchange,
     * for the original URI, and redirects and authentication retries go the same way.
     */
    private final InetSocketAddress proxy;

    /** What the reader decided about a response. */
    private enum Kind { FINAL, REDIRECT, CHALLENGE, STALE }

    private record Outcome(Kind kind, URI redirectTo, HttpHeaders headers) {
    }

    /** One request on the wire and what is known about its response. */
    private final class Hop {
        final HttpRequest request;
        final JdkResponse<T> previous;
        final InetSocketAddress proxy;
        /** 0 waiting for the head, 1 head seen, 2 timed out. */
        final AtomicInteger head = new AtomicInteger();
        volatile CompletableFuture<Response<Outcome>> future;
        volatile SubscriberPump pump;

        Hop(HttpRequest request, JdkResponse<T> previous, InetSocketAddress proxy) {
            this.request = request;
            this.previous = previous;
            this.proxy = proxy;
        }
    }

    Exchange(DugongHttpClient client, HttpRequest original, BodyHandler<T> handler) {
        this.client = client;
        this.original = original;
        this.handler = handler;
        this.proxy = client.connections().proxyFor(original.uri());
        result.whenComplete((r, e) -> settleWhenHopDone());
    }

    /** The response, or the failure in the JDK's terms. */
    CompletableFuture<HttpResponse<T>> result() {
        return result;
    }

    /** Completes when nothing of this exchange runs any more (for the client's lifecycle). */
    CompletableFuture<Void> finished() {
        return finished;
    }

    /**
     * Sends the first hop. Argument errors (an invalid header value, a URI dugong cannot send) are
     * thrown here, as the JDK throws them from {@code send}.
     */
    Exchange<T> start() {
        send(original, null, null);
        return this;
    }

    /** Gives up: the result fails with {@code cause} and the hop in flight is abandoned. */
    void abort(Throwable cause) {
        fail(cause);
    }

    private void send(HttpRequest request, JdkResponse<T> previous, BasicAuth.Credentials retryWith) {
        URI uri = request.uri();
        Headers.Builder headers = Headers.builder();
        HeaderMapping.addAll(request.headers(), headers);
        try {
            if (client.settings().cookieHandler() != null) {
                Cookies.addTo(client.settings().cookieHandler(), uri, request.headers(), headers);
            }
        } catch (IOException e) {
            fail(e);
            return;
        }
        BasicAuth basic = client.basicAuth();
        if (basic != null) {
            for (BasicAuth.Credentials c : basic.cached(auth, uri, proxy)) headers.set(c.header(), c.value());
        }
        if (retryWith != null) headers.set(retryWith.header(), retryWith.value());
        Request sent = new Request(request.method(), uri, headers.build(),
                PublisherBody.of(request.bodyPublisher().orElse(null)), request.expectContinue());
        Hop hop = new Hop(request, previous, proxy);
        current = hop;
        request.timeout().ifPresent(t -> CompletableFuture.delayedExecutor(t.toNanos(), TimeUnit.NANOSECONDS, Runnable::run)
                .execute(() -> {
                    if (hop.head.compareAndSet(0, 2)) fail(new HttpTimeoutException("request timed out"));
                }));
        CompletableFuture<Response<Outcome>> future;
        try {
            future = client.connections().via(proxy).sendAsync(sent, (h, body) -> read(hop, h, body));
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e); // a closed client, say: reported like any failure
        }
        hop.future = future;
        // Abandoned while being sent (a timeout, a cancel): drop the hop. A successful result may
        // already be in too: a streaming handler's response comes before sendAsync even returns.
        if (result.isCompletedExceptionally()) future.cancel(false);
        future.whenComplete((r, e) -> hopDone(hop, r, e));
    }

    /** The hop's body reader, on the pipeline's reader thread. */
    private Outcome read(Hop hop, ResponseHead head, InputStream body) throws IOException {
        if (hop.pump != null || result.isDone() || hop.head.get() == 2) {
            return new Outcome(Kind.STALE, null, null); // replayed after the body began, or given up on
        }
        hop.head.set(1);
        HttpHeaders headers = HeaderMapping.toJdk(head.headers());
        URI uri = hop.request.uri();
        Settings s = client.settings();
        if (s.cookieHandler() != null) Cookies.store(s.cookieHandler(), uri, headers);
        URI next = Redirects.target(s.redirect(), head.status(), headers, uri, redirects);
        if (next != null) return new Outcome(Kind.REDIRECT, next, headers);
        BasicAuth basic = client.basicAuth();
        if (basic != null && basic.isChallenge(auth, head.status(), headers, hop.request.headers(), uri, hop.proxy)) {
            return new Outcome(Kind.CHALLENGE, null, headers);
        }
        JdkResponse<T> response = new JdkResponse<>(head.status(), hop.request, hop.previous, headers, null,
                client.connections().session(uri));
        BodySubscriber<T> subscriber = handler.apply(new Info(head.status(), headers));
        SubscriberPump pump = new SubscriberPump(subscriber);
        hop.pump = pump;
        if (result.isCompletedExceptionally()) pump.abort(new IOException("the exchange was abandoned"));
        try {
            // getBody() is asked for on another thread unless the subscriber is known not to need it:
            // its stages (a mapping function collecting an ofLines stream, say) may block until the
            // body is read, which happens on this one.
            Runnable deliver = () -> deliverWhenReady(subscriber, response);
            pump.run(body, head.length().orElse(-1), runsNoUserCode(subscriber) ? deliver : () -> Thread.ofVirtual().name("dugong-jdk-body").start(deliver));
        } catch (IOException | RuntimeException e) {
            fail(e); // before the pipeline sees it: a half-delivered body must not be replayed
            throw e;
        }
        return new Outcome(Kind.FINAL, null, headers);
    }

    /** The JDK's own subscribers whose {@code getBody()} stages never run application code. */
    private static final java.util.Set<String> SELF_CONTAINED = java.util.Set.of(
            "jdk.internal.net.http.ResponseSubscribers$ByteArraySubscriber",   // ofByteArray, ofString
            "jdk.internal.net.http.ResponseSubscribers$PathSubscriber",        // ofFile
            "jdk.internal.net.http.ResponseSubscribers$NullSubscriber");       // discarding, replacing

    /**
     * Whether {@code getBody()} may be asked for on the reader thread: true for the common JDK
     * subscribers, which saves a thread per response; any other may have a mapping function that
     * blocks until the body is read.
     */
    private static boolean runsNoUserCode(BodySubscriber<?> subscriber) {
        return SELF_CONTAINED.contains(subscriber.getClass().getName());
    }

    /** Completes the result with the response once the subscriber's body is ready. */
    private void deliverWhenReady(BodySubscriber<T> subscriber, JdkResponse<T> response) {
        try {
            subscriber.getBody().whenComplete((value, error) -> {
                if (error != null) fail(error);
                else result.complete(new JdkResponse<>(response.statusCode(), response.request(), response.previous(),
                        response.headers(), value, response.session()));
            });
        } catch (RuntimeException | Error e) {
            fail(e);
        }
    }

    private void hopDone(Hop hop, Response<Outcome> response, Throwable error) {
        ProxyTunnelException refused = error == null ? null : tunnelRefusal(error);
        if (refused != null) {
            // As the JDK: a proxy refusing the tunnel is an answer, not a failure; the body is null.
            result.complete(new JdkResponse<>(refused.status(), hop.request, hop.previous,
                    HeaderMapping.toJdk(refused.headers()), null, null));
        } else if (error != null) {
            fail(error);
        } else if (!result.isDone()) {
            Outcome o = response.body();
            if (o.kind() == Kind.REDIRECT || o.kind() == Kind.CHALLENGE) {
                JdkResponse<T> left = new JdkResponse<>(response.status(), hop.request, hop.previous, o.headers(), null,
                        client.connections().session(hop.request.uri()));
                Thread.ofVirtual().name("dugong-jdk-exchange").start(() -> next(hop, left, o));
            }
        }
        settleWhenHopDone();
    }

    private static ProxyTunnelException tunnelRefusal(Throwable error) {
        for (Throwable c = error; c != null; c = c.getCause()) {
            if (c instanceof ProxyTunnelException p) return p;
        }
        return null;
    }

    /** Sends the hop after a redirect or a challenge. */
    private void next(Hop hop, JdkResponse<T> left, Outcome o) {
        try {
            if (o.kind() == Kind.REDIRECT) {
                redirects++;
                send(Redirects.follow(hop.request, original, left.statusCode(), o.redirectTo()), left, null);
            } else {
                BasicAuth.Credentials c = client.basicAuth().retry(auth, left.statusCode(), o.headers(), hop.request.uri(), hop.proxy);
                send(hop.request, left, c);
            }
        } catch (IOException | RuntimeException | Error e) {
            fail(e);
        }
    }

    /**
     * Fails the result if it is not complete yet, and in any case stops the body (a streaming handler
     * got its response before the body was read: a failure or {@code shutdownNow} afterwards still has
     * to reach its subscriber) and abandons the hop, so the pipeline does not replay a request whose
     * body was half delivered.
     */
    private void fail(Throwable failure) {
        Hop hop = current;
        Throwable jdk = Failures.toJdk(failure, hop != null && hop.head.get() == 0);
        result.completeExceptionally(jdk);
        if (hop != null) {
            SubscriberPump pump = hop.pump;
            if (pump != null) pump.abort(jdk);
            CompletableFuture<?> f = hop.future;
            if (f != null) f.cancel(false); // abandoned: its response, if any, is read and dropped
        }
    }

    /**
     * Marks the exchange finished once the result is in and the current hop settled. Called when
     * either happens; a hop whose future is not assigned yet settles later through {@link #hopDone}.
     */
    private void settleWhenHopDone() {
        if (!result.isDone()) return;
        Hop hop = current;
        CompletableFuture<?> f = hop == null ? null : hop.future;
        if (hop == null || (f != null && f.isDone())) finished.complete(null);
    }

    /** The JDK's {@code ResponseInfo}. */
    private record Info(int statusCode, HttpHeaders headers) implements HttpResponse.ResponseInfo {
        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }
}
