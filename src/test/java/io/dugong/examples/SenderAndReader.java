package io.dugong.examples;

import io.dugong.HttpConnection;
import io.dugong.ResponseHead;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Python dugong's "own event loop" example, without a loop: on one {@link HttpConnection}, a
 * sender virtual thread writes requests while a reader virtual thread reads the responses in order.
 * The reader only asks for a response once a request is in flight, so the two hand over through a
 * queue. Neither waits for the other unless the TCP buffers are full, which is what pipelining is.
 *
 * <pre>{@code
 * ./dev example SenderAndReader http://example.org / /a /b /c
 * }</pre>
 */
public final class SenderAndReader {
    private static final String NO_MORE = "";

    private SenderAndReader() {
    }

    /**
     * Sends a GET for every path on one connection, reading the answers on another thread.
     *
     * @param origin {@code http://host:port}
     * @param paths  request targets such as {@code /a?b=c}
     * @return one line per path, in order: {@code "/a -> 200, 512 bytes"}
     */
    public static List<String> fetch(URI origin, List<String> paths) throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        try (HttpConnection conn = HttpConnection.open(origin)) {
            BlockingQueue<String> sent = new LinkedBlockingQueue<>();
            Thread sender = Thread.ofVirtual().name("sender").start(() -> {
                try {
                    for (String path : paths) {
                        conn.sendRequest("GET", path);    // returns once written; blocks only when the socket is full
                        sent.add(path);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    sent.add(NO_MORE);
                }
            });
            List<IOException> readFailure = new ArrayList<>(1);
            Thread reader = Thread.ofVirtual().name("reader").start(() -> {
                try {
                    for (String path; !(path = sent.take()).equals(NO_MORE); ) {
                        ResponseHead head = conn.readResponse();
                        lines.add(path + " -> " + head.status() + ", " + conn.discard() + " bytes");
                    }
                } catch (IOException e) {
                    readFailure.add(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            sender.join();
            reader.join();
            if (!readFailure.isEmpty()) throw readFailure.get(0);
        }
        return lines;
    }

    /**
     * Fetches the paths from the origin.
     *
     * @param args the origin, then paths
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        fetch(URI.create(args[0]), List.of(args).subList(1, args.length)).forEach(System.out::println);
    }
}
