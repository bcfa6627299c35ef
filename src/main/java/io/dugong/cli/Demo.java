package io.dugong.cli;

import io.dugong.DugongClient;
import io.dugong.HttpConnection;
import io.dugong.Pipeline;
import io.dugong.PipelineOptions;
import io.dugong.Request;
import io.dugong.Response;
import io.dugong.ResponseHead;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code dugong --demo}: fetches the same documents from a local {@link DemoServer} four ways and
 * prints how long each took and how many TCP connections it opened, so that what pipelining buys is
 * visible with nothing installed. Every body is checked byte for byte.
 */
final class Demo {
    /** Requests in flight for the two many-thread ways: what DugongClient's defaults hold (4 × 32). */
    static final int CONCURRENCY = 4 * PipelineOptions.DEFAULT_DEPTH;
    static final int DOCUMENT_SIZE = 512;
    /** Requests each way makes before it is timed, so the JIT has compiled its hot code. */
    static final int WARM_UP = 100;

    /** One way of fetching documents 0..n-1, reporting each answer to the checker. */
    @FunctionalInterface
    interface Way {
        void fetch(DemoServer server, int n, Checker check) throws Exception;
    }

    /** One row of the table. */
    record Row(String name, double seconds, long connections, int errors, String firstError, String skipped) {
        double perSecond(int n) {
            return n / Math.max(seconds, 1e-9);
        }
    }

    private Demo() {
    }

    static int run(int n, Duration delay, PrintStream out, PrintStream err) {
        try (DemoServer server = DemoServer.start(delay, DOCUMENT_SIZE)) {
            out.printf(Locale.ROOT, "dugong demo: %,d documents of %d B from %s, which spends %s on each request%n",
                    n, DOCUMENT_SIZE, server.uri(), millis(delay));
            out.println("(it works on the requests it has read while it answers earlier ones, in order, like a backend"
                    + " with many workers)");
            out.println();
            List<Row> rows = new ArrayList<>();
            rows.add(measure("HttpConnection, one request at a time", server, n, Demo::sequential, null));
            rows.add(measure("Pipeline, depth " + PipelineOptions.DEFAULT_DEPTH + ", one connection", server, n,
                    Demo::pipelined, null));
            rows.add(measure("DugongClient, " + CONCURRENCY + " virtual threads", server, n, Demo::client, null));
            rows.add(measure("JDK HttpClient, " + CONCURRENCY + " virtual threads", server, n, JdkClientWay::fetch,
                    JdkClientWay.unavailable()));
            print(rows, n, out);
            int errors = rows.stream().mapToInt(Row::errors).sum();
            if (errors > 0) {
                rows.stream().filter(r -> r.errors() > 0).forEach(r ->
                        err.println("dugong demo: " + r.name() + ": " + r.errors() + " wrong answers; first: " + r.firstError()));
                return Main.FAILED;
            }
            return Main.OK;
        } catch (IOException e) {
            err.println("dugong demo: cannot start the local server: " + e.getMessage());
            return Main.FAILED;
        }
    }

    private static Row measure(String name, DemoServer server, int n, Way way, String skipped) {
        if (skipped != null) return new Row(name, 0, 0, 0, null, skipped);
        Checker check = new Checker(server);
        try {
            way.fetch(server, Math.min(WARM_UP, n), new Checker(server));
            long connectionsBefore = server.connectionsAccepted();
            long start = System.nanoTime();
            way.fetch(server, n, check);
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Row(name, seconds, server.connectionsAccepted() - connectionsBefore, check.errors.get(),
                    check.first.get(), null);
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            return new Row(name, 0, 0, Math.max(1, check.errors.get()), Fetch.reason(e), null);
        }
    }

