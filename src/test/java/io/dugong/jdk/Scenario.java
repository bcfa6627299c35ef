package io.dugong.jdk;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.function.Consumer;

/**
 * One behaviour, observed the same way on both clients.
 *
 * @param name   what it shows
 * @param tls    whether the site speaks TLS
 * @param config how the client is built (beyond the implementation's defaults)
 * @param action what the application does; it records what it sees in the facts
 * @param expect what the JDK's client must show (so the scenario tests what it names, not only sameness)
 */
public record Scenario(String name, boolean tls, Config config, Action action, Consumer<List<String>> expect) {

    /** Builds the client. */
    @FunctionalInterface
    public interface Config {
        /** Configures {@code b} for the site at {@code env}. */
        HttpClient.Builder apply(HttpClient.Builder b, Env env) throws Exception;
    }

    /** The application's side. */
    @FunctionalInterface
    public interface Action {
        /** Uses {@code client} against the site. */
        void run(HttpClient client, Env env, Facts facts) throws Exception;
    }

    /** Where the site is. */
    public interface Env {
        /** An absolute URI of the site. */
        URI uri(String pathAndQuery);

        /** The site's own view (requests it read, progress of large writes), or null for nginx. */
        TestSite site();

        /** host:port of the site, e.g. to use it as a proxy. */
        java.net.InetSocketAddress address();

        /** host:port of a proxy that accepts {@code CONNECT} and tunnels to the site. */
        java.net.InetSocketAddress tunnelProxy();

        /** The proxy's log: the request line of each CONNECT it accepted. */
        java.util.List<String> tunnelLog();
    }

    @Override
    public String toString() {
        return name;
    }
}
