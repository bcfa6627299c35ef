package io.dugong.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's HTTP/1.1 server on loopback: {@code GET /doc/N} answers a small document after a fixed
 * delay, as a backend that spends that long on each request would; anything else is a 404.
 *
 * <p>Why not the JDK's {@code com.sun.net.httpserver}: it handles the requests of one connection
 * strictly one after another, so with a 1 ms delay a pipelined connection could never exceed about
 * 1,000 requests a second, and the demo would measure the server, not the client. A real backend
 * (nginx in front of a pool of workers) works on the requests it has read while it writes earlier
 * answers. This server does the same, in the simplest form: per connection, a reader thread parses
 * requests and stamps each with the time its answer is ready (arrival + delay), and a writer thread
 * writes the answers strictly in request order, each no earlier than its ready time. Requests on one
 * connection thus overlap their delays, as HTTP/1.1 pipelining allows, while the bytes on the wire
 * stay in order as RFC 9112 requires. A sequential client still waits the full delay per request.
 */
final class DemoServer implements AutoCloseable {
    /** Answers queued per connection before its reader stops reading (the socket then pushes back). */
    private static final int QUEUE = 1024;
    private static final int HEAD_LIMIT = 16 * 1024;

    private final ServerSocket listener;
    private final long delayNanos;
    private final int documentSize;
    private final Thread acceptor;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private volatile boolean closed;

    /** One answer waiting for its turn: the bytes, when they may leave, and whether to close after. */
    private record Answer(byte[] bytes, long readyAt, boolean close) {
    }

    private DemoServer(Duration delay, int documentSize) throws IOException {
        this.delayNanos = delay.toNanos();
        this.documentSize = documentSize;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        this.acceptor = Thread.ofVirtual().name("demo-server-accept").start(this::acceptLoop);
    }

    /**
     * Starts a server on loopback.
     *
     * @param delay        how long each request "takes" before its answer may be written
     * @param documentSize bytes in each document body
     */
    static DemoServer start(Duration delay, int documentSize) throws IOException {
        return new DemoServer(delay, documentSize);
    }

    URI uri() {
        return URI.create("http://" + listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort());
    }

    String host() {
        return listener.getInetAddress().getHostAddress();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** TCP connections accepted so far. */
    long connectionsAccepted() {
        return accepted.get();
    }

    /** Answers written so far. */
    long requestsAnswered() {
        return answered.get();
    }

    /** The body of document {@code n}: the same bytes on every request, so clients can check them. */
    byte[] document(int n) {
        String first = "dugong demo document " + n + "\n";
        StringBuilder sb = new StringBuilder(documentSize).append(first);
        while (sb.length() < documentSize) sb.append((char) ('a' + (sb.length() + n) % 26));
        sb.setLength(documentSize);
        if (documentSize > 0) sb.setCharAt(documentSize - 1, '\n');
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = listener.accept();
                accepted.incrementAndGet();
                open.add(s);
                s.setTcpNoDelay(true);
                BlockingQueue<Answer> answers = new ArrayBlockingQueue<>(QUEUE);
                Thread.ofVirtual().name("demo-server-read").start(() -> readLoop(s, answers));
                Thread.ofVirtual().name("demo-server-write").start(() -> writeLoop(s, answers));
            } catch (IOException e) {
                if (!closed) continue;
                return;
            }
        }
    }

    private void readLoop(Socket s, BlockingQueue<Answer> answers) {
        try (InputStream in = new BufferedInputStream(s.getInputStream(), 16 * 1024)) {
            while (true) {
                String head = readHead(in);
                if (head == null) break;
                long arrived = System.nanoTime();
                String[] lines = head.split("\r\n");
                String[] requestLine = lines[0].split(" ");
                boolean close = requestLine.length < 3 || !requestLine[2].equals("HTTP/1.1");
                long bodyLength = 0;
                for (int i = 1; i < lines.length; i++) {
                    String line = lines[i].toLowerCase(Locale.ROOT);
                    if (line.startsWith("connection:") && line.contains("close")) close = true;
                    if (line.startsWith("content-length:")) bodyLength = Long.parseLong(line.substring(15).trim());
                    if (line.startsWith("transfer-encoding:")) close = true; // not needed by the demo: answer, then close
                }
                in.skipNBytes(bodyLength);
                String method = requestLine[0];
                String target = requestLine.length > 1 ? requestLine[1] : "";
                answers.put(new Answer(answer(method, target, close), arrived + delayNanos, close));
                if (close) break;
            }
        } catch (IOException | RuntimeException e) {
            // the client went away or sent something this small server does not speak: drop the connection
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            answers.offer(new Answer(null, 0, true));   // tells the writer there is nothing more
        }
    }

    private void writeLoop(Socket s, BlockingQueue<Answer> answers) {
        try (s; OutputStream out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024)) {
            while (true) {
                Answer a = answers.poll();
                if (a == null) {        // nothing ready to go: send what is buffered before waiting
                    out.flush();
                    a = answers.take();
                }
                if (a.bytes() == null) break;
                if (a.readyAt() - System.nanoTime() > 0) {
                    out.flush();        // what is ready leaves now, not with the next answer
                    for (long wait; (wait = a.readyAt() - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
                }
                out.write(a.bytes());
                answered.incrementAndGet();
                if (a.close()) break;
            }
            out.flush();
        } catch (IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(s);
        }
    }

    private byte[] answer(String method, String target, boolean close) {
        int status = 404;
        byte[] body = "no such document\n".getBytes(StandardCharsets.US_ASCII);
        if (target.startsWith("/doc/")) {
            try {
                int n = Integer.parseInt(target.substring(5));
                if (n >= 0) {
                    status = 200;
                    body = document(n);
                }
            } catch (NumberFormatException e) {
                // stays 404
            }
        }
        String head = "HTTP/1.1 " + status + (status == 200 ? " OK" : " Not Found") + "\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + (close ? "Connection: close\r\n" : "")
                + "\r\n";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(head.length() + body.length);
        bytes.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        if (!method.equals("HEAD")) bytes.writeBytes(body);
        return bytes.toByteArray();
    }

    /** Reads one request head (without its final empty line), or null at a clean end of stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(256);
        int state = 0;   // how much of CR LF CR LF has been seen
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) return null;
                throw new IOException("the connection ended inside a request head");
            }
            if (head.size() == 0 && (b == '\r' || b == '\n')) continue;   // RFC 9112 §2.2: ignore leading empty lines
            head.write(b);
            state = switch (state) {
                case 0, 2 -> b == '\r' ? state + 1 : 0;
                case 1 -> b == '\n' ? 2 : (b == '\r' ? 1 : 0);
                case 3 -> b == '\n' ? 4 : (b == '\r' ? 1 : 0);
                default -> 0;
            };
            if (state == 4) return head.toString(StandardCharsets.ISO_8859_1).stripTrailing();
            if (head.size() > HEAD_LIMIT) throw new IOException("request head too long");
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        try {
            acceptor.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
