package io.dugong.examples;

import io.dugong.HttpConnection;
import io.dugong.Request;
import io.dugong.ResponseHead;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Python dugong's {@code httpcat.py}: writes the bodies of the given URLs to stdout, in order,
 * with one connection per origin and every request to that origin pipelined on it. A virtual thread
 * sends while the caller reads, so a long list cannot fill both TCP buffers and stall.
 *
 * <pre>{@code
 * ./dev example HttpCat http://example.org/a http://example.org/b https://example.net/
 * }</pre>
 */
public final class HttpCat {
    private HttpCat() {
    }

    /**
     * Writes the body of every URL to {@code out}; URLs of one origin share a connection.
     *
     * @param uris absolute http or https URLs
     * @param out  where the bodies go
     * @return how many responses had a status other than 2xx
     */
    public static int cat(List<URI> uris, OutputStream out) throws IOException, InterruptedException {
        Map<String, List<URI>> byOrigin = new LinkedHashMap<>();
        for (URI u : uris) byOrigin.computeIfAbsent(u.getScheme() + "://" + u.getRawAuthority(), k -> new ArrayList<>()).add(u);
        int failures = 0;
        for (Map.Entry<String, List<URI>> origin : byOrigin.entrySet()) {
            try (HttpConnection conn = HttpConnection.open(URI.create(origin.getKey()))) {
                List<URI> targets = origin.getValue();
                // readResponse needs a request in flight, so the reader waits for each send to finish.
                Semaphore sent = new Semaphore(0);
                AtomicReference<IOException> sendFailure = new AtomicReference<>();
                Thread sender = Thread.ofVirtual().start(() -> {
                    try {
                        for (URI u : targets) {
                            conn.sendRequest(Request.get(u));  // reduced to /path?query on the wire
                            sent.release();
                        }
                    } catch (IOException e) {
                        sendFailure.set(e);
                        sent.release(targets.size());          // wake the reader; it reports the failure
                    }
                });
                for (URI u : targets) {
                    sent.acquire();
                    if (!conn.responsePending() && sendFailure.get() != null) throw sendFailure.get();
                    ResponseHead head = conn.readResponse();
                    if (!head.isSuccess()) {
                        System.err.println(u + ": " + head.status() + " " + head.reason());
                        failures++;
                    }
                    try (var body = conn.responseBody()) {
                        body.transferTo(out);
                    }
                }
                sender.join();
            }
        }
        out.flush();
        return failures;
    }

    /**
     * Prints the bodies of the URLs; exits with 1 if any status was not 2xx.
     *
     * @param args absolute URLs
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        int failures = cat(List.of(args).stream().map(URI::create).toList(), System.out);
        if (failures > 0) System.exit(1);
    }
}
