package io.dugong.jdk;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.testing.ScriptedServer;
import io.dugong.testing.TestCertificates;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Authenticator;
import java.net.CookieManager;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLParameters;

/**
 * The shared scenarios, run by {@link SameAsJdkTest} against the JDK's client and the adapter on the
 * raw-socket {@link TestSite}. Each records what the application observes; the two must agree, and
 * the JDK's must show what the scenario's name says.
 */
public final class SameAsJdkScenarios {
    private SameAsJdkScenarios() {
    }

    /** Every scenario. */
    public static Stream<Scenario> all() {
        List<Scenario> all = new ArrayList<>();
        all.addAll(handlers());
        all.addAll(publishers());
        all.addAll(redirects());
        all.addAll(cookiesAndAuth());
        all.addAll(proxiesAndTls());
        all.addAll(failuresAndTimeouts());
        all.addAll(concurrencyAndLifecycle());
        all.addAll(flow());
        return all.stream();
    }

    // ---- body handlers -------------------------------------------------------------------------

    static List<Scenario> handlers() {
        return List.of(
                get("ofString", "/text", BodyHandlers.ofString(), has("body=hello dugong")),
                get("ofString with a charset", "/text", BodyHandlers.ofString(StandardCharsets.ISO_8859_1), has("body=hello dugong")),
                get("ofByteArray of 100 kB", "/bytes/100000", BodyHandlers.ofByteArray(), has("body=100000 bytes")),
                get("ofByteArray of an empty 204", "/status/204", BodyHandlers.ofByteArray(), has("status=204")),
                get("ofString of a chunked body", "/chunked", BodyHandlers.ofString(), has("body=hello dugong")),
                get("ofString of a 404 page", "/nowhere", BodyHandlers.ofString(), has("status=404")),
                get("ofLines", "/lines", r -> BodySubscribers.mapping(BodySubscribers.ofLines(StandardCharsets.UTF_8),
                        s -> s.collect(Collectors.toList())), has("body=[first, second, third]")),
                // The JDK's HTTP/1.1 parser lower-cases field names; lookups ignore case in both.
                scenario("response header names as the map has them", (c, env, f) -> {
                    HttpResponse<String> r = c.send(req(env, "/text").build(), BodyHandlers.ofString());
                    f.add("names=" + r.headers().map().keySet())
                            .add("lookup ignores case=" + r.headers().firstValue("CONTENT-TYPE").isPresent());
                }, has("names=[content-length, content-type, x-via-proxy]")),
                scenario("handler BodyHandlers.ofLines()", (c, env, f) -> {
                    HttpResponse<Stream<String>> r = c.send(req(env, "/lines").build(), BodyHandlers.ofLines());
                    try (Stream<String> lines = r.body()) {
                        f.add("lines=" + lines.toList());
                    }
                }, has("lines=[first, second, third]")),
                scenario("handler ofFileDownload", (c, env, f) -> {
                    Path dir = Files.createTempDirectory("dugong-jdk");
                    try {
                        HttpResponse<Path> r = c.send(req(env, "/download").build(), BodyHandlers.ofFileDownload(dir,
                                StandardOpenOption.CREATE, StandardOpenOption.WRITE));
                        f.add("file=" + r.body().getFileName()).add("content=" + Files.readString(r.body()));
                    } finally {
                        try (Stream<Path> files = Files.list(dir)) {
                            for (Path p : files.toList()) Files.delete(p);
                        }
                        Files.delete(dir);
                    }
                }, has("content=hello dugong")),
                scenario("handler ofFileDownload without Content-Disposition", (c, env, f) -> {
                    Path dir = Files.createTempDirectory("dugong-jdk");
                    try {
                        failing(f, () -> c.send(req(env, "/text").build(), BodyHandlers.ofFileDownload(dir,
                                StandardOpenOption.CREATE, StandardOpenOption.WRITE)));
                    } finally {
                        Files.delete(dir);
                    }
                }, has("failed: ")),
                get("discarding", "/bytes/5000", BodyHandlers.discarding(), has("body=null")),
                get("replacing", "/bytes/5000", BodyHandlers.replacing("replaced"), has("body=replaced")),
                get("buffering", "/text", BodyHandlers.buffering(BodyHandlers.ofString(), 3), has("body=hello dugong")),
                get("mapping", "/text", r -> BodySubscribers.mapping(BodySubscribers.ofString(StandardCharsets.UTF_8),
                        String::length), has("body=12")),
                scenario("ofInputStream of 8 MiB read after send returned", (c, env, f) -> {
                    HttpResponse<InputStream> r = c.send(req(env, "/bytes/8388608").build(), BodyHandlers.ofInputStream());
                    f.add("status=" + r.statusCode());
                    try (InputStream in = r.body()) {
                        f.add("body=" + Facts.body(in.readAllBytes()));
                    }
                }, has("body=8388608 bytes")),
                scenario("ofInputStream closed early, then the next request", (c, env, f) -> {
                    HttpResponse<InputStream> r = c.send(req(env, "/bytes/1000000").build(), BodyHandlers.ofInputStream());
                    try (InputStream in = r.body()) {
                        f.add("first byte=" + in.read());
                    }
                    f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                }, has("body=hello dugong")),
                scenario("ofFile", (c, env, f) -> {
                    Path file = Files.createTempFile("dugong-jdk", ".bin");
                    try {
                        HttpResponse<Path> r = c.send(req(env, "/bytes/70000").build(), BodyHandlers.ofFile(file));
                        f.add("status=" + r.statusCode()).add("file=" + Facts.body(Files.readAllBytes(r.body())));
                    } finally {
                        Files.deleteIfExists(file);
                    }
                }, has("file=70000 bytes")),
                scenario("ofFile with open options", (c, env, f) -> {
                    Path file = Files.createTempFile("dugong-jdk", ".bin");
                    try {
                        HttpResponse<Path> r = c.send(req(env, "/bytes/3000").build(),
                                BodyHandlers.ofFile(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE));
                        f.add("file=" + Facts.body(Files.readAllBytes(r.body())));
                    } finally {
                        Files.deleteIfExists(file);
                    }
                }, has("file=3000 bytes")),
                scenario("ofByteArrayConsumer", (c, env, f) -> {
                    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                    HttpResponse<Void> r = c.send(req(env, "/bytes/40000").build(),
                            BodyHandlers.ofByteArrayConsumer(o -> o.ifPresent(b -> out.write(b, 0, b.length))));
                    f.add("status=" + r.statusCode()).add("consumed=" + Facts.body(out.toByteArray()));
                }, has("consumed=40000 bytes")),
                scenario("ofPublisher", (c, env, f) -> {
                    HttpResponse<Flow.Publisher<List<ByteBuffer>>> r = c.send(req(env, "/bytes/50000").build(), BodyHandlers.ofPublisher());
                    f.add("status=" + r.statusCode()).add("published=" + Facts.body(collect(r.body()).get(10, TimeUnit.SECONDS)));
                }, has("published=50000 bytes")),
                scenario("fromSubscriber", (c, env, f) -> {
                    Collecting s = new Collecting();
                    HttpResponse<Void> r = c.send(req(env, "/bytes/30000").build(), BodyHandlers.fromSubscriber(s));
                    f.add("status=" + r.statusCode()).add("subscriber=" + Facts.body(s.bytes.get(10, TimeUnit.SECONDS)));
                }, has("subscriber=30000 bytes")),
                scenario("fromSubscriber with a finisher", (c, env, f) -> {
                    Collecting s = new Collecting();
                    HttpResponse<Integer> r = c.send(req(env, "/bytes/30000").build(),
                            BodyHandlers.fromSubscriber(s, sub -> sub.bytes.join().length));
                    f.add("body=" + r.body());
                }, has("body=30000")),
                scenario("fromLineSubscriber", (c, env, f) -> {
                    Lines s = new Lines();
                    c.send(req(env, "/lines").build(), BodyHandlers.fromLineSubscriber(s));
                    f.add("lines=" + s.lines);
                }, has("lines=[first, second, third]")),
                scenario("fromLineSubscriber with a finisher and separator", (c, env, f) -> {
                    Lines s = new Lines();
                    HttpResponse<Integer> r = c.send(req(env, "/lines").build(),
                            BodyHandlers.fromLineSubscriber(s, x -> x.lines.size(), "\n"));
                    f.add("body=" + r.body()).add("lines=" + s.lines);
                }, has("lines=[first, second\r, third]")),
                scenario("HEAD has no body", (c, env, f) ->
                        f.response(c.send(req(env, "/bytes/500").HEAD().build(), BodyHandlers.ofString())), has("body=")),
                scenario("HTTP_2 requested, served as HTTP/1.1", (c, env, f) ->
                        f.response(c.send(req(env, "/text").version(HttpClient.Version.HTTP_2).build(), BodyHandlers.ofString())),
                        has("version=HTTP_1_1")));
    }

