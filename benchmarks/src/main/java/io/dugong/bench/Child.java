package io.dugong.bench;

import io.dugong.HttpConnection;
import io.dugong.Request;
import io.dugong.ResponseHead;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.StructuredTaskScope;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the workloads of one client family in this JVM (so clients don't share JIT profiles or heap)
 * and prints one {@link Row} per client variant. Any failed check throws: the JVM exits non-zero and
 * the whole benchmark run fails.
 *
 * <p>args: {@code family workloads(a,b,c,d,e) runs warmups port statusPort}
 */
final class Child {
    static final String HOST = "127.0.0.1";
    static final String SMALL = "/100b";
    static final String LARGE = "/64k";
    /** The 100 B file on a location where nginx closes the connection after every response (keepalive_requests 1). */
    static final String CLOSING = "/close/100b";

    private final Clients.Family family;
    private final int runs;
    private final int warmups;
    private final int port;
    private final int statusPort;

    private Child(Clients.Family family, int runs, int warmups, int port, int statusPort) {
        this.family = family;
        this.port = port;
        this.runs = runs;
        this.warmups = warmups;
        this.statusPort = statusPort;
    }

    static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[4]);
        Child child = new Child(Clients.family(args[0], HOST, port), Integer.parseInt(args[2]),
                Integer.parseInt(args[3]), port, Integer.parseInt(args[5]));
        for (String w : args[1].split(",")) {
            switch (w) {
                case "a" -> child.oneConnection("a", 20_000, SMALL, Nginx.SMALL);
                case "b" -> child.oneConnection("b", 20_000, LARGE, Nginx.LARGE);
                case "c" -> child.concurrent("c", SMALL, 20_000, 256);
                case "f" -> child.concurrent("f", CLOSING, 2_000, 64);
                case "d" -> child.latency(5_000);
                case "e" -> child.heap(10_000);
                default -> throw new IllegalArgumentException("unknown workload " + w);
            }
        }
        System.exit(0);   // don't wait for clients' lingering non-daemon threads
    }

    /** Server-side deltas, checked: nginx must have seen exactly the requests we think we made. */
    private long[] serverStats() throws Exception {
        return Nginx.stats(statusPort);
    }

    private long[] serverDelta(long[] before) throws Exception {
        long[] after = serverStats();
        return new long[] {after[0] - before[0] - 1, after[1] - before[1] - 1};   // minus the status request itself
    }

    private static void log(String s) {
        System.err.println("  [" + Thread.currentThread().getName() + "] " + s);
    }

    // (a), (b): one connection, each depth.
    private void oneConnection(String workload, int n, String path, int len) throws Exception {
        for (int depth : family.depths()) {
            double[] rps = new double[runs];
            double[] cpu = new double[runs];
            double[] alloc = new double[runs];
            for (int r = -warmups; r < runs; r++) {
                long[] before = serverStats();
                long cpu0 = cpuNanos();
                long alloc0 = allocatedBytes();
                double seconds = family.oneConnection().run(depth, n, path, len);
                long cpuUsed = cpuNanos() - cpu0;
                long allocated = allocatedBytes() - alloc0;
                long[] d = serverDelta(before);
                if (d[1] != n) throw new IllegalStateException(family.oneConnectionLabel() + " depth " + depth
                        + ": nginx answered " + d[1] + " requests, expected " + n);
                if (d[0] != 1) throw new IllegalStateException(family.oneConnectionLabel() + " depth " + depth
                        + ": " + d[0] + " connections accepted, expected exactly 1");
                if (r >= 0) {
                    rps[r] = n / seconds;
                    cpu[r] = cpuUsed / 1e3 / n;
                    alloc[r] = (double) allocated / n;
                }
            }
            Map<String, String> extra = new LinkedHashMap<>();
            extra.put(Row.CPU, String.format(java.util.Locale.ROOT, "%.2f", median(cpu)));
            if (allocatedBytes() >= 0) extra.put(Row.ALLOC, String.format(java.util.Locale.ROOT, "%.0f", median(alloc)));
            Row row = new Row(workload, family.oneConnectionLabel(), depth, rps, Double.NaN, Double.NaN, extra);
            System.out.println(row.line());
            log(String.format("%s %s depth %d: median %.0f req/s, %s µs CPU/request, %s B allocated/request", workload,
                    family.oneConnectionLabel(), depth, row.median(), extra.get(Row.CPU), extra.getOrDefault(Row.ALLOC, "?")));
        }
    }

    // (c): many virtual threads through one shared client; (f): the same where every response closes its connection.
    private void concurrent(String workload, String path, int n, int threads) throws Exception {
        for (Clients.Variant v : family.concurrent()) {
            // A bare Pipeline has no per-origin learning: (f) measures clients that pool connections.
            if (workload.equals("f") && v.label().startsWith("dugong Pipeline")) continue;
            double[] rps = new double[runs];
            double[] cpu = new double[runs];
            long maxConns = 0;
            long retried = 0;
            for (int r = -warmups; r < runs; r++) {
                long[] before = serverStats();
                double seconds;
                long cpu0 = cpuNanos();
                try (Clients.Shared client = v.factory().open(threads)) {
                    AtomicInteger next = new AtomicInteger();
                    AtomicReference<Throwable> error = new AtomicReference<>();
                    List<Thread> ts = new ArrayList<>();
                    long t0 = System.nanoTime();
                    for (int t = 0; t < threads; t++) {
                        ts.add(Thread.ofVirtual().start(() -> {
                            try {
                                while (next.getAndIncrement() < n && error.get() == null) {
                                    Clients.check(200, client.get(path), Nginx.SMALL);
                                }
                            } catch (Throwable e) {
                                error.compareAndSet(null, e);
                            }
                        }));
                    }
                    for (Thread t : ts) t.join();
                    seconds = (System.nanoTime() - t0) / 1e9;
                    if (error.get() != null) throw new IllegalStateException(v.label() + " failed", error.get());
                }
                long[] d = serverDelta(before);
                // A client may retry on its own (the JDK's does, on a pooled connection the server closed):
                // the server then sees more requests than were answered, never fewer.
                if (d[1] < n) throw new IllegalStateException(v.label() + ": nginx answered " + d[1] + ", expected " + n);
                retried += d[1] - n;
                maxConns = Math.max(maxConns, d[0]);
                if (r >= 0) {
                    rps[r] = n / seconds;
                    cpu[r] = (cpuNanos() - cpu0) / 1e3 / n;
                }
            }
            Row row = new Row(workload, v.label(), 1, rps, Double.NaN, Double.NaN, Map.of("connections", Long.toString(maxConns),
                    "retried", Long.toString(retried), Row.CPU, String.format(java.util.Locale.ROOT, "%.2f", median(cpu))));
            System.out.println(row.line());
            log(String.format("%s %s: median %.0f req/s, %d connections", workload, v.label(), row.median(), maxConns));
        }
    }

    // (d): sequential latency on one thread.
    private void latency(int n) throws Exception {
        Clients.Variant v = family.latency();
        if (v == null) return;
        double[] p50s = new double[runs];
        double[] p99s = new double[runs];
        double[] rps = new double[runs];
        long[] samples = new long[n];
        long maxConns = 0;
        long retried = 0;
        for (int r = -warmups; r < runs; r++) {
            long[] before = serverStats();
            long t0;
            long t1;
            try (Clients.Shared client = v.factory().open(1)) {
                Clients.check(200, client.get(SMALL), Nginx.SMALL);   // connect outside the samples
                t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    long s = System.nanoTime();
                    Clients.check(200, client.get(SMALL), Nginx.SMALL);
                    samples[i] = System.nanoTime() - s;
                }
                t1 = System.nanoTime();
            }
            long[] d = serverDelta(before);
            if (d[1] < n + 1) throw new IllegalStateException(v.label() + ": nginx answered " + d[1] + ", expected " + (n + 1));
            retried += d[1] - (n + 1);
            maxConns = Math.max(maxConns, d[0]);
            if (r >= 0) {
                long[] sorted = samples.clone();
                Arrays.sort(sorted);
                p50s[r] = sorted[(int) (n * 0.50)] / 1e3;
                p99s[r] = sorted[(int) (n * 0.99)] / 1e3;
                rps[r] = n / ((t1 - t0) / 1e9);
            }
        }
        Row row = new Row("d", v.label(), 1, rps, median(p50s), median(p99s), Map.of("connections",
                Long.toString(maxConns), "retried", Long.toString(retried)));
        System.out.println(row.line());
        log(String.format("d %s: p50 %.1f us, p99 %.1f us", v.label(), row.p50us(), row.p99us()));
    }

    // (e): 10,000 concurrent fetches in one StructuredTaskScope; every task holds its response (and,
    // for HttpConnection, its connection) until all have arrived, then the heap is measured.
    private void heap(int tasks) throws Exception {
        for (Clients.Variant v : family.heap()) {
            MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
            BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                    .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
            fullGc();
            long baseline = mem.getHeapMemoryUsage().getUsed();
            long directBaseline = direct.getMemoryUsed();
            int socketsBaseline = openSockets();
            AtomicLong peak = new AtomicLong(baseline);
            AtomicInteger sampling = new AtomicInteger(1);
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                while (sampling.get() == 1) {
                    peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                    LockSupport.parkNanos(1_000_000);
                }
            });
            CountDownLatch arrived = new CountDownLatch(tasks);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<Throwable> error = new AtomicReference<>();
            long[] before = serverStats();
            long held;
            long directHeld;
            int sockets;
            long t0 = System.nanoTime();
            double seconds;
            boolean perTaskConnection = v.factory() == null;
            try (Clients.Shared shared = perTaskConnection ? null : v.factory().open(tasks);
                 var scope = StructuredTaskScope.open()) {
                for (int i = 0; i < tasks; i++) {
                    scope.fork(() -> {
                        try {
                            if (perTaskConnection) {
                                try (HttpConnection conn = HttpConnection.open(HOST, port)) {
                                    conn.sendRequest(Request.get(SMALL));
                                    ResponseHead head = conn.readResponse();
                                    byte[] body = conn.readAll();
                                    Clients.check(head.status(), body.length, Nginx.SMALL);
                                    arrived.countDown();
                                    release.await();
                                    return body.length;
                                }
                            }
                            int len = shared.get(SMALL);
                            Clients.check(200, len, Nginx.SMALL);
                            arrived.countDown();
                            release.await();
                            return len;
                        } catch (Throwable e) {
                            error.compareAndSet(null, e);
                            throw e;
                        }
                    });
                }
                while (!arrived.await(100, TimeUnit.MILLISECONDS)) {
                    if (error.get() != null) break;
                }
                seconds = (System.nanoTime() - t0) / 1e9;
                if (error.get() != null) {
                    release.countDown();
                    throw new IllegalStateException(v.label() + " failed", error.get());
                }
                sampling.set(0);
                sampler.join();
                sockets = openSockets() - socketsBaseline;
                fullGc();
                held = mem.getHeapMemoryUsage().getUsed() - baseline;
                directHeld = direct.getMemoryUsed() - directBaseline;
                release.countDown();
                scope.join();
            }
            long[] d = serverDelta(before);
            if (d[1] < tasks) throw new IllegalStateException(v.label() + ": nginx answered " + d[1] + ", expected " + tasks);
            Map<String, String> extra = new LinkedHashMap<>();
            extra.put("seconds", String.format("%.2f", seconds));
            extra.put("accepted", Long.toString(d[0]));
            extra.put("retried", Long.toString(d[1] - tasks));
            extra.put("openSockets", Integer.toString(sockets));
            extra.put("peakHeapMB", String.format("%.1f", (peak.get()) / 1048576.0));
            extra.put("baselineHeapMB", String.format("%.1f", baseline / 1048576.0));
            extra.put("heldHeapMB", String.format("%.1f", held / 1048576.0));
            extra.put("heldDirectMB", String.format("%.1f", directHeld / 1048576.0));
            extra.put("KiBPerOpenConnection", sockets > 0 ? String.format("%.1f", held / 1024.0 / sockets) : "-");
            extra.put("KiBPerTask", String.format("%.2f", held / 1024.0 / tasks));
            Row row = new Row("e", v.label(), 1, new double[] {tasks / seconds}, Double.NaN, Double.NaN, extra);
            System.out.println(row.line());
            log("e " + v.label() + ": " + extra);
        }
    }

    /** CPU time of this whole process (all threads, GC and JIT included), in nanoseconds. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Heap bytes allocated so far by every thread of this process, terminated ones included (virtual
     * threads allocate on their carriers, so they are counted), or -1 where the JVM cannot tell.
     */
    static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled()) {
            return t.getTotalThreadAllocatedBytes();
        }
        return -1;
    }

    private static void fullGc() {
        for (int i = 0; i < 3; i++) System.gc();
    }

    /** Sockets this process holds (Linux /proc). */
    private static int openSockets() {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().startsWith("socket:");
                } catch (Exception e) {
                    return false;
                }
            }).count();
        } catch (Exception e) {
            return -1;
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
