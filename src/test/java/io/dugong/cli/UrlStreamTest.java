package io.dugong.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code -f FILE} and {@code -f -}: URLs are read as the fetch goes, never all at once. */
@Timeout(60)
class UrlStreamTest {

    @Test
    void urlsFromStdinAreFetchedBeforeStdinEnds() throws Exception {
        try (EchoServer s = new EchoServer()) {
            PipedOutputStream feed = new PipedOutputStream();
            PipedInputStream stdin = new PipedInputStream(feed, 64 * 1024);
            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(
                    () -> CliRun.withStdin(stdin, "-f", "-"), r -> Thread.ofVirtual().start(r));

            for (int i = 0; i < 3; i++) feed.write((s.url("/" + i) + "\n").getBytes(StandardCharsets.UTF_8));
            feed.flush();
            // The command is still waiting for more input: these requests must already have gone out.
            s.server.awaitRequests(3);
            assertFalse(run.isDone());

            StringBuilder rest = new StringBuilder("\n# a comment line\n");
            for (int i = 3; i < 1000; i++) rest.append(s.url("/" + i)).append('\n');
            feed.write(rest.toString().getBytes(StandardCharsets.UTF_8));
            feed.close();

            CliRun done = run.get();
            assertEquals(0, done.status(), done.stderr());
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 1000; i++) expected.append("GET /").append(i).append('\n');
            assertEquals(expected.toString(), done.stdout());
            assertTrue(done.stderr().startsWith("dugong: 1,000 requests in "), done.stderr());
        }
    }

    @Test
    void urlsFromAFile(@TempDir Path tmp) throws Exception {
        try (EchoServer s = new EchoServer()) {
            Path list = Files.writeString(tmp.resolve("urls.txt"), s.url("/x") + "\n\n  " + s.url("/y") + "  \n");
            CliRun run = CliRun.of("-f", list.toString());
            assertEquals(0, run.status(), run.stderr());
            assertEquals("GET /x\nGET /y\n", run.stdout());
        }
    }

    @Test
    void aBadLineIsReportedWithItsLineNumberTheRestIsFetchedAndTheExitStatusIs2() {
        try (EchoServer s = new EchoServer()) {
            String list = s.url("/a") + "\nftp://example.org/file\n" + s.url("/b") + "\n";
            CliRun run = CliRun.withStdin(new ByteArrayInputStream(list.getBytes(StandardCharsets.UTF_8)), "-f", "-");
            assertEquals(2, run.status(), run.stderr());
            assertEquals("GET /a\nGET /b\n", run.stdout());
            assertTrue(run.stderr().contains("line 2: not an http or https URL: 'ftp://example.org/file'"), run.stderr());
        }
    }
}
