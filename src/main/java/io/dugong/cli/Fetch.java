package io.dugong.cli;

import io.dugong.Body;
import io.dugong.BodyReader;
import io.dugong.DugongClient;
import io.dugong.Headers;
import io.dugong.Request;
import io.dugong.Response;
import io.dugong.ResponseHead;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * {@code dugong URL...}: fetches every URL through one {@link DugongClient} (so requests to the same
 * origin are pipelined on its connections) and writes the bodies to stdout in input order, or one
 * file each with {@code -o}.
 *
 * <p>At most {@link #window} requests are outstanding: the loop submits URLs as it reads them and,
 * once the window is full, finishes one (the oldest for stdout, any finished one for {@code -o})
 * before reading the next. Memory therefore stays bounded however long the URL list is, and stdout
 * gets the bodies in the order of the input.
 */
final class Fetch {
    private final Options options;
    private final InputStream stdin;
    private final PrintStream out;
    private final Stats stats = new Stats();
    private final int window;
    private OutputFiles files;
    private Headers headers;
    private Body body;

    /** A submitted request waiting to be finished in input order. */
    private record Pending(UrlSource.Entry entry, CompletableFuture<Response<Saved>> future) {
    }

    /** What the body reader made of a body: the bytes (stdout) or the file (-o), and its size. */
    private record Saved(byte[] bytes, Path file, long size) {
    }

    Fetch(Options options, InputStream stdin, PrintStream out) {
        this.options = options;
        this.stdin = stdin;
        this.out = out;
        // Twice what the connections of one origin hold in flight keeps each pipeline's queue primed.
        this.window = Math.max(16, 2 * options.connections * options.depth);
    }

    Stats stats() {
        return stats;
    }

    /** Prepares what every request shares; a problem here is a usage error (a missing -d @file, an unwritable -o). */
    void prepare() throws Options.UsageException {
        Headers.Builder h = Headers.builder();
        boolean contentType = false;
        for (String[] nv : options.headers) {
            h.add(nv[0], nv[1]);
            contentType |= nv[0].equalsIgnoreCase("Content-Type");
        }
        body = Body.empty();
        if (options.data != null) {
            if (!contentType) h.add("Content-Type", "application/x-www-form-urlencoded"); // as curl -d does
            body = dataBody(options.data);
        }
        headers = h.build();
        if (options.outputDir != null) {
            try {
                files = new OutputFiles(options.outputDir);
            } catch (IOException e) {
                throw new Options.UsageException("cannot use " + options.outputDir + " as the output directory: " + e.getMessage());
            }
        }
    }

    private Body dataBody(String data) throws Options.UsageException {
        if (!data.startsWith("@")) return Body.of(data.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String name = data.substring(1);
        if (name.equals("-")) {
            try {
                return Body.of(stdin.readAllBytes());
            } catch (IOException e) {
                throw new Options.UsageException("cannot read the body from stdin: " + e.getMessage());
            }
        }
        Path file = Path.of(name);
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new Options.UsageException("cannot read the body file " + name);
        }
        return Body.ofFile(file);   // streamed from disk, and read again for each URL or replay
    }

    /**
     * Fetches everything {@code source} gives. With bodies on stdout, requests are finished in input
     * order (the output must be); with {@code -o}, in the order they complete, so one slow server
     * does not hold up the files of the others.
     */
    void run(DugongClient client, UrlSource source) throws InterruptedException {
        Deque<Pending> inOrder = new ArrayDeque<>();
        BlockingQueue<Pending> completed = new LinkedBlockingQueue<>();
        int outstanding = 0;
        for (UrlSource.Entry e; (e = source.next()) != null; ) {
            String problem = UrlCheck.problem(e.url());
            if (problem != null) {
                stats.badUrl(e.where(), problem);
                continue;
            }
            for (; outstanding >= window; outstanding--) finish(files == null ? inOrder.poll() : completed.take());
            CompletableFuture<Response<Saved>> f;
            try {
                URI uri = UrlCheck.toUri(e.url());
                Request request = new Request(options.effectiveMethod(), uri, headers, body, false);
                f = client.sendAsync(request, reader(e.sequence(), uri));
            } catch (IllegalArgumentException bad) {
                stats.badUrl(e.where(), bad.getMessage());
                continue;
            }
            stats.submitted();
            Pending p = new Pending(e, f);
            outstanding++;
            if (files == null) {
                inOrder.add(p);
            } else {
                f.whenComplete((r, x) -> completed.add(p));
                for (Pending done; (done = completed.poll()) != null; outstanding--) finish(done);
            }
        }
        stats.inputComplete();
        for (; outstanding > 0; outstanding--) finish(files == null ? inOrder.poll() : completed.take());
        out.flush();
    }

    private BodyReader<Saved> reader(long sequence, URI uri) {
        boolean include = options.include || options.head;
        if (files == null) {
            return (head, in) -> {
                byte[] b = in.readAllBytes();
                return new Saved(b, null, b.length);
            };
        }
        // Runs on the pipeline's reader thread: the body goes straight to its file, never whole into memory.
        return (head, in) -> {
            Counting counted = new Counting(in);
            Path file = files.write(sequence, uri, include ? OutputFiles.ascii(headText(head)) : new byte[0], counted);
            return new Saved(null, file, counted.count);
        };
    }

    private void finish(Pending p) throws InterruptedException {
        String url = p.entry().url();
        try {
            Response<Saved> r = p.future().get();
            if (files == null) {
                if (options.include || options.head) {
                    byte[] head = OutputFiles.ascii(headText(r.status(), r.reason(), r.headers()));
                    out.write(head, 0, head.length);
                }
                out.write(r.body().bytes(), 0, r.body().bytes().length);
            }
            stats.response(url, r.status(), r.reason(), r.body().size());
        } catch (ExecutionException e) {
            stats.failure(url, reason(e.getCause()));
        } catch (CancellationException e) {
            stats.failure(url, "cancelled");
        }
    }

    static String reason(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.lines().findFirst().orElse(""));
    }

    private static String headText(ResponseHead head) {
        return headText(head.status(), head.reason(), head.headers());
    }

    private static String headText(int status, String reason, Headers headers) {
        StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
        for (int i = 0; i < headers.size(); i++) {
            sb.append(headers.name(i)).append(": ").append(headers.value(i)).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    /** Counts the bytes read through it. */
    private static final class Counting extends java.io.FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }
    }
}
