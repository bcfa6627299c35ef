package io.dugong.jdk;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Optional;

/**
 * A request the adapter made itself to follow a redirect, as the application sees it in
 * {@link java.net.http.HttpResponse#request()}: the new URI and method, the user headers still
 * allowed, and the original's timeout, version and 100-continue choice.
 */
final class HopRequest extends HttpRequest {
    private final URI uri;
    private final String method;
    private final HttpHeaders headers;
    private final BodyPublisher publisher;
    private final HttpRequest original;

    HopRequest(URI uri, String method, HttpHeaders headers, BodyPublisher publisher, HttpRequest original) {
        this.uri = uri;
        this.method = method;
        this.headers = headers;
        this.publisher = publisher;
        this.original = original;
    }

    @Override
    public Optional<BodyPublisher> bodyPublisher() {
        return Optional.ofNullable(publisher);
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public Optional<Duration> timeout() {
        return original.timeout();
    }

    @Override
    public boolean expectContinue() {
        return original.expectContinue();
    }

    @Override
    public URI uri() {
        return uri;
    }

    @Override
    public Optional<HttpClient.Version> version() {
        return original.version();
    }

    @Override
    public HttpHeaders headers() {
        return headers;
    }

    @Override
    public String toString() {
        return uri + " " + method;
    }
}
