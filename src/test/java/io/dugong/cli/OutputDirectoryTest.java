package io.dugong.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code -o DIR}: one file per URL, with safe names, and never a byte written outside DIR. */
@Timeout(60)
class OutputDirectoryTest {
    private static final String SAFE_NAME = "[0-9]+-[A-Za-z0-9._-]+";

    private static List<Path> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void eachUrlGetsItsOwnFileNumberedInInputOrder(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");   // created by the command
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("-o", out.toString(), s.url("/a.html"), s.url("/dir/b?q=1"), s.url("/a.html"));
            assertEquals(0, run.status(), run.stderr());
            assertEquals("", run.stdout());
            String host = "127.0.0.1_" + s.server.port();
            assertEquals("GET /a.html\n", Files.readString(out.resolve("1-" + host + "-a.html")));
            assertEquals("GET /dir/b?q=1\n", Files.readString(out.resolve("2-" + host + "-dir-b_q_1")));
            assertEquals("GET /a.html\n", Files.readString(out.resolve("3-" + host + "-a.html")));
            assertEquals(3, listing(out).size(), listing(out).toString());
        }
    }

    @Test
    void pathTraversalInUrlsNeverLeavesTheDirectory(@TempDir Path tmp) throws Exception {
        Path out = Files.createDirectory(tmp.resolve("out"));
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("-o", out.toString(),
                    s.url("/../../../../tmp/escaped"),
                    s.url("/%2e%2e/%2e%2e/escaped"),
                    s.url("/..%2f..%2fescaped"),
                    s.url("/.."),
                    s.url("/."),
                    s.url("/a/..%5c..%5cescaped"),
                    s.url("/" + "x".repeat(400)));
            assertEquals(0, run.status(), run.stderr());
            assertEquals(List.of(out), listing(tmp), "only the output directory exists next to it");
            List<Path> files = listing(out);
            assertEquals(7, files.size(), files.toString());
            for (Path f : files) {
                String name = f.getFileName().toString();
                assertTrue(name.matches(SAFE_NAME), name);
                assertTrue(name.length() <= OutputFiles.MAX_NAME, name);
                assertTrue(Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS), name);
            }
        }
    }

    /** How a test plants a link at the file name the command will use. */
    @FunctionalInterface
    private interface Planter {
        void plant(Path link, Path existing) throws IOException;
    }

    /** Plants a link to a file outside DIR at the name of the first URL's file, runs, and checks the victim. */
    private static void assertPlantedLinkIsReplaced(Path tmp, Planter planter) throws Exception {
        Path out = Files.createDirectory(tmp.resolve("out"));
        Path victim = Files.writeString(tmp.resolve("victim.txt"), "keep me");
        try (EchoServer s = new EchoServer()) {
            Path planted = out.resolve("1-127.0.0.1_" + s.server.port() + "-a");
            planter.plant(planted, victim);
            CliRun run = CliRun.of("-o", out.toString(), s.url("/a"));
            assertEquals(0, run.status(), run.stderr());
            assertEquals("keep me", Files.readString(victim));
            assertFalse(Files.isSymbolicLink(planted));
            assertEquals("GET /a\n", Files.readString(planted));
        }
    }

    @Test
    void aSymbolicLinkAtTheTargetNameIsReplacedNotFollowed(@TempDir Path tmp) throws Exception {
        assertPlantedLinkIsReplaced(tmp, Files::createSymbolicLink);
    }

    @Test
    void aHardLinkAtTheTargetNameIsReplacedNotWrittenThrough(@TempDir Path tmp) throws Exception {
        assertPlantedLinkIsReplaced(tmp, Files::createLink);
    }

    @Test
    void aBodyCutShortLeavesNoFile(@TempDir Path tmp) throws Exception {
        try (io.dugong.testing.ScriptedServer s = io.dugong.testing.ScriptedServer.start(c -> {
            c.readRequest();
            c.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
            c.close();
        })) {
            CliRun run = CliRun.of("--retries", "0", "-o", tmp.toString(), s.uri("/cut").toString());
            assertEquals(1, run.status(), run.stderr());
            assertTrue(run.stderr().contains("the connection closed after 10 of the 100 body bytes"), run.stderr());
            assertEquals(List.of(), listing(tmp));
        }
    }

    @Test
    void includeWritesTheHeadIntoTheFile(@TempDir Path tmp) throws Exception {
        try (EchoServer s = new EchoServer()) {
            CliRun run = CliRun.of("-i", "-o", tmp.toString(), s.url("/a"));
            assertEquals(0, run.status(), run.stderr());
            String file = Files.readString(tmp.resolve("1-127.0.0.1_" + s.server.port() + "-a"));
            assertTrue(file.startsWith("HTTP/1.1 200 OK\r\n"), file);
            assertTrue(file.endsWith("\r\n\r\nGET /a\n"), file);
        }
    }

    @Test
    void anOutputPathThatIsAFileIsAUsageError(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        CliRun run = CliRun.of("-o", file.toString(), "http://127.0.0.1:9/");
        assertEquals(2, run.status());
        assertTrue(run.firstErrorLine().startsWith("dugong: cannot use " + file + " as the output directory"), run.stderr());
    }

    @Test
    void fileNamesAreOneSafeElementWhateverTheUrl() {
        assertEquals("1-example.org", OutputFiles.fileName(1, URI.create("http://example.org/")));
        assertEquals("2-example.org_8080-a-b.txt", OutputFiles.fileName(2, URI.create("http://example.org:8080/a/b.txt")));
        assertEquals("3-h-..-..-etc-passwd", OutputFiles.fileName(3, URI.create("http://h/../../etc/passwd")));
        assertEquals("4-h-_2e_2e_2f_5cx", OutputFiles.fileName(4, URI.create("http://h/%2e%2e%2f%5cx")));
        assertEquals("5-h_q_x_201", OutputFiles.fileName(5, URI.create("http://h/?q=x%201")));
    }

    @Test
    void writeCreatesExactlyTheNamedFile(@TempDir Path tmp) throws Exception {
        OutputFiles files = new OutputFiles(tmp);
        Path written = files.write(9, URI.create("http://h/x"), new byte[0], new ByteArrayInputStream("body".getBytes()));
        assertEquals(tmp.toRealPath().resolve("9-h-x"), written);
        assertEquals(List.of(written), listing(tmp.toRealPath()));
    }
}
