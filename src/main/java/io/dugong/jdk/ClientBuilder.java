package io.dugong.jdk;

import io.dugong.PipelineOptions;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The builder behind {@link DugongHttpClient#newBuilder()}: every {@link HttpClient.Builder} option,
 * validated as the JDK's builder validates it, plus dugong's own.
 */
final class ClientBuilder implements DugongHttpClient.Builder {
    private Duration connectTimeout;
    private HttpClient.Redirect redirect = HttpClient.Redirect.NEVER;
    private ProxySelector proxySelector;
    private SSLContext sslContext;
    private SSLParameters sslParameters;
    private Authenticator authenticator;
    private CookieHandler cookieHandler;
    private Executor executor;
    private HttpClient.Version version = HttpClient.Version.HTTP_1_1;
    private InetAddress localAddress;
    private int maxConnectionsPerOrigin = 4;
    private int pipelineDepth = PipelineOptions.DEFAULT_DEPTH;

    @Override
    public ClientBuilder cookieHandler(CookieHandler handler) {
        this.cookieHandler = Objects.requireNonNull(handler, "cookieHandler");
        return this;
    }

    @Override
    public ClientBuilder connectTimeout(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("Invalid duration: " + duration);
        this.connectTimeout = duration;
        return this;
    }

    @Override
    public ClientBuilder sslContext(SSLContext context) {
        this.sslContext = Objects.requireNonNull(context, "sslContext");
        return this;
    }

    @Override
    public ClientBuilder sslParameters(SSLParameters parameters) {
        this.sslParameters = copy(Objects.requireNonNull(parameters, "sslParameters"));
        return this;
    }

    @Override
    public ClientBuilder executor(Executor e) {
        this.executor = Objects.requireNonNull(e, "executor");
        return this;
    }

    @Override
    public ClientBuilder followRedirects(HttpClient.Redirect policy) {
        this.redirect = Objects.requireNonNull(policy, "policy");
        return this;
    }

    @Override
    public ClientBuilder version(HttpClient.Version v) {
        this.version = Objects.requireNonNull(v, "version");
        return this;
    }

    /** Accepted and ignored, as HTTP/1.1 has no stream priorities. */
    @Override
    public ClientBuilder priority(int priority) {
        if (priority < 1 || priority > 256) throw new IllegalArgumentException("priority must be between 1 and 256");
        return this;
    }

    @Override
    public ClientBuilder proxy(ProxySelector selector) {
        this.proxySelector = Objects.requireNonNull(selector, "proxySelector");
        return this;
    }

    @Override
    public ClientBuilder authenticator(Authenticator a) {
        this.authenticator = Objects.requireNonNull(a, "authenticator");
        return this;
    }

    @Override
    public ClientBuilder localAddress(InetAddress address) {
        this.localAddress = address;
        return this;
    }

    @Override
    public ClientBuilder maxConnectionsPerOrigin(int n) {
        if (n < 1) throw new IllegalArgumentException("maxConnectionsPerOrigin must be at least 1, got " + n);
        this.maxConnectionsPerOrigin = n;
        return this;
    }

    @Override
    public ClientBuilder pipelineDepth(int depth) {
        if (depth < 1) throw new IllegalArgumentException("pipelineDepth must be at least 1, got " + depth);
        this.pipelineDepth = depth;
        return this;
    }

    @Override
    public DugongHttpClient build() {
        return new DugongHttpClient(new Settings(connectTimeout, redirect, proxySelector, sslContext,
                sslParameters == null ? null : copy(sslParameters), authenticator, cookieHandler, executor, version,
                localAddress, maxConnectionsPerOrigin, pipelineDepth));
    }

    /** A copy, so the caller changing their object later changes nothing here (the JDK copies too). */
    static SSLParameters copy(SSLParameters p) {
        SSLParameters c = new SSLParameters(p.getCipherSuites(), p.getProtocols());
        c.setAlgorithmConstraints(p.getAlgorithmConstraints());
        c.setApplicationProtocols(p.getApplicationProtocols());
        c.setEndpointIdentificationAlgorithm(p.getEndpointIdentificationAlgorithm());
        c.setMaximumPacketSize(p.getMaximumPacketSize());
        c.setServerNames(p.getServerNames());
        c.setSNIMatchers(p.getSNIMatchers());
        c.setUseCipherSuitesOrder(p.getUseCipherSuitesOrder());
        if (p.getNeedClientAuth()) c.setNeedClientAuth(true);
        else if (p.getWantClientAuth()) c.setWantClientAuth(true);
        return c;
    }
}
