package io.dugong.examples;

import io.dugong.HttpConnection;
import io.dugong.Request;
import io.dugong.ResponseHead;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Python dugong runs a blocking call inside a {@code select} loop so that one thread can wait on
 * many sockets. On the JVM the loop is not needed: a blocking call on a virtual thread parks the
 * virtual thread, not an operating-system thread, so each request is plain sequential code and
 * thousands can wait at once.
 *
 * <pre>{@code
 * ./dev example BlockingCall http://example.org/ http://example.org/about
 * }</pre>
 */
public final class BlockingCall {
    private BlockingCall() {
    }

    /**
     * Fetches each URL on its own virtual thread with its own connection, with blocking calls only.
     *
     * @param uris absolute http URLs
     * @return each URL's status and body size, e.g. {@code "200, 1256 bytes"}
     */
    public static Map<URI, String> fetch(List<URI> uris) throws InterruptedException {
        Map<URI, String> results = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (URI uri : uris) {
            threads.add(Thread.ofVirtual().start(() -> {
                try (HttpConnection conn = HttpConnection.open(uri)) {
                    conn.sendRequest(Request.get(uri));      // blocks while the socket cannot take more
                    ResponseHead head = conn.readResponse(); // blocks until the head is in
                    byte[] body = conn.readAll();            // blocks until the body is in
                    results.put(uri, head.status() + ", " + body.length + " bytes");
                } catch (IOException e) {
                    results.put(uri, "failed: " + e);
                }
            }));
        }
        for (Thread t : threads) t.join();  // meanwhile this thread could do anything else
        return results;
    }

    /**
     * Prints the status and size of each URL.
     *
     * @param args absolute http URLs
     */
    public static void main(String[] args) throws InterruptedException {
        List<URI> uris = java.util.Arrays.stream(args).map(URI::create).toList();
        fetch(uris).forEach((uri, result) -> System.out.println(uri + " -> " + result));
    }
}