    private static void print(List<Row> rows, int n, PrintStream out) {
        double base = rows.get(0).errors() == 0 ? rows.get(0).perSecond(n) : 0;
        out.printf(Locale.ROOT, "| %-40s | %8s | %9s | %11s | %13s |%n", "way", "time", "req/s", "connections", "× sequential");
        out.printf(Locale.ROOT, "|%s|%s|%s|%s|%s|%n", "-".repeat(42), "-".repeat(9) + ":", "-".repeat(10) + ":",
                "-".repeat(12) + ":", "-".repeat(14) + ":");
        for (Row r : rows) {
            if (r.skipped() != null) {
                out.printf(Locale.ROOT, "| %-40s | %s |%n", r.name(), "skipped: " + r.skipped());
                continue;
            }
            String times = base > 0 && r.errors() == 0 ? String.format(Locale.ROOT, "%.1f", r.perSecond(n) / base) : "-";
            out.printf(Locale.ROOT, "| %-40s | %6.2f s | %,9.0f | %,11d | %13s |%n", r.name(), r.seconds(), r.perSecond(n),
                    r.connections(), times + (r.errors() > 0 ? " (" + r.errors() + " errors)" : ""));
        }
        out.printf(Locale.ROOT, "%nEach way made %d untimed requests first (JIT warm-up); connections counts only the timed"
                + " run.%n", Math.min(WARM_UP, n));
    }

    private static String millis(Duration d) {
        return String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
    }

    /** One connection, one request at a time: the latency of every request is paid in full. */
    private static void sequential(DemoServer server, int n, Checker check) throws IOException {
        try (HttpConnection conn = HttpConnection.open(server.host(), server.port())) {
            for (int i = 0; i < n; i++) {
                conn.sendRequest("GET", "/doc/" + i);
                ResponseHead head = conn.readResponse();
                check.answer(i, head.status(), conn.readAll());
            }
        }
    }

    /** One connection, up to 32 requests in flight: the latencies overlap. */
    private static void pipelined(DemoServer server, int n, Checker check) throws Exception {
        try (Pipeline p = Pipeline.open(server.uri(), PipelineOptions.defaults())) {
            List<CompletableFuture<Response<byte[]>>> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) all.add(p.submit(Request.get("/doc/" + i)));   // blocks while the queue is full
            for (int i = 0; i < n; i++) {
                try {
                    Response<byte[]> r = all.get(i).get();
                    check.answer(i, r.status(), r.body());
                } catch (java.util.concurrent.ExecutionException e) {
                    check.failed(i, e.getCause());
                }
            }
        }
    }

    /** Blocking {@code send} from one virtual thread per document, as an application would. */
    private static void client(DemoServer server, int n, Checker check) throws InterruptedException {
        try (DugongClient client = DugongClient.newClient()) {
            onVirtualThreads(n, i -> {
                Response<byte[]> r = client.send(Request.get(document(server, i)));
                check.answer(i, r.status(), r.body());
            }, check);
        }
    }

    static URI document(DemoServer server, int i) {
        return URI.create(server.uri() + "/doc/" + i);
    }

    /** A task for document {@code i}. */
    @FunctionalInterface
    interface Task {
        void run(int i) throws Exception;
    }

    /**
     * Runs {@code task} for 0..n-1, one virtual thread each, at most {@link #CONCURRENCY} at a time (the
     * same for both clients, so they are compared at equal concurrency).
     */
    static void onVirtualThreads(int n, Task task, Checker check) throws InterruptedException {
        Semaphore inFlight = new Semaphore(CONCURRENCY);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                int doc = i;
                inFlight.acquire();
                threads.execute(() -> {
                    try {
                        task.run(doc);
                    } catch (Exception e) {
                        check.failed(doc, e);
                    } finally {
                        inFlight.release();
                    }
                });
            }
        }
    }

    /** Counts answers that are not the expected document. */
    static final class Checker {
        private final DemoServer server;
        final AtomicInteger errors = new AtomicInteger();
        final AtomicReference<String> first = new AtomicReference<>();

        Checker(DemoServer server) {
            this.server = server;
        }

        void answer(int i, int status, byte[] body) {
            if (status != 200 || !Arrays.equals(body, server.document(i))) {
                wrong("/doc/" + i + ": status " + status + ", " + body.length + " bytes");
            }
        }

        void failed(int i, Throwable e) {
            wrong("/doc/" + i + ": " + Fetch.reason(e));
        }

        private void wrong(String what) {
            errors.incrementAndGet();
            first.compareAndSet(null, what);
        }
    }
}
