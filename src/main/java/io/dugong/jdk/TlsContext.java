package io.dugong.jdk;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The user's {@link SSLContext} as the adapter hands it to dugong: its sockets get the client's
 * {@code sslParameters} (dugong then turns hostname verification and SNI on, as the JDK client does),
 * and the newest socket per origin is remembered so a response can report its {@link SSLSession}.
 * Dugong's responses do not carry their connection, so with several connections to one origin the
 * session reported is that of the newest one: the same peer, protocol and cipher suite in practice.
 */
final class TlsContext extends SSLContext {
    private final Spi spi;

    private TlsContext(Spi spi, SSLContext delegate) {
        super(spi, delegate.getProvider(), delegate.getProtocol());
        this.spi = spi;
    }

    /** Wraps {@code delegate}; {@code parameters} may be null (the context's defaults). */
    static TlsContext wrap(SSLContext delegate, SSLParameters parameters) {
        return new TlsContext(new Spi(delegate, parameters), delegate);
    }

    /** The session of the newest connection to {@code host:port}, or null if there is none. */
    SSLSession session(String host, int port) {
        SSLSocket socket = spi.newest.get(key(host, port));
        return socket == null ? null : socket.getSession();
    }

    private static String key(String host, int port) {
        return host.toLowerCase(Locale.ROOT) + ":" + port;
    }

    /** Delegates everything, wrapping the socket factory. */
    private static final class Spi extends SSLContextSpi {
        final SSLContext delegate;
        final SSLParameters parameters;
        final Map<String, SSLSocket> newest = new ConcurrentHashMap<>();

        Spi(SSLContext delegate, SSLParameters parameters) {
            this.delegate = delegate;
            this.parameters = parameters;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            delegate.init(km, tm, sr);
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return new Factory(delegate.getSocketFactory(), this);
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return delegate.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return delegate.createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return delegate.createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return delegate.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return delegate.getClientSessionContext();
        }

        Socket prepare(Socket s, String host, int port) {
            if (s instanceof SSLSocket ssl) {
                if (parameters != null) ssl.setSSLParameters(parameters);
                if (host != null) newest.put(key(host, port), ssl);
            }
            return s;
        }
    }

    /** Sockets of the delegate's factory, prepared by {@link Spi#prepare}. */
    private static final class Factory extends SSLSocketFactory {
        private final SSLSocketFactory delegate;
        private final Spi spi;

        Factory(SSLSocketFactory delegate, Spi spi) {
            this.delegate = delegate;
            this.spi = spi;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return spi.prepare(delegate.createSocket(s, host, port, autoClose), host, port);
        }

        @Override
        public Socket createSocket() throws IOException {
            return spi.prepare(delegate.createSocket(), null, 0);
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return spi.prepare(delegate.createSocket(host, port), host, port);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return spi.prepare(delegate.createSocket(host, port, localHost, localPort), host, port);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return spi.prepare(delegate.createSocket(host, port), host.getHostAddress(), port);
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return spi.prepare(delegate.createSocket(address, port, localAddress, localPort), address.getHostAddress(), port);
        }
    }
}
