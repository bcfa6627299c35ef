package io.dugong.examples;

import io.dugong.DugongClient;
import io.dugong.Response;
import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The StructuredTaskScope example: 500 URLs, one subtask each, answered in order over few connections. */
@Timeout(60)
class StructuredFetchTest {

    @Test
    void fetchAllReturnsEveryResponseInTheOrderOfTheUrls() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "page " + r.target());
        }); DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(2).build()) {
            List<URI> uris = new ArrayList<>();
            for (int i = 0; i < 500; i++) uris.add(server.uri("/s" + i));
            List<Response<byte[]>> responses = StructuredFetch.fetchAll(client, uris);
            assertEquals(500, responses.size());
            for (int i = 0; i < 500; i++) {
                assertEquals(200, responses.get(i).status());
                assertEquals("page /s" + i, new String(responses.get(i).body(), StandardCharsets.UTF_8));
            }
            assertTrue(server.acceptedConnections() <= 2, "connections: " + server.acceptedConnections());
        }
    }
}