    // ---- body publishers -----------------------------------------------------------------------

    static List<Scenario> publishers() {
        byte[] data = TestSite.pattern(100_000);
        return List.of(
                post("ofString", BodyPublishers.ofString("hello server"), has("body=hello server")),
                post("ofString with a charset", BodyPublishers.ofString("héllo", StandardCharsets.ISO_8859_1), has("x-length=[5]")),
                post("ofByteArray", BodyPublishers.ofByteArray(data), has("x-length=[100000]")),
                post("ofByteArray slice", BodyPublishers.ofByteArray(data, 10, 500), has("x-length=[500]")),
                post("ofByteArrays (unknown length: chunked)", BodyPublishers.ofByteArrays(List.of(data, data)), has("x-length=[chunked]")),
                post("ofInputStream (chunked)", BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data)), has("x-length=[chunked]")),
                post("noBody", BodyPublishers.noBody(), has("x-length=[0]")),
                post("concat", BodyPublishers.concat(BodyPublishers.ofString("a"), BodyPublishers.ofString("bc")), has("body=abc")),
                post("fromPublisher without length", BodyPublishers.fromPublisher(items("x", "y", "z")), has("x-length=[chunked]")),
                post("fromPublisher with length", BodyPublishers.fromPublisher(items("x", "y", "z"), 3), has("x-length=[3]")),
                scenario("a publisher that fails", (c, env, f) -> {
                    failing(f, () -> c.send(req(env, "/echo").POST(BodyPublishers.ofInputStream(() -> new InputStream() {
                        @Override
                        public int read() throws IOException {
                            throw new IOException("the disk is on fire");
                        }
                    })).build(), BodyHandlers.ofString()));
                    f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                }, has("body=hello dugong")),
                scenario("a publisher with fewer bytes than its length", (c, env, f) -> {
                    failing(f, () -> c.send(req(env, "/echo").POST(BodyPublishers.fromPublisher(items("x", "y"), 5)).build(),
                            BodyHandlers.ofString()));
                    f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                }, has("body=hello dugong")),
                scenario("a publisher with more bytes than its length", (c, env, f) -> {
                    failing(f, () -> c.send(req(env, "/echo").POST(BodyPublishers.fromPublisher(items("xyz", "abc"), 2)).build(),
                            BodyHandlers.ofString()));
                    f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                }, has("body=hello dugong")),
                scenario("ofFile", (c, env, f) -> {
                    Path file = Files.createTempFile("dugong-jdk", ".bin");
                    try {
                        Files.write(file, data);
                        f.response(c.send(req(env, "/echo").POST(BodyPublishers.ofFile(file)).build(), BodyHandlers.ofByteArray()));
                    } finally {
                        Files.deleteIfExists(file);
                    }
                }, has("x-length=[100000]")),
                scenario("PUT with a body and a content type", (c, env, f) -> f.response(c.send(req(env, "/echo")
                        .header("Content-Type", "text/plain").PUT(BodyPublishers.ofString("put me")).build(),
                        BodyHandlers.ofString())), has("x-method=[PUT]")),
                scenario("DELETE", (c, env, f) -> f.response(c.send(req(env, "/echo").DELETE().build(), BodyHandlers.ofString())),
                        has("x-method=[DELETE]")),
                scenario("any method with a body", (c, env, f) -> f.response(c.send(req(env, "/echo")
                        .method("PATCH", BodyPublishers.ofString("patch")).build(), BodyHandlers.ofString())), has("body=patch")),
                scenario("expectContinue(true)", (c, env, f) -> {
                    f.response(c.send(req(env, "/expect").expectContinue(true).POST(BodyPublishers.ofString("after 100"))
                            .build(), BodyHandlers.ofString()));
                    f.add("server=" + env.site().seen());
                }, has("body=after 100")),
                scenario("expectContinue(true) unanswered: the body waits, the request timeout ends it", (c, env, f) -> {
                    failing(f, () -> c.send(req(env, "/expect-silent").expectContinue(true).timeout(Duration.ofMillis(500))
                            .POST(BodyPublishers.ofString("never sent")).build(), BodyHandlers.ofString()));
                    f.add("server=" + env.site().seen());
                }, has("failed: java.net.http.HttpTimeoutException")),
                scenario("expectContinue(true) refused", (c, env, f) -> f.response(c.send(req(env, "/expect-refused")
                        .expectContinue(true).POST(BodyPublishers.ofString("never sent")).build(), BodyHandlers.ofString())),
                        has("status=417")));
    }

    // ---- redirects -----------------------------------------------------------------------------

    static List<Scenario> redirects() {
        return List.of(
                redirect("NEVER returns the 302", HttpClient.Redirect.NEVER, "/redirect/302?to=/text", has("status=302")),
                redirect("NORMAL follows 302", HttpClient.Redirect.NORMAL, "/redirect/302?to=/text", has("body=hello dugong")),
                redirect("ALWAYS follows 301", HttpClient.Redirect.ALWAYS, "/redirect/301?to=/text", has("body=hello dugong")),
                redirect("a relative Location", HttpClient.Redirect.NORMAL, "/redirect/307?to=../text", has("status=200")),
                redirect("300 is not followed", HttpClient.Redirect.ALWAYS, "/redirect/300?to=/text", has("status=300")),
                redirect("a chain of three keeps the previous responses", HttpClient.Redirect.NORMAL, "/chain/3", has("body=end of chain")),
                redirect("past the limit the last 302 is returned", HttpClient.Redirect.NORMAL, "/chain/6", has("status=302")),
                redirect("a Location that is not a URI", HttpClient.Redirect.NORMAL, "/bad-location", has("failed: ")),
                scenario("redirect: 302 without Location fails, with sendAsync", (c, env, f) -> failing(f, () -> c.sendAsync(
                        req(env, "/no-location").build(), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS)), has("failed: "),
                        HttpClient.Redirect.NORMAL),
                redirect("302 without Location fails", HttpClient.Redirect.NORMAL, "/no-location", has("failed: java.io.IOException")),
                postRedirect("303 turns POST into GET", "/redirect/303?to=/echo", has("x-method=[GET]")),
                postRedirect("307 keeps POST and its body", "/redirect/307?to=/echo", has("body=posted")),
                postRedirect("308 keeps POST and its body", "/redirect/308?to=/echo", has("body=posted")),
                postRedirect("301 turns POST into GET", "/redirect/301?to=/echo", has("x-method=[GET]")),
                scenario("302 keeps PUT and its body", (c, env, f) -> f.response(c.send(req(env, "/redirect/302?to=/echo")
                        .PUT(BodyPublishers.ofString("put body")).build(), BodyHandlers.ofString())), has("body=put body"),
                        HttpClient.Redirect.NORMAL),
                scenario("user headers follow a same-origin redirect", (c, env, f) -> {
                    c.send(req(env, "/redirect/302?to=/text").header("X-Custom", "kept").build(), BodyHandlers.ofString());
                    f.add("server=" + env.site().seen());
                }, has("x-custom=[kept]"), HttpClient.Redirect.NORMAL));
    }

    // ---- cookies and authentication ------------------------------------------------------------

    static List<Scenario> cookiesAndAuth() {
        Authenticator good = authenticator(TestSite.USER, TestSite.PASSWORD);
        return List.of(
                scenario("a CookieManager stores and sends cookies", (c, env, f) -> {
                    c.send(req(env, "/cookie/set?flavour=vanilla").build(), BodyHandlers.ofString());
                    f.response(c.send(req(env, "/cookie/echo").build(), BodyHandlers.ofString()));
                }, has("body=flavour=vanilla"), (b, env) -> b.cookieHandler(new CookieManager())),
                scenario("a cookie set by a redirect is sent to its target", (c, env, f) -> f.response(c.send(req(env,
                        "/redirect/302?to=/cookie/echo").build(), BodyHandlers.ofString())), has("body=none"),
                        (b, env) -> b.cookieHandler(new CookieManager()).followRedirects(HttpClient.Redirect.NORMAL)),
                scenario("without a cookie handler no cookie is sent", (c, env, f) -> {
                    c.send(req(env, "/cookie/set?flavour=vanilla").build(), BodyHandlers.ofString());
                    f.response(c.send(req(env, "/cookie/echo").build(), BodyHandlers.ofString()));
                }, has("body=none")),
                scenario("a user Cookie header is sent", (c, env, f) -> f.response(c.send(req(env, "/cookie/echo")
                        .header("Cookie", "mine=1").build(), BodyHandlers.ofString())), has("body=mine=1")),
                scenario("401 answered by the authenticator", (c, env, f) -> {
                    f.response(c.send(req(env, "/auth").build(), BodyHandlers.ofString()));
                    f.add("server=" + env.site().seen());
                }, has("body=authorized"), (b, env) -> b.authenticator(good)),
                scenario("credentials that worked are sent preemptively", (c, env, f) -> {
                    c.send(req(env, "/auth").build(), BodyHandlers.ofString());
                    f.response(c.send(req(env, "/auth").build(), BodyHandlers.ofString()));
                    f.add("server=" + env.site().seen());
                }, has("body=authorized"), (b, env) -> b.authenticator(good)),
                scenario("wrong credentials: too many attempts", (c, env, f) -> failing(f,
                        () -> c.send(req(env, "/auth").build(), BodyHandlers.ofString())), has("failed: java.io.IOException"),
                        (b, env) -> b.authenticator(authenticator("user", "wrong"))),
                scenario("an authenticator without credentials", (c, env, f) -> failing(f,
                        () -> c.send(req(env, "/auth").build(), BodyHandlers.ofString())), has("failed: java.io.IOException"),
                        (b, env) -> b.authenticator(new Authenticator() { })),
                scenario("no authenticator: the 401 is returned", (c, env, f) ->
                        f.response(c.send(req(env, "/auth").build(), BodyHandlers.ofString())), has("status=401")),
                scenario("a user Authorization header: the 401 is returned", (c, env, f) ->
                        f.response(c.send(req(env, "/auth").header("Authorization", "Basic bm86bm8=").build(),
                                BodyHandlers.ofString())), has("status=401"), (b, env) -> b.authenticator(good)));
    }

    // ---- proxies and TLS -----------------------------------------------------------------------

    static List<Scenario> proxiesAndTls() {
        return List.of(
                scenario("a ProxySelector's HTTP proxy gets absolute-form requests", (c, env, f) ->
                        f.response(c.send(HttpRequest.newBuilder(URI.create("http://origin.invalid/text")).build(),
                                BodyHandlers.ofString())), has("x-via-proxy=[yes]"),
                        (b, env) -> b.proxy(ProxySelector.of(env.address()))),
                scenario("407 answered by the authenticator", (c, env, f) -> {
                    f.response(c.send(HttpRequest.newBuilder(URI.create("http://origin.invalid/proxy-auth")).build(),
                            BodyHandlers.ofString()));
                    f.add("server=" + env.site().seen());
                }, has("body=proxied"), (b, env) -> b.proxy(ProxySelector.of(env.address()))
                        .authenticator(authenticator(TestSite.USER, TestSite.PASSWORD))),
                scenario("a DIRECT choice goes direct", (c, env, f) ->
                        f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString())), has("x-via-proxy=[no]"),
                        (b, env) -> b.proxy(new ProxySelector() {
                            @Override
                            public List<Proxy> select(URI uri) {
                                return List.of(Proxy.NO_PROXY);
                            }

                            @Override
                            public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
                            }
                        })),
                // The JDK's client (java.net.http, 11 to 25) uses only the selector's first choice and
                // never calls connectFailed: no fallback to the next choice, the ConnectException
                // reaches the application. (HttpURLConnection is the one that reports and falls back.)
                scenario("a proxy that refuses connections: connectFailed is not called, no fallback", (c, env, f) -> {
                    RecordingSelector selector = (RecordingSelector) c.proxy().orElseThrow();
                    failing(f, () -> c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                    failing(f, () -> c.sendAsync(req(env, "/text").build(), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS));
                    failing(f, () -> c.send(HttpRequest.newBuilder(URI.create("https://localhost:" + env.address().getPort()
                            + "/text")).build(), BodyHandlers.ofString()));
                    f.add("selector=" + selector.calls);
                    f.add("connectFailed calls=" + selector.calls.stream().filter(x -> x.startsWith("connectFailed")).count());
                }, has("connectFailed calls=0"), (b, env) -> b.proxy(new RecordingSelector(freePort(), env.address().getPort()))),
                // The JDK asks the selector once per send, for the request's URI; redirects and
                // authentication retries keep that choice (HttpRequestImpl copies the proxy to each hop).
                scenario("a redirect keeps the proxy chosen for the original URI", (c, env, f) -> {
                    ByHostSelector selector = (ByHostSelector) c.proxy().orElseThrow();
                    f.response(c.send(HttpRequest.newBuilder(URI.create("http://origin.invalid/redirect/302?to="
                            + env.uri("/text"))).build(), BodyHandlers.ofString()));
                    f.add("selector=" + selector.calls);
                }, has("x-via-proxy=[yes]"), (b, env) -> b.followRedirects(HttpClient.Redirect.NORMAL)
                        .proxy(new ByHostSelector("origin.invalid", env.address()))),
                scenario("a redirect from a direct origin stays direct", (c, env, f) -> {
                    ByHostSelector selector = (ByHostSelector) c.proxy().orElseThrow();
                    f.response(c.send(req(env, "/redirect/302?to=/text").build(), BodyHandlers.ofString()));
                    f.add("selector=" + selector.calls);
                }, has("x-via-proxy=[no]"), (b, env) -> b.followRedirects(HttpClient.Redirect.NORMAL)
                        .proxy(new ByHostSelector("origin.invalid", env.address()))),
                tls("https with the test CA", (c, env, f) -> {
                    HttpResponse<String> r = c.send(req(env, "/text").build(), BodyHandlers.ofString());
                    f.response(r).add("tls=" + r.sslSession().map(s -> s.getCipherSuite().isEmpty() ? "?" : s.getProtocol()).orElse("none"));
                }, has("body=hello dugong"), (b, env) -> b.sslContext(TestCertificates.get().clientContext())),
                tls("sslParameters choose TLSv1.2", (c, env, f) -> {
                    HttpResponse<String> r = c.send(req(env, "/text").build(), BodyHandlers.ofString());
                    f.add("protocol=" + r.sslSession().map(s -> s.getProtocol()).orElse("none"));
                }, has("protocol=TLSv1.2"), (b, env) -> b.sslContext(TestCertificates.get().clientContext())
                        .sslParameters(new SSLParameters(null, new String[] {"TLSv1.2"}))),
                tls("an untrusted certificate fails the handshake", (c, env, f) -> failing(f,
                        () -> c.send(req(env, "/text").build(), BodyHandlers.ofString())),
                        has("failed: javax.net.ssl.SSLHandshakeException"), (b, env) -> b),
                tls("https through a CONNECT tunnel of the ProxySelector's proxy", (c, env, f) -> {
                    f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                    f.add("tunnels=" + env.tunnelLog());
                }, has("body=hello dugong"), (b, env) -> b.sslContext(TestCertificates.get().clientContext())
                        .proxy(ProxySelector.of(env.tunnelProxy()))),
                tls("a tunnel refused with 407 (the JDK does not send Basic credentials to tunnels)", (c, env, f) -> {
                    env.site().refuseTunnels = true;
                    failing(f, () -> f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString())));
                }, has("407"), (b, env) -> b.sslContext(TestCertificates.get().clientContext())
                        .proxy(ProxySelector.of(env.tunnelProxy())).authenticator(authenticator("user", "pass"))),
                tls("NORMAL does not follow https to http", (c, env, f) -> f.response(c.send(req(env,
                        "/redirect/302?to=http://127.0.0.1:1/text").build(), BodyHandlers.ofString())), has("status=302"),
                        (b, env) -> b.sslContext(TestCertificates.get().clientContext()).followRedirects(HttpClient.Redirect.NORMAL)));
    }

    // ---- failures and timeouts -----------------------------------------------------------------

    static List<Scenario> failuresAndTimeouts() {
        return List.of(
                scenario("a request timeout", (c, env, f) -> failing(f, () -> c.send(req(env, "/hang")
                        .timeout(Duration.ofMillis(300)).build(), BodyHandlers.ofString())),
                        has("failed: java.net.http.HttpTimeoutException")),
                scenario("a request timeout with sendAsync", (c, env, f) -> failing(f, () -> c.sendAsync(req(env, "/hang")
                        .timeout(Duration.ofMillis(300)).build(), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS)),
                        has("failed: java.net.http.HttpTimeoutException")),
                scenario("a connect timeout", (c, env, f) -> {
                    try (Backlog full = Backlog.full()) {
                        failing(f, () -> c.send(HttpRequest.newBuilder(full.uri()).build(), BodyHandlers.ofString()));
                    }
                }, has("failed: java.net.http.HttpConnectTimeoutException"), (b, env) -> b.connectTimeout(Duration.ofMillis(300))),
                scenario("a connect timeout in the TLS handshake", (c, env, f) -> {
                    try (ScriptedServer silent = ScriptedServer.start(conn -> conn.readToEof())) {
                        failing(f, () -> c.send(HttpRequest.newBuilder(URI.create("https://localhost:" + silent.port() + "/"))
                                .build(), BodyHandlers.ofString()));
                    }
                }, has("failed: java.net.http.HttpConnectTimeoutException"), (b, env) -> b.connectTimeout(Duration.ofMillis(300))
                        .sslContext(TestCertificates.get().clientContext())),
                scenario("connection refused", (c, env, f) -> failing(f, () -> c.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + freePort() + "/")).build(), BodyHandlers.ofString())),
                        has("failed: java.net.ConnectException")),
                scenario("a body handler that throws", (c, env, f) -> failing(f, () -> c.send(req(env, "/text").build(),
                        info -> {
                            throw new IllegalStateException("handler refuses " + info.statusCode());
                        })), has("failed: java.io.IOException")),
                scenario("a body handler that throws, with sendAsync", (c, env, f) -> failing(f, () -> c.sendAsync(
                        req(env, "/text").build(), info -> {
                            throw new IllegalStateException("handler refuses " + info.statusCode());
                        }).get(10, TimeUnit.SECONDS)), has("failed: java.lang.IllegalStateException")),
                scenario("a truncated body", (c, env, f) -> failing(f, () -> c.send(req(env, "/truncated").build(),
                        BodyHandlers.ofString())), has("failed: java.io.IOException")),
                scenario("a truncated body, with sendAsync", (c, env, f) -> failing(f, () -> c.sendAsync(req(env, "/truncated")
                        .build(), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS)), has("failed: ")),
                scenario("not an HTTP response", (c, env, f) -> failing(f, () -> c.send(req(env, "/garbage").build(),
                        BodyHandlers.ofString())), has("failed: ")),
                scenario("not an HTTP response, with sendAsync", (c, env, f) -> failing(f, () -> c.sendAsync(req(env, "/garbage")
                        .build(), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS)), has("failed: ")),
                scenario("a header name that is not a token", (c, env, f) -> failing(f, () -> c.send(req(env, "/bad-header").build(),
                        BodyHandlers.ofString())), has("failed: java.net.ProtocolException")),
                scenario("a chunk size that is not hex (the head was fine)", (c, env, f) -> failing(f, () -> c.send(
                        req(env, "/bad-chunk").build(), BodyHandlers.ofString())), has("failed: java.io.IOException")),
                scenario("connection refused, with sendAsync", (c, env, f) -> failing(f, () -> c.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + freePort() + "/")).build(), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS)),
                        has("failed: java.net.ConnectException")),
                scenario("a restricted header in an HttpRequest of the application's own", (c, env, f) -> {
                    try {
                        c.send(new OwnRequest(env.uri("/text"), HttpHeaders.of(java.util.Map.of("Connection", List.of("close")),
                                (a, b) -> true)), BodyHandlers.ofString());
                    } catch (IllegalArgumentException e) {
                        f.add("rejected: " + e.getMessage());
                    }
                }, has("rejected: restricted header name: \"Connection\"")),
                scenario("a restricted header in the JDK's builder", (c, env, f) -> {
                    for (String name : List.of("Host", "Content-Length", "Expect", "Upgrade", "Connection")) {
                        try {
                            req(env, "/text").header(name, "x");
                        } catch (IllegalArgumentException e) {
                            f.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                        }
                    }
                }, has("IllegalArgumentException: restricted header name: \"Host\"")),
                scenario("an ftp URI", (c, env, f) -> {
                    try {
                        c.send(new OwnRequest(URI.create("ftp://127.0.0.1/x"), HttpHeaders.of(java.util.Map.of(), (a, b) -> true)),
                                BodyHandlers.ofString());
                    } catch (IllegalArgumentException e) {
                        f.add("rejected: " + e.getClass().getName());
                    }
                }, has("rejected: java.lang.IllegalArgumentException")),
                scenario("an interrupted send throws InterruptedException and abandons its request only", (c, env, f) -> {
                    CompletableFuture<String> thrown = new CompletableFuture<>();
                    Thread caller = Thread.ofVirtual().start(() -> {
                        try {
                            c.send(req(env, "/hang").build(), BodyHandlers.ofString());
                            thrown.complete("no failure");
                        } catch (Exception e) {
                            thrown.complete(e.getClass().getName() + ", interrupt flag=" + Thread.currentThread().isInterrupted());
                        }
                    });
                    awaitRequests(env, 1);
                    caller.interrupt();
                    f.add("caller got " + thrown.get(10, TimeUnit.SECONDS));
                    f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                }, has("caller got java.lang.InterruptedException")),
                scenario("a cancelled future abandons its request only", (c, env, f) -> {
                    CompletableFuture<HttpResponse<String>> hanging = c.sendAsync(req(env, "/hang").build(), BodyHandlers.ofString());
                    f.add("cancel=" + hanging.cancel(true)).add("done=" + hanging.isDone())
                            .add("exceptionally=" + hanging.isCompletedExceptionally());
                    f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                }, has("done=true")));
    }

    // ---- concurrency, executor, lifecycle ------------------------------------------------------

    static List<Scenario> concurrencyAndLifecycle() {
        return List.of(
                scenario("1,000 sendAsync to one origin", (c, env, f) -> {
                    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
                    for (int i = 0; i < 1000; i++) all.add(c.sendAsync(req(env, "/text").build(), BodyHandlers.ofString()));
                    long ok = all.stream().map(CompletableFuture::join).filter(r -> r.body().equals("hello dugong")).count();
                    f.add("ok=" + ok);
                }, has("ok=1000")),
                scenario("dependent stages run neither on a connection's thread nor on the caller's", (c, env, f) -> {
                    Thread caller = Thread.currentThread();
                    CompletableFuture<Thread> stage = c.sendAsync(req(env, "/gate").build(), BodyHandlers.ofString())
                            .thenApply(r -> Thread.currentThread());
                    env.site().gate.countDown(); // the stage is registered before the response exists
                    Thread ran = stage.get(10, TimeUnit.SECONDS);
                    f.add("on a dugong thread=" + ran.getName().startsWith("dugong-reader"))
                            .add("on the caller=" + (ran == caller));
                }, has("on a dugong thread=false"), (b, env) -> b.executor(namedExecutor())),
                scenario("sendAsync with a push promise handler", (c, env, f) -> f.response(c.sendAsync(req(env, "/text").build(),
                        BodyHandlers.ofString(), (initiating, push, accept) -> { }).get(10, TimeUnit.SECONDS)),
                        has("body=hello dugong")),
                scenario("shutdown: no new requests, then terminated", (c, env, f) -> {
                    f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                    c.shutdown();
                    failing(f, () -> c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                    f.add("terminated=" + c.awaitTermination(Duration.ofSeconds(10))).add("isTerminated=" + c.isTerminated());
                }, has("terminated=true")),
                scenario("shutdownNow fails a request in progress", (c, env, f) -> {
                    CompletableFuture<HttpResponse<String>> hanging = c.sendAsync(req(env, "/hang").build(), BodyHandlers.ofString());
                    env.site();
                    awaitRequests(env, 1);
                    c.shutdownNow();
                    failing(f, () -> hanging.get(10, TimeUnit.SECONDS));
                    f.add("terminated=" + c.awaitTermination(Duration.ofSeconds(10)));
                }, has("failed: java.io.IOException")),
                scenario("shutdownNow stops a body being streamed", (c, env, f) -> {
                    HttpResponse<InputStream> r = c.send(req(env, "/big/67108864").build(), BodyHandlers.ofInputStream());
                    try (InputStream in = r.body()) {
                        f.add("first byte=" + in.read());
                        c.shutdownNow();
                        failing(f, () -> in.readAllBytes());
                    }
                    f.add("terminated=" + c.awaitTermination(Duration.ofSeconds(10)));
                }, has("terminated=true")),
                scenario("close waits for a request in progress", (c, env, f) -> {
                    CompletableFuture<HttpResponse<String>> r = c.sendAsync(req(env, "/bytes/100000").build(), BodyHandlers.ofString());
                    c.close();
                    // Not r.isDone(): the JDK's client completes the future on its executor, a moment later.
                    f.add("terminated=" + c.isTerminated()).add("body=" + r.get(10, TimeUnit.SECONDS).body().length());
                }, has("terminated=true")));
    }

    // ---- the Flow protocol ---------------------------------------------------------------------

    static List<Scenario> flow() {
        return List.of(
                scenario("demand is honoured and nothing comes after cancel", (c, env, f) -> {
                    Strict s = new Strict(3);
                    c.sendAsync(req(env, "/bytes/1000000").build(), BodyHandlers.fromSubscriber(s));
                    f.add("cancelled after=" + s.cancelled.get(10, TimeUnit.SECONDS));
                    // The next response on the connection comes only once the cancelled body is out of the way.
                    c.send(req(env, "/text").build(), BodyHandlers.ofString());
                    f.add("violations=" + s.violations).add("items after cancel=" + s.afterCancel.get());
                }, has("violations=[]")),
                scenario("request(0) is an onError with IllegalArgumentException", (c, env, f) -> {
                    CompletableFuture<Throwable> error = new CompletableFuture<>();
                    failing(f, () -> c.sendAsync(req(env, "/bytes/1000").build(), BodyHandlers.fromSubscriber(
                            new Flow.Subscriber<List<ByteBuffer>>() {
                                @Override
                                public void onSubscribe(Flow.Subscription s) {
                                    s.request(0);
                                }

                                @Override
                                public void onNext(List<ByteBuffer> item) {
                                }

                                @Override
                                public void onError(Throwable t) {
                                    error.complete(t);
                                }

                                @Override
                                public void onComplete() {
                                    error.complete(null);
                                }
                            })).get(10, TimeUnit.SECONDS));
                    f.add("onError=" + error.get(10, TimeUnit.SECONDS).getClass().getName());
                    f.response(c.send(req(env, "/text").build(), BodyHandlers.ofString()));
                }, has("onError=java.lang.IllegalArgumentException")),
                scenario("onError when the connection fails mid-body", (c, env, f) -> {
                    Collecting s = new Collecting();
                    failing(f, () -> c.send(req(env, "/truncated").build(), BodyHandlers.fromSubscriber(s)));
                    f.add("subscriber error=" + s.bytes.isCompletedExceptionally());
                }, has("subscriber error=true")),
                scenario("a stalled subscriber holds the socket", (c, env, f) -> {
                    long size = 64L << 20;
                    Strict s = new Strict(Integer.MAX_VALUE);
                    s.demandPerItem = 0; // one buffer, then nothing more is asked for
                    CompletableFuture<HttpResponse<Void>> r = c.sendAsync(req(env, "/big/" + size).build(),
                            BodyHandlers.fromSubscriber(s));
                    s.first.get(10, TimeUnit.SECONDS);
                    TestSite site = env.site();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (!blocked(site.bigWriter) && System.nanoTime() < deadline) Thread.onSpinWait();
                    f.add("server blocked=" + blocked(site.bigWriter)).add("server wrote less than the body=" + (site.bigWritten.get() < size));
                    s.subscription.cancel();
                    r.cancel(true);
                }, has("server blocked=true")));
    }

    // ---- building blocks -----------------------------------------------------------------------

    public static Scenario scenario(String name, Scenario.Action action, Consumer<List<String>> expect) {
        return new Scenario(name, false, (b, env) -> b, action, expect);
    }

    public static Scenario scenario(String name, Scenario.Action action, Consumer<List<String>> expect, Scenario.Config config) {
        return new Scenario(name, false, config, action, expect);
    }

    public static Scenario scenario(String name, Scenario.Action action, Consumer<List<String>> expect, HttpClient.Redirect policy) {
        return new Scenario(name, false, (b, env) -> b.followRedirects(policy), action, expect);
    }

    static Scenario tls(String name, Scenario.Action action, Consumer<List<String>> expect, Scenario.Config config) {
        return new Scenario("TLS: " + name, true, config, action, expect);
    }

    static <T> Scenario get(String name, String path, BodyHandler<T> handler, Consumer<List<String>> expect) {
        return scenario("handler " + name, (c, env, f) -> f.response(c.send(req(env, path).build(), handler)), expect);
    }

    static Scenario post(String name, BodyPublisher publisher, Consumer<List<String>> expect) {
        return scenario("publisher " + name, (c, env, f) -> f.response(c.send(req(env, "/echo").POST(publisher).build(),
                BodyHandlers.ofString())), expect);
    }

    static Scenario redirect(String name, HttpClient.Redirect policy, String path, Consumer<List<String>> expect) {
        return scenario("redirect: " + name, (c, env, f) -> failing(f, () -> f.response(c.send(req(env, path).build(),
                BodyHandlers.ofString()))), expect, policy);
    }

    static Scenario postRedirect(String name, String path, Consumer<List<String>> expect) {
        return scenario("redirect: " + name, (c, env, f) -> f.response(c.send(req(env, path)
                .POST(BodyPublishers.ofString("posted")).header("Content-Type", "text/plain").build(),
                BodyHandlers.ofString())), expect, HttpClient.Redirect.NORMAL);
    }

    public static HttpRequest.Builder req(Scenario.Env env, String path) {
        return HttpRequest.newBuilder(env.uri(path));
    }

    /** Expects a line containing {@code fragment}. */
    public static Consumer<List<String>> has(String fragment) {
        return lines -> assertTrue(lines.stream().anyMatch(l -> l.contains(fragment)),
                () -> "expected a line with '" + fragment + "' in\n" + String.join("\n", lines));
    }

    @FunctionalInterface
    public interface Call {
        /** Does it. */
        Object call() throws Exception;
    }

    /** Runs {@code call}, recording its failure (and "no failure" if it succeeds). */
    public static void failing(Facts f, Call call) throws InterruptedException {
        try {
            call.call();
            f.add("no failure");
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            f.failure(e);
        }
    }

    static Authenticator authenticator(String user, String password) {
        return new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication(user, password.toCharArray());
            }
        };
    }

    static Executor namedExecutor() {
        AtomicInteger n = new AtomicInteger();
        return task -> Thread.ofVirtual().name("test-executor-" + n.incrementAndGet()).start(task);
    }

    static Flow.Publisher<ByteBuffer> items(String... parts) {
        return subscriber -> {
            SubmissionPublisher<ByteBuffer> p = new SubmissionPublisher<>(Runnable::run, 16);
            p.subscribe(subscriber);
            for (String s : parts) p.submit(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
            p.close();
        };
    }

    static CompletableFuture<byte[]> collect(Flow.Publisher<List<ByteBuffer>> publisher) {
        Collecting c = new Collecting();
        publisher.subscribe(c);
        return c.bytes;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void awaitRequests(Scenario.Env env, int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (env.site().requests.size() < n && System.nanoTime() < deadline) Thread.onSpinWait();
    }

    static boolean blocked(Thread t) {
        if (t == null) return false;
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.BLOCKED;
    }

    /** Collects a body as bytes. */
    public static final class Collecting implements Flow.Subscriber<List<ByteBuffer>> {
        public final CompletableFuture<byte[]> bytes = new CompletableFuture<>();
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                byte[] a = new byte[b.remaining()];
                b.get(a);
                out.writeBytes(a);
            }
        }

        @Override
        public void onError(Throwable t) {
            bytes.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            bytes.complete(out.toByteArray());
        }
    }

    /**
     * A selector whose first choice is an HTTP proxy that refuses connections and whose second is
     * DIRECT; it records every call, with the ports replaced by names.
     */
    static final class RecordingSelector extends ProxySelector {
        final List<String> calls = new CopyOnWriteArrayList<>();
        private final InetSocketAddress deadProxy;
        private final int sitePort;

        RecordingSelector(int deadPort, int sitePort) {
            this.deadProxy = new InetSocketAddress("127.0.0.1", deadPort);
            this.sitePort = sitePort;
        }

        @Override
        public List<Proxy> select(URI uri) {
            calls.add("select " + named(uri.toString()));
            return List.of(new Proxy(Proxy.Type.HTTP, deadProxy), Proxy.NO_PROXY);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
            calls.add("connectFailed " + named(uri.toString()) + " " + named(String.valueOf(sa)) + " "
                    + ioe.getClass().getName());
        }

        private String named(String s) {
            return s.replace(":" + deadProxy.getPort(), ":<proxy port>").replace(":" + sitePort, ":<site port>");
        }
    }

    /** Chooses an HTTP proxy for one host name and DIRECT for the others; records what it was asked. */
    static final class ByHostSelector extends ProxySelector {
        final List<String> calls = new CopyOnWriteArrayList<>();
        private final String host;
        private final InetSocketAddress proxy;

        ByHostSelector(String host, InetSocketAddress proxy) {
            this.host = host;
            this.proxy = proxy;
        }

        @Override
        public List<Proxy> select(URI uri) {
            calls.add("select " + uri.toString().replace(":" + proxy.getPort(), ":<port>"));
            return List.of(host.equals(uri.getHost()) ? new Proxy(Proxy.Type.HTTP, proxy) : Proxy.NO_PROXY);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
            calls.add("connectFailed " + uri);
        }
    }

    /** Collects lines. */
    static final class Lines implements Flow.Subscriber<String> {
        final List<String> lines = new CopyOnWriteArrayList<>();

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String item) {
            lines.add(item);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }

    /**
     * Asks for one buffer at a time and checks the publisher: never more items than asked for, none
     * after cancel. Cancels after {@code cancelAfter} items.
     */
    static final class Strict implements Flow.Subscriber<List<ByteBuffer>> {
        final int cancelAfter;
        final List<String> violations = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<Integer> cancelled = new CompletableFuture<>();
        final CompletableFuture<Void> first = new CompletableFuture<>();
        final AtomicInteger afterCancel = new AtomicInteger();
        volatile Flow.Subscription subscription;
        volatile int demandPerItem = 1;
        private long outstanding;
        private int received;
        private final AtomicBoolean isCancelled = new AtomicBoolean();

        Strict(int cancelAfter) {
            this.cancelAfter = cancelAfter;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            outstanding = 1;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            first.complete(null);
            if (isCancelled.get()) {
                afterCancel.incrementAndGet();
                return;
            }
            if (--outstanding < 0) violations.add("item " + received + " beyond demand");
            if (++received == cancelAfter) {
                isCancelled.set(true);
                subscription.cancel();
                cancelled.complete(received);
                return;
            }
            if (demandPerItem > 0) {
                outstanding += demandPerItem;
                subscription.request(demandPerItem);
            }
        }

        @Override
        public void onError(Throwable t) {
            cancelled.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            cancelled.complete(-1);
        }
    }

    /** An application's own {@code HttpRequest}, which the JDK's builder has not checked. */
    static final class OwnRequest extends HttpRequest {
        private final URI uri;
        private final HttpHeaders headers;

        OwnRequest(URI uri, HttpHeaders headers) {
            this.uri = uri;
            this.headers = headers;
        }

        @Override
        public Optional<BodyPublisher> bodyPublisher() {
            return Optional.empty();
        }

        @Override
        public String method() {
            return "GET";
        }

        @Override
        public Optional<Duration> timeout() {
            return Optional.empty();
        }

        @Override
        public boolean expectContinue() {
            return false;
        }

        @Override
        public URI uri() {
            return uri;
        }

        @Override
        public Optional<HttpClient.Version> version() {
            return Optional.empty();
        }

        @Override
        public HttpHeaders headers() {
            return headers;
        }
    }

    /** A listening socket whose accept queue is full, so a new connection neither succeeds nor fails. */
    static final class Backlog implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> fillers = new ArrayList<>();

        private Backlog(ServerSocket server) {
            this.server = server;
        }

        static Backlog full() throws IOException {
            Backlog b = new Backlog(new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()));
            for (int i = 0; i < 8; i++) {
                Socket s = new Socket();
                try {
                    s.connect(b.server.getLocalSocketAddress(), 200);
                    b.fillers.add(s);
                } catch (IOException e) {
                    s.close();
                    break; // the queue is full
                }
            }
            return b;
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/");
        }

        @Override
        public void close() throws IOException {
            for (Socket s : fillers) s.close();
            server.close();
        }
    }
}
