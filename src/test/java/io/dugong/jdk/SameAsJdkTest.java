package io.dugong.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.Tunnels;
import io.dugong.testing.TestCertificates;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every scenario of {@link SameAsJdkScenarios}, run against the JDK's own client and against
 * {@link DugongHttpClient} on the raw-socket {@link TestSite}: the application must observe the same
 * (status, headers, body, redirect chain, exception type, what the server received), and the JDK's
 * client must show what the scenario names.
 */
class SameAsJdkTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.dugong.jdk.SameAsJdkScenarios#all")
    @Timeout(120)
    void dugongObservesWhatTheJdkClientObserves(Scenario scenario) throws Exception {
        List<String> jdk = run(scenario, Impl.JDK);
        scenario.expect().accept(jdk);
        List<String> dugong = run(scenario, Impl.DUGONG);
        assertEquals(String.join("\n", jdk), String.join("\n", dugong), "the adapter differs from the JDK's client");
    }

    /** Runs {@code scenario} with {@code impl} against a fresh site, returning what the application saw. */
    static List<String> run(Scenario scenario, Impl impl) throws Exception {
        try {
            return runOnce(scenario, impl);
        } catch (Exception | AssertionError e) {
            throw new AssertionError(impl + " in '" + scenario.name() + "': " + e, e);
        }
    }

    private static List<String> runOnce(Scenario scenario, Impl impl) throws Exception {
        TestSite site = new TestSite();
        ScriptedServer.Builder b = ScriptedServer.builder();
        if (scenario.tls()) b.tls(TestCertificates.get().serverContext());
        List<String> tunnelLog = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger sitePort = new java.util.concurrent.atomic.AtomicInteger();
        // The proxy is declared first so that it closes last: a tunnel ends once the site has closed its side.
        try (ScriptedServer proxy = ScriptedServer.start(c -> {
                 RecordedRequest connect = c.readRequestHead();
                 if (connect == null) return;
                 tunnelLog.add(connect.method() + " " + connect.target().replaceAll(":[0-9]+$", ":<port>"));
                 if (site.refuseTunnels) {
                     c.sendResponse(407, new byte[0], "Proxy-Authenticate", "Basic realm=\"proxy\"", "Connection", "close");
                     return;
                 }
                 Tunnels.acceptTunnelTo(c, sitePort.get());
             });
             ScriptedServer server = b.start(site)) {
            sitePort.set(server.port());
            Scenario.Env env = new Scenario.Env() {
                @Override
                public URI uri(String pathAndQuery) {
                    return server.uri(pathAndQuery);
                }

                @Override
                public TestSite site() {
                    return site;
                }

                @Override
                public InetSocketAddress address() {
                    return new InetSocketAddress(server.host(), server.port());
                }

                @Override
                public InetSocketAddress tunnelProxy() {
                    return new InetSocketAddress(proxy.host(), proxy.port());
                }

                @Override
                public List<String> tunnelLog() {
                    return tunnelLog;
                }
            };
            HttpClient client = scenario.config().apply(impl.builder(), env).build();
            Facts facts = new Facts();
            try {
                scenario.action().run(client, env, facts);
            } finally {
                site.release.countDown();
                client.shutdownNow();
                client.awaitTermination(Duration.ofSeconds(10));
            }
            return facts.lines();
        }
    }
}
