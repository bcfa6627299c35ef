package io.dugong.examples;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every example runs against a real local server and does what its Javadoc says. */
@Timeout(60)
class ExamplesTest {

    /** Answers {@code "page <target>"}, 404 under /missing. */
    private static ScriptedServer pages() {
        return ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                c.sendResponse(r.target().startsWith("/missing") ? 404 : 200, "page " + r.target());
            }
        });
    }

    @Test
    void blockingCallFetchesEachUrlOnItsOwnVirtualThread() throws Exception {
        try (ScriptedServer server = pages()) {
            List<URI> uris = new ArrayList<>();
            for (int i = 0; i < 50; i++) uris.add(server.uri("/doc" + i));
            Map<URI, String> results = BlockingCall.fetch(uris);
            assertEquals(50, results.size());
            for (int i = 0; i < 50; i++) {
                assertEquals("200, " + ("page /doc" + i).length() + " bytes", results.get(uris.get(i)));
            }
            assertEquals(50, server.acceptedConnections());
        }
    }

    @Test
    void senderAndReaderPipelineOnOneConnection() throws Exception {
        try (ScriptedServer server = pages()) {
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < 200; i++) paths.add("/p" + i);
            List<String> lines = SenderAndReader.fetch(server.uri(), paths);
            assertEquals(200, lines.size());
            for (int i = 0; i < 200; i++) assertEquals("/p" + i + " -> 200, " + ("page /p" + i).length() + " bytes", lines.get(i));
            assertEquals(1, server.acceptedConnections());
        }
    }

    @Test
    void httpCatWritesBodiesGroupedByOriginOneConnectionEach() throws Exception {
        try (ScriptedServer a = pages(); ScriptedServer b = pages()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int failures = HttpCat.cat(List.of(a.uri("/1"), b.uri("/x"), a.uri("/2"), a.uri("/missing"), b.uri("/y")), out);
            assertEquals(1, failures);
            assertEquals("page /1page /2page /missingpage /xpage /y", out.toString(StandardCharsets.UTF_8));
            assertEquals(1, a.acceptedConnections());
            assertEquals(1, b.acceptedConnections());
        }
    }

    @Test
    void extractLinksReportsALinkBeforeTheRestOfThePageHasArrived() throws Exception {
        CountDownLatch firstLinkSeen = new CountDownLatch(1);
        String part1 = "<html><head><title>t</title></head><body><p>Hello <a class=x href=\"/one\">one</a> ";
        String part2 = "and <img src='two.png' alt=\"&gt;\"> <A HREF=https://other.example/three?a=1&amp;b=2>3</A></body></html>";
        try (ScriptedServer server = ScriptedServer.start(c -> {
            c.readRequest();
            int length = (part1 + part2).getBytes(StandardCharsets.UTF_8).length;
            c.send("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + length + "\r\n\r\n" + part1);
            // The rest is sent only once the client has reported the first link: that is the point of the example.
            assertTrue(firstLinkSeen.await(10, TimeUnit.SECONDS), "the first link was not reported from the first part");
            c.send(part2);
        })) {
            List<URI> links = new CopyOnWriteArrayList<>();
            URI page = server.uri("/dir/page.html");
            int status = ExtractLinks.extract(page, link -> {
                links.add(link);
                firstLinkSeen.countDown();
            });
            assertEquals(200, status);
            assertEquals(List.of(page.resolve("/one"), page.resolve("two.png"), URI.create("https://other.example/three?a=1&b=2")),
                    links);
        }
    }

    @Test
    void theLinkScannerFindsLinksSplitAcrossChunks() {
        List<URI> links = new ArrayList<>();
        ExtractLinks.LinkScanner scanner = new ExtractLinks.LinkScanner(URI.create("http://h/"), links::add);
        String html = "<a href=\"/split-across\">x</a><link rel=stylesheet href='s.css'>";
        for (char c : html.toCharArray()) scanner.feed(new char[] {c}, 1);   // one character at a time
        assertEquals(List.of(URI.create("http://h/split-across"), URI.create("http://h/s.css")), links);
    }
}
