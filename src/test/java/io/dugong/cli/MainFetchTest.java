package io.dugong.cli;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dugong URL...} against a real local server: what goes out, what comes back, the exit status. */
@Timeout(60)
class MainFetchTest {

    @Test
    void bodiesGoToStdoutInTheOrderOfTheUrlsAndTheExitStatusIs0() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of(s.url("/a"), s.url("/b?x=1"), s.url("/c"));
            assertEquals(0, run.status(), run.stderr());
            assertEquals("GET /a\nGET /b?x=1\nGET /c\n", run.stdout());
        }
    }

    @Test
    void requestsToOneOriginArePipelinedOnOneConnection() {
        try (EchoServer s = new EchoServer()) {
            String[] urls = new String[50];
            for (int i = 0; i < urls.length; i++) urls[i] = s.url("/" + i);
            CliRun run = CliRun.of(concat(new String[] {"--connections", "1"}, urls));
            assertEquals(0, run.status(), run.stderr());
            assertEquals(50, run.stdout().lines().count());
            assertEquals(1, s.server.acceptedConnections());
        }
    }

    @Test
    void aNotFoundIsAFailureWithItsReasonInTheSummaryAndExit1() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of(s.url("/a"), s.url("/missing"));
            assertEquals(1, run.status());
            assertTrue(run.stderr().contains("by status:  200: 1  404: 1"), run.stderr());
            assertTrue(run.stderr().contains(s.url("/missing") + ": 404 Not Found"), run.stderr());
        }
    }

    @Test
    void aRefusedConnectionIsAFailureWithItsReason() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();   // closed again: nothing listens there
        }
        CliRun run = CliRun.of("--retries", "0", "http://127.0.0.1:" + port + "/x");
        assertEquals(1, run.status());
        assertTrue(run.stderr().contains("failed: 1"), run.stderr());
        assertTrue(run.stderr().contains("http://127.0.0.1:" + port + "/x: "), run.stderr());
    }

    @Test
    void includePrintsTheStatusLineAndHeadersBeforeTheBody() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("-i", s.url("/a"));
            assertEquals(0, run.status(), run.stderr());
            assertTrue(run.stdout().startsWith("HTTP/1.1 200 OK\r\n"), run.stdout());
            assertTrue(run.stdout().contains("X-Echo: yes\r\n"), run.stdout());
            assertTrue(run.stdout().endsWith("\r\n\r\nGET /a\n"), run.stdout());
        }
    }

    @Test
    void headSendsHeadAndPrintsTheHeadOnly() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("-I", s.url("/a"));
            assertEquals(0, run.status(), run.stderr());
            assertEquals("HEAD", s.requests.peek().method());
            assertTrue(run.stdout().startsWith("HTTP/1.1 200 OK\r\n"), run.stdout());
            assertTrue(run.stdout().endsWith("\r\n\r\n"), run.stdout());
        }
    }

    @Test
    void methodHeadersAndABodyFromAFileAreSent(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("body.json");
        Files.writeString(file, "{\"n\": 1}");
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("-X", "PUT", "-H", "Content-Type: application/json", "-H", "X-Trace: 7",
                    "--data-binary", "@" + file, s.url("/put"));
            assertEquals(0, run.status(), run.stderr());
            RecordedRequest r = s.requests.peek();
            assertEquals("PUT", r.method());
            assertEquals("application/json", r.header("Content-Type").orElseThrow());
            assertEquals("7", r.header("X-Trace").orElseThrow());
            assertEquals("{\"n\": 1}", r.bodyAsString());
        }
    }

    @Test
    void aBodyFromStdin() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.withStdin(new java.io.ByteArrayInputStream("from stdin".getBytes(StandardCharsets.UTF_8)),
                    "--data-binary", "@-", s.url("/in"));
            assertEquals(0, run.status(), run.stderr());
            assertEquals("from stdin", s.requests.peek().bodyAsString());
        }
    }

    @Test
    void dataMakesAFormPost() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("-d", "a=1&b=2", s.url("/form"));
            assertEquals(0, run.status(), run.stderr());
            RecordedRequest r = s.requests.peek();
            assertEquals("POST", r.method());
            assertEquals("application/x-www-form-urlencoded", r.header("Content-Type").orElseThrow());
            assertEquals("a=1&b=2", r.bodyAsString());
        }
    }

    @Test
    void locationFollowsRedirects() {
        try (ScriptedServer s = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                if (r.target().equals("/old")) c.sendResponse(301, new byte[0], "Location", "/new");
                else c.sendResponse(200, "at " + r.target());
            }
        })) {
            CliRun plain = CliRun.of(s.uri("/old").toString());
            assertEquals(0, plain.status(), plain.stderr());
            assertEquals("", plain.stdout());
            CliRun followed = CliRun.of("-L", s.uri("/old").toString());
            assertEquals(0, followed.status(), followed.stderr());
            assertEquals("at /new", followed.stdout());
        }
    }

    @Test
    void summaryCountsRequestsAndSilentDropsIt() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of(s.url("/a"), s.url("/b"));
            assertTrue(run.stderr().startsWith("dugong: 2 requests in "), run.stderr());
            assertTrue(run.stderr().contains("req/s"), run.stderr());
            CliRun silent = CliRun.of("-s", s.url("/a"));
            assertEquals("", silent.stderr());
        }
    }

    @Test
    void noProgressLineWhenStderrIsNotATerminal() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of(s.url("/a"));
            assertFalse(run.stderr().contains("\r"), run.stderr());
            assertFalse(run.stderr().contains(" done, "), run.stderr());
        }
    }

    @Test
    void progressCanBeForced() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("--progress", s.url("/a"), s.url("/b"));
            assertTrue(run.stderr().startsWith("\r2/2 done, "), run.stderr());
        }
    }

    @Test
    void insecureSaysSoOnStderr() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("--insecure", s.url("/a"));
            assertEquals(0, run.status(), run.stderr());
            assertTrue(run.stderr().startsWith("dugong: WARNING: --insecure: TLS certificates and host names are NOT verified"),
                    run.stderr());
        }
    }

    @Test
    void compressedAsksForGzip() {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("--compressed", s.url("/a"));
            assertEquals(0, run.status(), run.stderr());
            assertEquals("gzip, deflate", s.requests.peek().header("Accept-Encoding").orElseThrow());
        }
    }

    @Test
    void aServerThatNeverAnswersFailsAtTheTimeout() {
        try (ScriptedServer silent = ScriptedServer.start(c -> {
            c.readRequest();
            c.readToEof();              // never answers; returns when the client gives up and closes
        })) {
            CliRun run = CliRun.of("--timeout", "0.3", silent.uri("/slow").toString());
            assertEquals(1, run.status());
            assertTrue(run.stderr().contains(silent.uri("/slow") + ": ConnectionTimedOutException"), run.stderr());
        }
    }

    @Test
    void aProxyGetsAbsoluteFormTargets() {
        try (EchoServer proxy = new EchoServer()) {   // a real server in the proxy's place: it sees what a proxy sees
            CliRun run = CliRun.of("-x", "127.0.0.1:" + proxy.server.port(), "http://origin.invalid/x?y=1");
            assertEquals(0, run.status(), run.stderr());
            assertEquals("http://origin.invalid/x?y=1", proxy.requests.peek().target());
            assertEquals("origin.invalid", proxy.requests.peek().header("Host").orElseThrow());
        }
    }

    @Test
    void withAnOutputDirectoryASlowServerDoesNotHoldUpTheOthers(@TempDir Path dir) throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (ScriptedServer slow = ScriptedServer.start(c -> {
            c.readRequest();
            release.await();            // answers only once the fast server's 300 files are written
            c.sendResponse(200, "slow");
        }); EchoServer fast = new EchoServer()) {
            String[] args = new String[303];
            args[0] = "-o";
            args[1] = dir.toString();
            args[2] = slow.uri("/s").toString();
            for (int i = 0; i < 300; i++) args[3 + i] = fast.url("/" + i);
            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.of(args), r -> Thread.ofVirtual().start(r));
            // 300 is more than the window (2 x 4 x 32 = 256): with in-order finishing this would wait forever.
            fast.server.awaitRequests(300);
            release.countDown();
            CliRun done = run.get();
            assertEquals(0, done.status(), done.stderr());
            assertEquals(301, Files.list(dir).count());
        }
    }

    static String[] concat(String[] a, String[] b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static List<String> lines(String s) {
        return s.lines().toList();
    }
}
