package io.dugong.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;

/**
 * The ceiling of the design: two virtual threads over one blocking socket, with no library at all. A
 * sender writes canned GETs (as many as fit a 32 KiB batch at once, at most {@code depth} unanswered);
 * a reader parses just enough of each response to find its end (status code, Content-Length, body
 * skipped in place) and checks it. What a client does beyond this is the cost of its features.
 */
final class RawLoop {
    private static final int BUFFER = 64 * 1024;

    private RawLoop() {}

    /** {@code n} GETs of {@code path}, at most {@code depth} in flight; returns seconds. */
    static double run(String host, int port, int depth, int n, String path, int len) throws Exception {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port));
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            Semaphore window = new Semaphore(depth);
            long t0 = System.nanoTime();
            Clients.runPair(() -> send(out, request, window, n), () -> receive(in, window, n, len));
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private static void send(OutputStream out, byte[] request, Semaphore window, int n) throws Exception {
        int perBatch = Math.max(1, 32 * 1024 / request.length);
        byte[] batch = new byte[perBatch * request.length];
        for (int i = 0; i < perBatch; i++) System.arraycopy(request, 0, batch, i * request.length, request.length);
        for (int sent = 0; sent < n; ) {
            int want = Math.min(perBatch, n - sent);
            window.acquire(); // at least one, then whatever else the window allows at once
            int k = 1;
            while (k < want && window.tryAcquire()) k++;
            out.write(batch, 0, k * request.length);
            sent += k;
        }
        out.flush();
    }

    private static void receive(InputStream in, Semaphore window, int n, int len) throws IOException {
        byte[] buf = new byte[BUFFER];
        int pos = 0;
        int lim = 0;
        for (int answered = 0; answered < n; answered++) {
            // The head: up to the blank line.
            int end;
            while ((end = headEnd(buf, pos, lim)) < 0) {
                if (pos > 0) {
                    System.arraycopy(buf, pos, buf, 0, lim - pos);
                    lim -= pos;
                    pos = 0;
                }
                int r = in.read(buf, lim, buf.length - lim);
                if (r < 0) throw new IOException("the server closed after " + answered + " responses");
                lim += r;
            }
            int status = (buf[pos + 9] - '0') * 100 + (buf[pos + 10] - '0') * 10 + (buf[pos + 11] - '0');
            long length = contentLength(buf, pos, end);
            Clients.check(status, (int) length, len);
            pos = end;
            // The body: skipped where it lies, read into the buffer only as far as it is not there yet.
            long left = length;
            while (left > 0) {
                if (pos == lim) {
                    pos = lim = 0;
                    int r = in.read(buf, 0, buf.length);
                    if (r < 0) throw new IOException("the server closed inside a body");
                    lim = r;
                }
                int skip = (int) Math.min(left, lim - pos);
                pos += skip;
                left -= skip;
            }
            window.release();
        }
    }

    /** Index just after CR LF CR LF in buf[from, to), or -1. */
    private static int headEnd(byte[] b, int from, int to) {
        for (int i = from; i + 3 < to; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i + 4;
        }
        return -1;
    }

    private static long contentLength(byte[] b, int from, int to) {
        byte[] name = "\r\ncontent-length:".getBytes(StandardCharsets.ISO_8859_1);
        outer:
        for (int i = from; i + name.length < to; i++) {
            for (int j = 0; j < name.length; j++) {
                if ((b[i + j] | (j > 1 ? 0x20 : 0)) != name[j]) continue outer;
            }
            long v = 0;
            for (int k = i + name.length; k < to; k++) {
                if (b[k] == ' ') continue;
                if (b[k] < '0' || b[k] > '9') break;
                v = v * 10 + (b[k] - '0');
            }
            return v;
        }
        throw new IllegalStateException("no Content-Length in a response");
    }
}
