package io.dugong.examples;

import io.dugong.HttpConnection;
import io.dugong.ResponseHead;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.RecordedRequest;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The README's "main job" for now: starts a local HTTP server on loopback, then fetches a few URLs
 * over one connection, sending every request before reading the first response.
 * Run with {@code ./dev demo}. (The CLI, {@code java -jar dugong.jar --demo}, will replace it.)
 */
public final class PipelinedFetchDemo {
    private PipelinedFetchDemo() {
    }

    /**
     * Runs the demo.
     *
     * @param args ignored
     */
    public static void main(String[] args) throws Exception {
        List<String> paths = List.of("/", "/fish.txt", "/seagrass.txt", "/missing", "/dugong.txt");
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                if (r.target().equals("/missing")) {
                    c.sendResponse(404, "no such page\n");
                } else {
                    c.sendResponse(200, "you asked for " + r.target() + " (request " + c.requestCount()
                            + " on this connection)\n");
                }
            }
        }); HttpConnection conn = HttpConnection.open(server.host(), server.port())) {
            System.out.println("Local server on " + server.uri() + "; sending " + paths.size() + " requests pipelined...");
            for (String p : paths) conn.sendRequest("GET", p);
            for (int i = 0; i < paths.size(); i++) {
                ResponseHead head = conn.readResponse();
                String body = new String(conn.readAll(), StandardCharsets.UTF_8);
                System.out.printf("%-4s %-14s -> %d %s: %s", head.method(), head.target(), head.status(), head.reason(), body);
            }
            System.out.println("TCP connections opened: " + server.acceptedConnections() + ", requests answered: "
                    + server.requestsRead());
        }
    }
}
