package io.dugong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Name resolution failures told apart ({@link HostnameNotResolvableException}: the name does not exist,
 * vs {@link DnsUnavailableException}: DNS itself is down, judged by resolving the test host names), and
 * {@link NetworkErrors#isTemporary(Throwable)}: which failures are worth retrying.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DnsAndNetworkErrorsTest {

    private static final String UNKNOWN = "no-such-host.invalid";

    @Test
    void unknownNameWhileATestHostResolvesIsHostnameNotResolvable() {
        try (HttpConnection conn = HttpConnection.builder(UNKNOWN).dnsTestHosts(List.of("localhost")).build()) {
            HostnameNotResolvableException e = assertThrows(HostnameNotResolvableException.class, conn::connect);
            assertEquals(UNKNOWN, e.hostname());
            assertFalse(NetworkErrors.isTemporary(e), "a name that does not exist will not start to exist by retrying");
        }
    }

    @Test
    void unknownNameWhileNoTestHostResolvesIsDnsUnavailable() {
        try (HttpConnection conn = HttpConnection.builder(UNKNOWN).dnsTestHosts(List.of("also-missing.invalid")).build()) {
            DnsUnavailableException e = assertThrows(DnsUnavailableException.class, conn::connect);
            assertEquals(UNKNOWN, e.hostname());
            assertTrue(NetworkErrors.isTemporary(e), "DNS being down may pass");
        }
    }

    @Test
    void oneResolvingTestHostAmongFailingOnesIsEnoughToBlameTheName() {
        try (HttpConnection conn = HttpConnection.builder(UNKNOWN)
                .dnsTestHosts(List.of("also-missing.invalid", "localhost", "third-missing.invalid")).build()) {
            assertThrows(HostnameNotResolvableException.class, conn::connect);
        }
    }

    @Test
    void dnsFailuresAreClassifiedWithinAConnectTimeoutToo() {
        try (HttpConnection conn = HttpConnection.builder(UNKNOWN).dnsTestHosts(List.of("localhost"))
                .connectTimeout(java.time.Duration.ofSeconds(20)).build()) {
            assertThrows(HostnameNotResolvableException.class, conn::connect);
        }
    }

    @Test
    void anUnknownProxyHostIsClassifiedLikeAnOriginHost() {
        try (HttpConnection conn = HttpConnection.builder("origin.example")
                .proxy(InetSocketAddress.createUnresolved(UNKNOWN, 3128)).dnsTestHosts(List.of("localhost")).build()) {
            HostnameNotResolvableException e = assertThrows(HostnameNotResolvableException.class, conn::connect);
            assertEquals(UNKNOWN, e.hostname());
        }
    }

    @Test
    void refusedConnectionIsATemporaryConnectException() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (HttpConnection conn = HttpConnection.open("127.0.0.1", closedPort)) {
            ConnectException e = assertThrows(ConnectException.class, conn::connect);
            assertTrue(NetworkErrors.isTemporary(e));
        }
    }

    // ------------------------------------------------------------------------------------------
    // NetworkErrors.isTemporary

    private static Arguments row(boolean temporary, String what, Supplier<Throwable> error) {
        return Arguments.of(temporary, what, error);
    }

    private static <T extends Throwable> T causedBy(T error, Throwable cause) {
        error.initCause(cause);
        return error;
    }

    static Stream<Arguments> classification() {
        return Stream.of(
                // temporary: the network may behave differently next time
                row(true, "our read timeout", () -> new ConnectionTimedOutException("no data within PT1S")),
                row(true, "the JDK's socket timeout", () -> new SocketTimeoutException("Read timed out")),
                row(true, "a connect timeout", () -> new SocketTimeoutException("Connect timed out")),
                row(true, "a closed connection", () -> new ConnectionClosedException("server closed")),
                row(true, "a reset", () -> new SocketException("Connection reset")),
                row(true, "a reset by peer", () -> new SocketException("Connection reset by peer")),
                row(true, "a broken pipe", () -> new SocketException("Broken pipe")),
                row(true, "a refused connect", () -> new ConnectException("Connection refused")),
                row(true, "no route to host", () -> new NoRouteToHostException("No route to host")),
                row(true, "DNS unavailable", () -> new DnsUnavailableException("example.org")),
                row(true, "a proxy's 502 to CONNECT", () -> new ProxyTunnelException("h:443", 502, "Bad Gateway")),
                row(true, "a proxy's 503 to CONNECT", () -> new ProxyTunnelException("h:443", 503, "Service Unavailable")),
                row(true, "a proxy's 504 to CONNECT", () -> new ProxyTunnelException("h:443", 504, "Gateway Timeout")),
                row(true, "a reset wrapped in our closed exception",
                        () -> new ConnectionClosedException("failed", new SocketException("Connection reset"))),
                row(true, "a timeout deep in a cause chain",
                        () -> new UncheckedIOException(new IOException("x", new SocketTimeoutException("Read timed out")))),
                row(true, "a reset under a TLS record layer error",
                        () -> new SSLException("readApplicationRecord", new SocketException("Connection reset"))),
                // permanent: retrying gets the same answer
                row(false, "an unknown host name", () -> new HostnameNotResolvableException("no-such-host.invalid")),
                row(false, "an unknown host name under an I/O exception",
                        () -> new IOException("x", new HostnameNotResolvableException("no-such-host.invalid"))),
                row(false, "an untrusted certificate", () -> causedBy(
                        new SSLHandshakeException("PKIX path building failed"), new CertificateException("unable to find valid certification path"))),
                row(false, "a certificate for another name", () -> causedBy(
                        new SSLHandshakeException("No subject alternative DNS name matching localhost found."),
                        new CertificateException("No subject alternative DNS name matching localhost found."))),
                row(false, "an unverified peer", () -> new SSLPeerUnverifiedException("peer not authenticated")),
                row(false, "a TLS protocol error", () -> new SSLException("Unsupported or unrecognized SSL message")),
                row(false, "an invalid response", () -> new InvalidResponseException("bad status line")),
                row(false, "an unsupported response", () -> new UnsupportedResponseException("HTTP/2.0")),
                row(false, "a state error", () -> new StateException("readResponse: no request is in flight")),
                row(false, "a proxy's 407 to CONNECT", () -> new ProxyTunnelException("h:443", 407, "Proxy Authentication Required")),
                row(false, "a proxy's 403 to CONNECT", () -> new ProxyTunnelException("h:443", 403, "Forbidden")),
                row(false, "a programming error", () -> new IllegalArgumentException("port out of range")),
                row(false, "an unexplained I/O error", () -> new IOException("disk full")),
                row(false, "a local socket close", () -> new SocketException("Socket closed")),
                row(false, "null", () -> null),
                row(false, "a cause cycle without a network error", () -> {
                    IOException a = new IOException("a");
                    IOException b = new IOException("b", a);
                    a.initCause(b);
                    return a;
                }));
    }

    @ParameterizedTest(name = "{1}: temporary={0}")
    @MethodSource("classification")
    void isTemporaryClassifies(boolean temporary, String what, Supplier<Throwable> error) {
        assertEquals(temporary, NetworkErrors.isTemporary(error.get()), what);
    }
}
