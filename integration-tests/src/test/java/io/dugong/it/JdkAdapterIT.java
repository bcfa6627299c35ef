package io.dugong.it;

import static io.dugong.jdk.SameAsJdkScenarios.failing;
import static io.dugong.jdk.SameAsJdkScenarios.has;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dugong.it.Nginx.Server;
import io.dugong.jdk.Facts;
import io.dugong.jdk.Impl;
import io.dugong.jdk.Scenario;
import io.dugong.jdk.SameAsJdkScenarios;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared JDK-versus-adapter scenarios against a real nginx: static files with Content-Length,
 * SSI-chunked bodies, on-the-fly gzip, redirects, WebDAV uploads from every kind of publisher,
 * 100-continue accepted and refused, TLS with the test CA. As in the unit suite, each runs on the
 * JDK's own client and on {@code DugongHttpClient}, and what the application observes must be equal
 * (nginx's Date and connection-id headers aside).
 */
@ExtendWith(NginxExtension.class)
@Timeout(120)
class JdkAdapterIT {
    /** nginx's test CA, known once the extension started nginx (the scenarios are built before). */
    private static volatile javax.net.ssl.SSLContext trust;

    static Stream<Scenario> scenarios() {
        byte[] upload = new byte[300_000];
        new java.util.Random(11).nextBytes(upload);
        return Stream.of(
                get("ofString of a text file", "/files/64k.txt", BodyHandlers.ofString(), "status=200"),
                get("ofByteArray of 8 MiB", "/files/8m.bin", BodyHandlers.ofByteArray(), "body=8388608 bytes"),
                get("ofString of an SSI-chunked 8 MiB", "/ssi/8m.shtml", BodyHandlers.ofByteArray(), "body=8388608 bytes"),
                get("discarding", "/files/64k.bin", BodyHandlers.discarding(), "body=null"),
                get("ofLines", "/files/64k.txt", r -> BodySubscribers.mapping(
                        BodySubscribers.ofLines(java.nio.charset.StandardCharsets.UTF_8), s -> s.count()), "status=200"),
                get("a 204", "/status/204", BodyHandlers.ofString(), "status=204"),
                get("a 404 page", "/files/none.bin", BodyHandlers.ofString(), "status=404"),
                SameAsJdkScenarios.scenario("gzip as sent (no decoding, like the JDK)", (c, env, f) ->
                        f.response(c.send(HttpRequest.newBuilder(env.uri("/gzip/64k.txt")).header("Accept-Encoding", "gzip")
                                .build(), BodyHandlers.ofByteArray())), has("content-encoding=[gzip]")),
                SameAsJdkScenarios.scenario("HEAD of a file", (c, env, f) -> f.response(c.send(HttpRequest.newBuilder(
                        env.uri("/files/100.bin")).HEAD().build(), BodyHandlers.ofString())), has("content-length=[100]")),
                SameAsJdkScenarios.scenario("ofInputStream of 8 MiB", (c, env, f) -> {
                    HttpResponse<InputStream> r = c.send(HttpRequest.newBuilder(env.uri("/ssi/8m.shtml")).build(),
                            BodyHandlers.ofInputStream());
                    try (InputStream in = r.body()) {
                        f.add("status=" + r.statusCode()).add("body=" + Facts.body(in.readAllBytes()));
                    }
                }, has("body=8388608 bytes")),
                SameAsJdkScenarios.scenario("ofFile", (c, env, f) -> {
                    Path file = Files.createTempFile("dugong-it", ".bin");
                    try {
                        c.send(HttpRequest.newBuilder(env.uri("/files/64k.bin")).build(), BodyHandlers.ofFile(file));
                        f.add("file=" + Facts.body(Files.readAllBytes(file)));
                    } finally {
                        Files.deleteIfExists(file);
                    }
                }, has("file=65536 bytes")),
                SameAsJdkScenarios.scenario("ofPublisher", (c, env, f) -> {
                    HttpResponse<Flow.Publisher<List<ByteBuffer>>> r = c.send(HttpRequest.newBuilder(
                            env.uri("/files/64k.bin")).build(), BodyHandlers.ofPublisher());
                    SameAsJdkScenarios.Collecting s = new SameAsJdkScenarios.Collecting();
                    r.body().subscribe(s);
                    f.add("published=" + Facts.body(s.bytes.get(10, TimeUnit.SECONDS)));
                }, has("published=65536 bytes")),
                redirect("NEVER returns nginx's 301", HttpClient.Redirect.NEVER, "status=301"),
                redirect("NORMAL follows nginx's 301", HttpClient.Redirect.NORMAL, "body=100 bytes"),
                put("ofByteArray", BodyPublishers.ofByteArray(upload), upload),
                put("ofInputStream (chunked)", BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(upload)), upload),
                put("fromPublisher without length (chunked)", BodyPublishers.fromPublisher(
                        BodyPublishers.ofByteArray(upload)), upload),
                put("ofByteArrays (chunked)", BodyPublishers.ofByteArrays(List.of(upload, upload)), concat(upload, upload)),
                put("noBody", BodyPublishers.noBody(), new byte[0]),
                SameAsJdkScenarios.scenario("expectContinue(true) accepted", (c, env, f) -> {
                    URI target = env.uri("/dav/expect-" + UUID.randomUUID() + ".bin");
                    f.add("put=" + c.send(HttpRequest.newBuilder(target).expectContinue(true)
                            .PUT(BodyPublishers.ofString("go ahead")).build(), BodyHandlers.discarding()).statusCode());
                    f.add("get=" + c.send(HttpRequest.newBuilder(target).build(), BodyHandlers.ofString()).body());
                }, has("get=go ahead")),
                SameAsJdkScenarios.scenario("expectContinue(true) refused with 413", (c, env, f) -> f.add("status=" + c.send(
                        HttpRequest.newBuilder(env.uri("/limited/too-big.bin")).expectContinue(true)
                                .PUT(BodyPublishers.ofByteArray(new byte[4096])).build(), BodyHandlers.discarding()).statusCode()),
                        has("status=413")),
                // 200, not 1,000 as on the scripted server: the JDK's client opens a connection per
                // request in flight, and nginx's worker_connections would refuse the rest.
                SameAsJdkScenarios.scenario("200 sendAsync at once", (c, env, f) -> {
                    List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        all.add(c.sendAsync(HttpRequest.newBuilder(env.uri("/files/100.bin?i=" + i)).build(),
                                BodyHandlers.ofByteArray()));
                    }
                    f.add("ok=" + all.stream().map(CompletableFuture::join).filter(r -> r.body().length == 100).count());
                }, has("ok=200")),
                new Scenario("TLS: a file over https trusting the test CA", true, (b, env) -> b.sslContext(trust),
                        (c, env, f) -> {
                            HttpResponse<byte[]> r = c.send(HttpRequest.newBuilder(env.uri("/files/64k.bin")).build(),
                                    BodyHandlers.ofByteArray());
                            f.response(r).add("tls=" + r.sslSession().map(s -> s.getProtocol()).orElse("none"));
                        }, has("body=65536 bytes")),
                new Scenario("TLS: the default trust store rejects the test CA", true, (b, env) -> b,
                        (c, env, f) -> failing(f, () -> c.send(HttpRequest.newBuilder(env.uri("/files/100.bin")).build(),
                                BodyHandlers.ofString())), has("failed: javax.net.ssl.SSLHandshakeException")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void dugongObservesWhatTheJdkClientObserves(Scenario scenario, Nginx nginx) throws Exception {
        trust = nginx.trust();
        List<String> jdk = run(scenario, Impl.JDK, nginx);
        scenario.expect().accept(jdk);
        assertEquals(String.join("\n", jdk), String.join("\n", run(scenario, Impl.DUGONG, nginx)));
    }

    private static List<String> run(Scenario scenario, Impl impl, Nginx nginx) throws Exception {
        Server server = scenario.tls() ? Server.TLS : Server.MAIN;
        String origin = (scenario.tls() ? "https" : "http") + "://" + nginx.host() + ":" + nginx.port(server);
        Scenario.Env env = new Scenario.Env() {
            @Override
            public URI uri(String pathAndQuery) {
                return URI.create(origin + pathAndQuery);
            }

            @Override
            public io.dugong.jdk.TestSite site() {
                return null;
            }

            @Override
            public InetSocketAddress address() {
                return new InetSocketAddress(nginx.host(), nginx.port(server));
            }

            @Override
            public InetSocketAddress tunnelProxy() {
                throw new UnsupportedOperationException("no tunnelling proxy in front of nginx");
            }

            @Override
            public List<String> tunnelLog() {
                return List.of();
            }
        };
        HttpClient client = scenario.config().apply(impl.builder(), env).build();
        Facts facts = new Facts();
        try {
            scenario.action().run(client, env, facts);
        } finally {
            client.shutdownNow();
            client.awaitTermination(Duration.ofSeconds(10));
        }
        return facts.lines();
    }

    private static <T> Scenario get(String name, String path, HttpResponse.BodyHandler<T> handler, String expected) {
        return SameAsJdkScenarios.scenario(name, (c, env, f) -> f.response(c.send(HttpRequest.newBuilder(env.uri(path)).build(),
                handler)), has(expected));
    }

    private static Scenario redirect(String name, HttpClient.Redirect policy, String expected) {
        return SameAsJdkScenarios.scenario("redirect: " + name, (c, env, f) -> f.response(c.send(HttpRequest.newBuilder(
                env.uri("/redirect")).build(), BodyHandlers.ofByteArray())), has(expected), policy);
    }

    /** PUTs to a new WebDAV path, then reads it back: the status and the stored bytes. */
    private static Scenario put(String name, BodyPublisher publisher, byte[] expected) {
        return SameAsJdkScenarios.scenario("WebDAV PUT " + name, (c, env, f) -> {
            URI target = env.uri("/dav/" + UUID.randomUUID() + ".bin");
            f.add("put=" + c.send(HttpRequest.newBuilder(target).PUT(publisher).build(), BodyHandlers.discarding()).statusCode());
            f.add("stored=" + Facts.body(c.send(HttpRequest.newBuilder(target).build(), BodyHandlers.ofByteArray()).body()));
        }, has("stored=" + Facts.body(expected)));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
