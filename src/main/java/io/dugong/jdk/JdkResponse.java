package io.dugong.jdk;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * The {@link HttpResponse} the adapter hands out. Responses left behind by a redirect or an
 * authentication retry are kept, with a null body as in the JDK, as {@link #previousResponse()}.
 *
 * @param statusCode the status code
 * @param request    the request this answers (for a redirect chain, the last hop's)
 * @param previous   the response that led to this request, or null
 * @param headers    the response headers
 * @param body       the body the handler made, or null for a response left behind
 * @param session    the TLS session, or null over plain HTTP
 * @param <T>        the body type
 */
record JdkResponse<T>(int statusCode, HttpRequest request, HttpResponse<T> previous, HttpHeaders headers, T body,
                      SSLSession session) implements HttpResponse<T> {

    @Override
    public Optional<HttpResponse<T>> previousResponse() {
        return Optional.ofNullable(previous);
    }

    @Override
    public Optional<SSLSession> sslSession() {
        return Optional.ofNullable(session);
    }

    @Override
    public URI uri() {
        return request.uri();
    }

    /** Always HTTP/1.1: dugong speaks nothing else, and a JDK client without h2 says the same. */
    @Override
    public HttpClient.Version version() {
        return HttpClient.Version.HTTP_1_1;
    }

    /** The same response with another body (the handler's, once it is ready). */
    <U> JdkResponse<U> withBody(U newBody, HttpResponse<U> newPrevious) {
        return new JdkResponse<>(statusCode, request, newPrevious, headers, newBody, session);
    }

    @Override
    public String toString() {
        return "(" + request.method() + " " + request.uri() + ") " + statusCode;
    }
}
