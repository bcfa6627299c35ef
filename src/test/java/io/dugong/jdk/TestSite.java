package io.dugong.jdk;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.ServerConnection;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small web site played by {@link ScriptedServer}, the same for both clients: each path is a
 * behaviour the scenarios of {@link SameAsJdkScenarios} need. It also serves as an HTTP proxy (an
 * absolute-form target is answered as if it were the path, with {@code X-Via-Proxy: yes}). Every
 * request it reads is recorded, so a scenario can compare what the two clients sent.
 *
 * <pre>
 *   /text                 200 "hello dugong"          /bytes/N       N deterministic bytes
 *   /lines                three lines                  /chunked       a chunked body
 *   /status/N             status N, empty body         /echo          the request body back, with X-Method,
 *   /redirect/N?to=P      status N, Location P                         X-Length (or "chunked"), X-Type
 *   /chain/N              302 to /chain/N-1 .. 0: 200  /no-location   302 without Location
 *   /auth                 401 Basic unless user:pass   /proxy-auth    407 (proxy) unless user:pass
 *   /cookie/set?k=v       Set-Cookie k=v               /cookie/echo   the Cookie header (or "none")
 *   /hang                 never answers                /truncated     Content-Length 100, 10 bytes, close
 *   /garbage              not an HTTP response, close  /bad-location  302 with a Location that is no URI
 *   /bad-header           a header name with a space   /bad-chunk     a chunk size that is not hex
 *   /download             "hello dugong" as an attachment named dugong.txt
 *   /gate                 answers once {@link #gate} is released
 *   /big/N                N bytes, 64 KiB writes, progress in {@link #bigWritten}
 *   /expect               100 Continue, then echo      /expect-refused  417, body never read
 *   /expect-silent        reads the head, never answers
 * </pre>
 */
public final class TestSite implements ScriptedServer.Handler {
    static final String USER = "user";
    static final String PASSWORD = "pass";
    private static final String CREDENTIALS = "Basic "
            + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.ISO_8859_1));

    /** Every request read, in order, as "METHOD target" plus the headers the scenarios compare. */
    final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    /** Bytes of the current /big body written so far. */
    final AtomicLong bigWritten = new AtomicLong();
    /** The thread writing the current /big body (to see it blocked by back-pressure). */
    volatile Thread bigWriter;
    /** Released when the test ends: /hang waits on it. */
    final CountDownLatch release = new CountDownLatch(1);
    /** Set by a scenario: the tunnelling proxy in front of the site answers CONNECT with 407. */
    volatile boolean refuseTunnels;
    /** Released by a scenario: /gate answers only then. */
    final CountDownLatch gate = new CountDownLatch(1);

    @Override
    public void handle(ServerConnection c) throws Exception {
        while (true) {
            RecordedRequest head;
            try {
                head = c.readRequestHead();
            } catch (javax.net.ssl.SSLHandshakeException e) {
                return; // a client that does not trust the test CA: the scenario observes its side
            }
            if (head == null) return;
            URI target = URI.create(head.target());
            boolean viaProxy = target.isAbsolute();
            String path = target.getRawPath();
            String query = target.getRawQuery();
            if (path.equals("/expect-silent")) {
                requests.add(head);
                release.await(); // neither 100 nor a final status
                return;
            }
            if (path.equals("/expect-refused")) {
                requests.add(head);
                c.sendResponse(417, new byte[0], "Connection", "close");
                return;
            }
            if (head.header("Expect").isPresent()) c.send100Continue();
            RecordedRequest request = head.withBody(c.readBody(head));
            requests.add(request);
            String proxyHeader = viaProxy ? "yes" : "no";
            if (!answer(c, request, path, query, proxyHeader)) return;
        }
    }

    /** Answers one request; false to close the connection. */
    private boolean answer(ServerConnection c, RecordedRequest r, String path, String query, String via) throws Exception {
        String[] parts = path.split("/");
        String first = parts.length > 1 ? parts[1] : "";
        String arg = parts.length > 2 ? parts[2] : "";
        switch (first) {
            case "text" -> c.sendResponse(200, bytes("hello dugong"), "Content-Type", "text/plain; charset=utf-8", "X-Via-Proxy", via);
            case "bytes" -> c.sendResponse(200, pattern(Integer.parseInt(arg)), "Content-Type", "application/octet-stream");
            case "download" -> c.sendResponse(200, bytes("hello dugong"), "Content-Disposition", "attachment; filename=\"dugong.txt\"");
            case "lines" -> c.sendResponse(200, bytes("first\nsecond\r\nthird"), "Content-Type", "text/plain");
            case "chunked" -> c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n1\r\n \r\n6\r\ndugong\r\n0\r\n\r\n");
            case "status" -> c.sendResponse(Integer.parseInt(arg), new byte[0]);
            case "echo", "expect" -> c.sendResponse(200, r.body(), "X-Method", r.method(),
                    "X-Length", r.isChunked() ? "chunked" : r.header("Content-Length").orElse("none"),
                    "X-Type", r.header("Content-Type").orElse("none"));
            case "redirect" -> c.sendResponse(Integer.parseInt(arg), new byte[0], "Location", param(query, "to"));
            case "chain" -> {
                int n = Integer.parseInt(arg);
                if (n == 0) c.sendResponse(200, bytes("end of chain"));
                else c.sendResponse(302, new byte[0], "Location", "/chain/" + (n - 1));
            }
            case "no-location" -> c.sendResponse(302, new byte[0]);
            case "auth" -> {
                if (CREDENTIALS.equals(r.header("Authorization").orElse(""))) c.sendResponse(200, bytes("authorized"));
                else c.sendResponse(401, bytes("who are you?"), "WWW-Authenticate", "Basic realm=\"dugong\"");
            }
            case "proxy-auth" -> {
                if (CREDENTIALS.equals(r.header("Proxy-Authorization").orElse(""))) c.sendResponse(200, bytes("proxied"));
                else c.sendResponse(407, bytes("proxy says no"), "Proxy-Authenticate", "Basic realm=\"proxy\"");
            }
            case "cookie" -> {
                if (arg.equals("set")) c.sendResponse(200, bytes("set"), "Set-Cookie", query.replace("%3B", ";") + "; Path=/");
                else c.sendResponse(200, bytes(String.join(" | ", r.headers("Cookie")).isEmpty() ? "none"
                        : String.join(" | ", r.headers("Cookie"))));
            }
            case "gate" -> {
                gate.await();
                c.sendResponse(200, bytes("through the gate"));
            }
            case "hang" -> {
                release.await();
                return false;
            }
            case "garbage" -> {
                c.send("NOT HTTP AT ALL\r\n\r\n");
                return false;
            }
            case "bad-header" -> {
                c.send("HTTP/1.1 200 OK\r\nBad Name: a space in the name\r\nContent-Length: 0\r\n\r\n");
                return false;
            }
            case "bad-chunk" -> {
                c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
                return false;
            }
            case "bad-location" -> c.sendResponse(302, new byte[0], "Location", "http://[not a uri/");
            case "truncated" -> {
                c.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
                return false;
            }
            case "big" -> {
                long n = Long.parseLong(arg);
                bigWriter = Thread.currentThread();
                bigWritten.set(0);
                c.send("HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\n\r\n");
                byte[] chunk = new byte[64 * 1024];
                for (long left = n; left > 0; ) {
                    int len = (int) Math.min(chunk.length, left);
                    c.send(len == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, len));
                    left -= len;
                    bigWritten.addAndGet(len);
                }
            }
            default -> c.sendResponse(404, bytes("no such page: " + path));
        }
        return true;
    }

    /** The requests as the scenarios compare them: method, target, and the headers a client's user sees. */
    List<String> seen() {
        List<String> out = new ArrayList<>();
        for (RecordedRequest r : requests) {
            StringBuilder line = new StringBuilder(r.method()).append(' ').append(URI.create(r.target()).getRawPath());
            for (String name : List.of("Authorization", "Proxy-Authorization", "Cookie", "Content-Type", "X-Custom", "Expect")) {
                List<String> values = r.headers(name);
                // Header values are compared ignoring case: "100-Continue" and "100-continue" are the same.
                if (name.equals("Expect")) values = values.stream().map(v -> v.toLowerCase(Locale.ROOT)).toList();
                if (!values.isEmpty()) line.append(" | ").append(name.toLowerCase(Locale.ROOT)).append('=').append(values);
            }
            line.append(" | body=").append(r.body().length);
            out.add(line.toString());
        }
        return out;
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + 7);
        return b;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String param(String query, String name) {
        for (String kv : query == null ? new String[0] : query.split("&")) {
            if (kv.startsWith(name + "=")) return java.net.URLDecoder.decode(kv.substring(name.length() + 1), StandardCharsets.UTF_8);
        }
        return "";
    }

}
