package io.dugong;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static io.dugong.PipelineReplayTest.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * BodyReaders through a Pipeline, and a failing BodyReader: it fails only its own request, the connection goes on.
 */
@Timeout(30)
class BodyReadersTest {

    /** Serves the response registered for each target, all on one connection. */
    private static ScriptedServer serving(Map<String, byte[]> bodies, Map<String, String> contentTypes) {
        return ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                String type = contentTypes.get(r.target());
                byte[] body = bodies.getOrDefault(r.target(), r.target().getBytes(StandardCharsets.US_ASCII));
                if (type == null) c.sendResponse(200, body);
                else c.sendResponse(200, body, "Content-Type", type);
            }
        });
    }

    @Test
    void ofStringDecodesWithTheCharsetOfTheContentType() throws Exception {
        Map<String, byte[]> bodies = Map.of(
                "/latin1", "café".getBytes(StandardCharsets.ISO_8859_1),
                "/utf16", "café".getBytes(StandardCharsets.UTF_16BE),
                "/none", "café".getBytes(StandardCharsets.UTF_8));
        Map<String, String> types = Map.of(
                "/latin1", "text/plain; charset=ISO-8859-1",
                "/utf16", "text/plain;charset=\"UTF-16BE\"");
        try (ScriptedServer server = serving(bodies, types);
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            assertEquals("café", p.send(Request.get("/latin1"), BodyReaders.ofString()).body());
            assertEquals("café", p.send(Request.get("/utf16"), BodyReaders.ofString()).body());
            assertEquals("café", p.send(Request.get("/none"), BodyReaders.ofString()).body()); // UTF-8 by default
            assertEquals("cafÃ©", p.send(Request.get("/none"), BodyReaders.ofString(StandardCharsets.ISO_8859_1)).body());
        }
    }

    @Test
    void ofByteArrayKeepsEveryByte() throws Exception {
        byte[] all = new byte[256 * 64];
        for (int i = 0; i < all.length; i++) all[i] = (byte) i;
        try (ScriptedServer server = serving(Map.of("/bytes", all), Map.of());
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            assertArrayEquals(all, p.send(Request.get("/bytes"), BodyReaders.ofByteArray()).body());
        }
    }

    @Test
    void ofFileStreamsTheBodyIntoTheFile(@TempDir Path dir) throws Exception {
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        Path file = dir.resolve("download.bin");
        Files.writeString(file, "old content, longer than nothing");
        try (ScriptedServer server = serving(Map.of("/big", big), Map.of());
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            Response<Path> r = p.send(Request.get("/big"), BodyReaders.ofFile(file));

            assertEquals(file, r.body());
            assertArrayEquals(big, Files.readAllBytes(file));
        }
    }

    @Test
    void discardingDropsTheBodyAndTheNextResponseIsIntact() throws Exception {
        try (ScriptedServer server = serving(Map.of("/skip", new byte[100_000]), Map.of());
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            CompletableFuture<Response<Void>> skipped = p.submit(Request.get("/skip"), BodyReaders.discarding());
            CompletableFuture<Response<String>> next = p.submit(Request.get("/next"), BodyReaders.ofString());

            assertEquals(200, skipped.get().status());
            assertNull(skipped.get().body());
            assertEquals("/next", next.get().body());
        }
    }

    @Test
    void ofLinesSplitsOnAnyLineTerminator() throws Exception {
        byte[] text = "first\r\nsecond\nthird é\n\nlast".getBytes(StandardCharsets.UTF_8);
        try (ScriptedServer server = serving(Map.of("/lines", text), Map.of("/lines", "text/plain; charset=utf-8"));
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            assertEquals(List.of("first", "second", "third é", "", "last"),
                    p.send(Request.get("/lines"), BodyReaders.ofLines()).body());
        }
    }

    @Test
    void aBodyReaderThatThrowsFailsOnlyItsOwnRequestAndTheConnectionGoesOn() throws Exception {
        IllegalStateException bug = new IllegalStateException("reader bug");
        IOException ownFailure = new IOException("cannot store the body");
        Map<String, byte[]> bodies = Map.of("/throws", new byte[50_000], "/io", new byte[10]);
        try (ScriptedServer server = serving(bodies, Map.of());
             Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            CompletableFuture<Response<String>> before = p.submit(Request.get("/before"), BodyReaders.ofString());
            CompletableFuture<Response<Object>> throwing = p.submit(Request.get("/throws"), (head, in) -> {
                in.readNBytes(100); // reads part of the body, then fails
                throw bug;
            });
            CompletableFuture<Response<Object>> failingIo = p.submit(Request.get("/io"), (head, in) -> {
                throw ownFailure;
            });
            CompletableFuture<Response<String>> after = p.submit(Request.get("/after"), BodyReaders.ofString());

            assertEquals("/before", before.get().body());
            assertSame(bug, failure(throwing, IllegalStateException.class));
            assertSame(ownFailure, failure(failingIo, IOException.class));
            assertEquals("/after", after.get().body());
            assertEquals("/last", p.send(Request.get("/last"), BodyReaders.ofString()).body());
            assertEquals(1, server.acceptedConnections());
        }
    }
}
