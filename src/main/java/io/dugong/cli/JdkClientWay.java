package io.dugong.cli;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The demo's fourth way: the JDK's {@code java.net.http.HttpClient} (HTTP/1.1) from virtual threads.
 * A class of its own because the module only {@code requires static java.net.http}: the library does
 * not need that module, and this class is loaded only once {@link #unavailable()} said it is there.
 */
final class JdkClientWay {
    private JdkClientWay() {
    }

    /** Null if {@code java.net.http} can be used here, else why not. */
    static String unavailable() {
        Module self = JdkClientWay.class.getModule();
        if (!self.isNamed()) return null;   // class path: every system module is there
        boolean readable = ModuleLayer.boot().findModule("java.net.http").map(self::canRead).orElse(false);
        return readable ? null : "module java.net.http not resolved (add --add-modules java.net.http)";
    }

    static void fetch(DemoServer server, int n, Demo.Checker check) throws InterruptedException {
        // One connection per request in flight: HTTP/1.1 in the JDK client never pipelines.
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            Demo.onVirtualThreads(n, i -> {
                HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(Demo.document(server, i)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                check.answer(i, r.statusCode(), r.body());
            }, check);
        }
    }
}
