package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DugongClient's optional redirects ({@code followRedirects}) and transparent decompression
 * ({@code decompress}): which redirects are followed and how the follow-up request is made, the limit,
 * and which responses are decoded and how their heads are adjusted. Both are off by default.
 */
@Timeout(30)
class DugongClientRedirectsAndDecodingTest {
    private static final String TEXT = "the quick brown dugong grazes on seagrass ".repeat(20);

    /** Answers each request from {@code script} (by target) and records it; unknown targets get 404. */
    private static ScriptedServer server(List<RecordedRequest> seen, Map<String, Answer> script) {
        return ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                seen.add(r);
                Answer a = script.get(r.target());
                if (a == null) c.sendResponse(404, "no script for " + r.target());
                else c.sendResponse(a.status, a.body, a.headers);
            }
        });
    }

    private record Answer(int status, byte[] body, String... headers) {
        static Answer of(int status, String body, String... headers) {
            return new Answer(status, body.getBytes(StandardCharsets.ISO_8859_1), headers);
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new GZIPOutputStream(out)) {
            z.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static byte[] deflate(String text, boolean zlibWrapped) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, !zlibWrapped);
        try (OutputStream z = new DeflaterOutputStream(out, deflater)) {
            z.write(text.getBytes(StandardCharsets.UTF_8));
        } finally {
            deflater.end();
        }
        return out.toByteArray();
    }

    // ---- redirects ----

    @Test
    void a302WithARelativeLocationIsFollowedAndItsBodyDiscarded() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/a/b", Answer.of(302, "moved body", "Location", "../c/d?x=1"),
                "/c/d?x=1", Answer.of(200, "final")));
             DugongClient client = DugongClient.builder().followRedirects(5).build()) {
            List<Integer> statusesRead = new CopyOnWriteArrayList<>();
            Response<String> r = client.send(Request.get(server.uri("/a/b")), (head, in) -> {
                statusesRead.add(head.status());
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            });

            assertEquals(List.of(200), statusesRead);
            assertEquals(200, r.status());
            assertEquals("final", r.body());
            assertEquals(server.uri("/c/d?x=1"), r.request().uri());
            assertEquals(List.of("/a/b", "/c/d?x=1"), seen.stream().map(RecordedRequest::target).toList());
        }
    }

    @Test
    void sendAsyncFollowsRedirectsToo() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/1", Answer.of(301, "", "Location", "/2"),
                "/2", Answer.of(308, "", "Location", "/3"),
                "/3", Answer.of(200, "three")));
             DugongClient client = DugongClient.builder().followRedirects(5).build()) {
            Response<String> r = client.sendAsync(Request.get(server.uri("/1")), BodyReaders.ofString()).get();

            assertEquals("three", r.body());
            assertEquals(List.of("/1", "/2", "/3"), seen.stream().map(RecordedRequest::target).toList());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {303, 302, 301})
    void a303AndA301Or302AnsweringAPostTurnItIntoAGetWithoutBody(int status) throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/form", Answer.of(status, "", "Location", "/result"),
                "/result", Answer.of(200, "done")));
             DugongClient client = DugongClient.builder().followRedirects(1).build()) {
            Request post = Request.builder("POST", server.uri("/form"))
                    .header("Content-Type", "text/plain").header("X-Kept", "yes").body("payload".getBytes()).build();
            Response<String> r = client.send(post, BodyReaders.ofString());

            assertEquals("done", r.body());
            RecordedRequest followUp = seen.get(1);
            assertEquals("GET", followUp.method());
            assertEquals("", followUp.bodyAsString());
            assertFalse(followUp.header("Content-Length").isPresent(), followUp.headText());
            assertFalse(followUp.header("Content-Type").isPresent(), followUp.headText());
            assertEquals(List.of("yes"), followUp.headers("X-Kept"));
            assertEquals("GET", r.request().method());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {307, 308})
    void a307Or308KeepsTheMethodAndTheBody(int status) throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/old", Answer.of(status, "", "Location", "/new"),
                "/new", Answer.of(201, "stored")));
             DugongClient client = DugongClient.builder().followRedirects(1).build()) {
            Request post = Request.builder("POST", server.uri("/old"))
                    .header("Content-Type", "text/plain").body("payload".getBytes()).build();
            Response<String> r = client.send(post, BodyReaders.ofString());

            assertEquals(201, r.status());
            RecordedRequest followUp = seen.get(1);
            assertEquals("/new", followUp.target());
            assertEquals("POST", followUp.method());
            assertEquals("payload", followUp.bodyAsString());
            assertEquals(List.of("text/plain"), followUp.headers("Content-Type"));
        }
    }

    @Test
    void aRedirectToAnotherOriginDropsAuthorizationAndCookie() throws Exception {
        List<RecordedRequest> seenThere = new CopyOnWriteArrayList<>();
        List<RecordedRequest> seenHere = new CopyOnWriteArrayList<>();
        try (ScriptedServer there = server(seenThere, Map.of("/landing", Answer.of(200, "there")));
             ScriptedServer here = server(seenHere, Map.of(
                     "/go", Answer.of(302, "", "Location", there.uri("/landing").toString())));
             DugongClient client = DugongClient.builder().followRedirects(1).build()) {
            Request get = Request.builder("GET", here.uri("/go")).header("Authorization", "Bearer secret")
                    .header("Cookie", "session=1").header("Proxy-Authorization", "Basic x").header("X-Other", "1").build();
            Response<String> r = client.send(get, BodyReaders.ofString());

            assertEquals("there", r.body());
            RecordedRequest followUp = seenThere.getFirst();
            assertFalse(followUp.header("Authorization").isPresent(), followUp.headText());
            assertFalse(followUp.header("Cookie").isPresent(), followUp.headText());
            assertFalse(followUp.header("Proxy-Authorization").isPresent(), followUp.headText());
            assertEquals(List.of("1"), followUp.headers("X-Other"));
            assertEquals("127.0.0.1:" + there.port(), followUp.header("Host").orElseThrow());
        }
    }

    @Test
    void aRedirectWithinTheOriginKeepsAuthorization() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/go", Answer.of(307, "", "Location", "/landing"),
                "/landing", Answer.of(200, "here")));
             DugongClient client = DugongClient.builder().followRedirects(1).build()) {
            Request get = Request.builder("GET", server.uri("/go"))
                    .header("Authorization", "Bearer secret").header("Cookie", "session=1").build();
            client.send(get, BodyReaders.ofString());

            assertEquals(List.of("Bearer secret"), seen.get(1).headers("Authorization"));
            assertEquals(List.of("session=1"), seen.get(1).headers("Cookie"));
        }
    }

    @Test
    void whenTheLimitIsReachedTheNextRedirectIsReturnedWithItsBody() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/0", Answer.of(302, "zero", "Location", "/1"),
                "/1", Answer.of(302, "one", "Location", "/2"),
                "/2", Answer.of(302, "two", "Location", "/3"),
                "/3", Answer.of(200, "never reached")));
             DugongClient client = DugongClient.builder().followRedirects(2).build()) {
            Response<String> r = client.send(Request.get(server.uri("/0")), BodyReaders.ofString());

            assertEquals(302, r.status());
            assertEquals("two", r.body());
            assertEquals("/3", r.headers().first("Location").orElseThrow());
            assertEquals(server.uri("/2"), r.request().uri());
            assertEquals(3, seen.size());
        }
    }

    @Test
    void redirectsAreNotFollowedByDefault() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/go", Answer.of(302, "moved", "Location", "/landing"),
                "/landing", Answer.of(200, "landing")));
             DugongClient client = DugongClient.newClient()) {
            Response<String> r = client.send(Request.get(server.uri("/go")), BodyReaders.ofString());

            assertEquals(302, r.status());
            assertEquals("moved", r.body());
            assertEquals(1, seen.size());
        }
    }

    @Test
    void aRedirectWithoutLocationOrToAnotherSchemeIsReturnedAsItIs() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/none", Answer.of(302, "no location"),
                "/ftp", Answer.of(301, "ftp", "Location", "ftp://example.org/file")));
             DugongClient client = DugongClient.builder().followRedirects(3).build()) {
            assertEquals("no location", client.send(Request.get(server.uri("/none")), BodyReaders.ofString()).body());
            assertEquals("ftp", client.send(Request.get(server.uri("/ftp")), BodyReaders.ofString()).body());
            assertEquals(2, seen.size());
        }
    }

    @Test
    void theRequestTimeoutCoversTheWholeChainOfRedirects() throws Exception {
        CountDownLatch answerLanding = new CountDownLatch(1);
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                if (r.target().equals("/go")) {
                    c.sendResponse(302, new byte[0], "Location", "/landing");
                } else {
                    PipelineCancellationTest.await(answerLanding);
                    c.sendResponse(200, "late");
                }
            }
        }); DugongClient client = DugongClient.builder().followRedirects(1)
                .requestTimeout(Duration.ofSeconds(2)).build()) {
            try {
                assertThrows(ConnectionTimedOutException.class, () -> client.send(Request.get(server.uri("/go"))));
                server.awaitRequests(2); // the redirect was followed before the time ran out
            } finally {
                answerLanding.countDown();
            }
        }
    }

    // ---- decompression ----

    @Test
    void aGzipBodyIsDecodedAndContentEncodingAndLengthAreRemoved() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        byte[] encoded = gzip(TEXT);
        AtomicReference<ResponseHead> headSeen = new AtomicReference<>();
        try (ScriptedServer server = server(seen, Map.of("/z", new Answer(200, encoded,
                "Content-Type", "text/plain; charset=utf-8", "Content-Encoding", "gzip")));
             DugongClient client = DugongClient.builder().decompress(true).build()) {
            Response<String> r = client.send(Request.get(server.uri("/z")), (head, in) -> {
                headSeen.set(head);
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            });

            assertEquals(TEXT, r.body());
            assertEquals(List.of("gzip, deflate"), seen.getFirst().headers("Accept-Encoding"));
            assertFalse(r.headers().contains("Content-Encoding"), r.headers().toString());
            assertFalse(r.headers().contains("Content-Length"), r.headers().toString());
            assertEquals("text/plain; charset=utf-8", r.headers().first("Content-Type").orElseThrow());
            assertFalse(headSeen.get().headers().contains("Content-Encoding"));
            assertFalse(headSeen.get().headers().contains("Content-Length"));
            assertTrue(headSeen.get().length().isEmpty());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aDeflateBodyIsDecodedWhetherZlibWrappedOrRaw(boolean zlibWrapped) throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of("/z", new Answer(200, deflate(TEXT, zlibWrapped),
                "Content-Encoding", "deflate")));
             DugongClient client = DugongClient.builder().decompress(true).build()) {
            Response<String> r = client.send(Request.get(server.uri("/z")), BodyReaders.ofString());

            assertEquals(TEXT, r.body());
            assertFalse(r.headers().contains("Content-Encoding"));
        }
    }

    @Test
    void decompressionIsOffByDefault() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        byte[] encoded = gzip(TEXT);
        try (ScriptedServer server = server(seen, Map.of("/z", new Answer(200, encoded, "Content-Encoding", "gzip")));
             DugongClient client = DugongClient.newClient()) {
            Response<byte[]> r = client.send(Request.get(server.uri("/z")));

            assertArrayEquals(encoded, r.body());
            assertFalse(seen.getFirst().header("Accept-Encoding").isPresent(), seen.getFirst().headText());
            assertEquals("gzip", r.headers().first("Content-Encoding").orElseThrow());
            assertEquals(String.valueOf(encoded.length), r.headers().first("Content-Length").orElseThrow());
        }
    }

    @Test
    void aRequestsOwnAcceptEncodingIsSentAsItIsAndItsResponseLeftEncoded() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        byte[] encoded = gzip(TEXT);
        try (ScriptedServer server = server(seen, Map.of("/z", new Answer(200, encoded, "Content-Encoding", "gzip")));
             DugongClient client = DugongClient.builder().decompress(true).build()) {
            Response<byte[]> r = client.send(Request.builder("GET", server.uri("/z")).header("Accept-Encoding", "gzip").build());

            assertEquals(List.of("gzip"), seen.getFirst().headers("Accept-Encoding"));
            assertArrayEquals(encoded, r.body());
            assertEquals("gzip", r.headers().first("Content-Encoding").orElseThrow());
        }
    }

    @Test
    void anUnknownContentEncodingIsPassedThroughUntouched() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        byte[] opaque = {1, 2, 3, 4, 5};
        try (ScriptedServer server = server(seen, Map.of("/br", new Answer(200, opaque, "Content-Encoding", "br")));
             DugongClient client = DugongClient.builder().decompress(true).build()) {
            Response<byte[]> r = client.send(Request.get(server.uri("/br")));

            assertArrayEquals(opaque, r.body());
            assertEquals("br", r.headers().first("Content-Encoding").orElseThrow());
            assertEquals("5", r.headers().first("Content-Length").orElseThrow());
        }
    }

    @Test
    void responsesWithoutABodyButWithContentEncodingGzipDoNotFail() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/head", new Answer(200, new byte[0], "Content-Encoding", "gzip", "Content-Length", "1234"),
                "/not-modified", new Answer(304, new byte[0], "Content-Encoding", "gzip"),
                "/no-content", new Answer(204, new byte[0], "Content-Encoding", "gzip")));
             DugongClient client = DugongClient.builder().decompress(true).build()) {
            Response<byte[]> head = client.send(Request.head(server.uri("/head")));
            Response<byte[]> notModified = client.send(Request.get(server.uri("/not-modified")));
            Response<byte[]> noContent = client.send(Request.get(server.uri("/no-content")));

            assertEquals(0, head.body().length);
            assertEquals("1234", head.headers().first("Content-Length").orElseThrow());
            assertEquals(304, notModified.status());
            assertEquals(0, notModified.body().length);
            assertEquals(204, noContent.status());
            assertEquals(0, noContent.body().length);
        }
    }

    @Test
    void anEmptyGzipBodyReadsAsEmpty() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of("/empty", new Answer(200, new byte[0], "Content-Encoding", "gzip")));
             DugongClient client = DugongClient.builder().decompress(true).build()) {
            Response<byte[]> r = client.send(Request.get(server.uri("/empty")));

            assertEquals(200, r.status());
            assertEquals(0, r.body().length);
        }
    }

    @Test
    void aRedirectedRequestIsDecodedAtItsFinalHop() throws Exception {
        List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer server = server(seen, Map.of(
                "/go", new Answer(302, gzip("moved"), "Location", "/z", "Content-Encoding", "gzip"),
                "/z", new Answer(200, gzip(TEXT), "Content-Encoding", "gzip")));
             DugongClient client = DugongClient.builder().followRedirects(1).decompress(true).build()) {
            Response<String> r = client.sendAsync(Request.get(server.uri("/go")), BodyReaders.ofString()).get();

            assertEquals(TEXT, r.body());
            assertEquals(List.of("gzip, deflate"), seen.get(1).headers("Accept-Encoding"));
        }
    }
}
