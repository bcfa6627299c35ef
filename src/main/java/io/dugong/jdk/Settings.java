package io.dugong.jdk;

import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * What a {@link ClientBuilder} collected, frozen when {@link DugongHttpClient} is built. Nullable
 * components mean "not set" (the JDK's default applies).
 */
record Settings(
        Duration connectTimeout,
        HttpClient.Redirect redirect,
        ProxySelector proxySelector,
        SSLContext sslContext,
        SSLParameters sslParameters,
        Authenticator authenticator,
        CookieHandler cookieHandler,
        Executor executor,
        HttpClient.Version version,
        InetAddress localAddress,
        int maxConnectionsPerOrigin,
        int pipelineDepth) {
}
