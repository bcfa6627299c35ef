package io.dugong.cli;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;

import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A real HTTP/1.1 server for the command's tests: answers {@code "<method> <target>\n"} with 200,
 * 404 for targets under {@code /missing}, and keeps every request it read.
 */
final class EchoServer implements AutoCloseable {
    final Queue<RecordedRequest> requests = new ConcurrentLinkedQueue<>();
    final ScriptedServer server;

    EchoServer() {
        server = ScriptedServer.start(c -> {
            for (RecordedRequest r; (r = c.readRequest()) != null; ) {
                requests.add(r);
                byte[] body = (r.method() + " " + r.target() + "\n").getBytes(StandardCharsets.ISO_8859_1);
                int status = r.target().startsWith("/missing") ? 404 : 200;
                if (r.method().equals("HEAD")) {
                    c.sendResponse(status, new byte[0], "Content-Length", Integer.toString(body.length), "X-Echo", "yes");
                } else {
                    c.sendResponse(status, body, "X-Echo", "yes");
                }
            }
        });
    }

    String url(String path) {
        return server.uri(path).toString();
    }

    @Override
    public void close() {
        server.close();
    }
}
