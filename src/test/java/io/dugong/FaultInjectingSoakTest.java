package io.dugong;

import io.dugong.testing.FaultInjectingServer;
import io.dugong.testing.FaultInjectingServer.Fault;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The soak: many small GETs and POSTs (and a few PUTs expecting 100 Continue) through one
 * {@link DugongClient}, from 64 to 256 virtual threads, against a {@link FaultInjectingServer} that
 * closes (mid-head, or unannounced after a response), resets, stalls, truncates bodies, announces
 * {@code Connection: close} mid-pipeline (some bodies then end with the connection), sends interim
 * 103 responses and delays, by a seeded schedule. It checks the promises of
 * DESIGN §3 ("nothing is lost") at scale:
 *
 * <ul>
 *   <li>every request ends: answered with its own response — the {@code X-Nonce} names the request, the
 *       body matches its CRC and the content expected for that request — or failed in a way its fate
 *       allows: a POST with {@link UnansweredRequestException} (never "not sent" for a POST the server
 *       read, and never sent twice), a GET or PUT whose retry budget was spent, or a timeout of the one request
 *       the server stalled on;</li>
 *   <li>no response reaches the wrong request (misrouted: 0), no body arrives corrupt or short;</li>
 *   <li>nothing hangs: every wait is bounded by the client's timeouts, and the worker threads end;</li>
 *   <li>after closing, open file descriptors and live {@code dugong-*} threads are back at their level
 *       before the run, and used heap after GC stays within a bound of where it was early in the run.</li>
 * </ul>
 *
 * <p>System properties: {@code dugong.soak.requests} (default {@value #DEFAULT_REQUESTS}) and
 * {@code dugong.soak.seconds} (a wall-clock cap on issuing requests, default {@value #DEFAULT_SECONDS};
 * 0 for none): the run ends at whichever comes first, so {@code ./dev test} spends at most about two
 * minutes here on any machine, and the report says how many requests that covered (on a quiet 2-core machine
 * the whole million fits; under load a third of it). {@code dugong.soak.seed} (default random; printed,
 * and in every failure message), {@code dugong.soak.threads} (default drawn from the seed in 64..256),
 * {@code dugong.soak.faultScale} (multiplies every fault rate; default 1) and {@code dugong.soak.faults}
 * ({@code false} for a fault-free baseline). The full million, however long it takes:
 * <pre>
 * ./dev mvn -B test -Dtest=FaultInjectingSoakTest -Ddugong.soak.seconds=0 -Dsurefire.timeout=3600
 * </pre>
 * The seed fixes the fault schedule of each connection and the method and size of each request; which
 * request meets which fault also depends on thread scheduling, so a rerun reproduces the mix, not
 * every interleaving.
 */
class FaultInjectingSoakTest {
    static final int DEFAULT_REQUESTS = 1_000_000;
    static final int DEFAULT_SECONDS = 110;

    /**
     * Per response: 1 % delayed, 0.5 % behind an interim 103, about 0.5 % end the connection one way or
     * another, 1 in 20,000 stalls.
     */
    private static final FaultInjectingServer.Rates RATES =
            new FaultInjectingServer.Rates(0.01, 0.0008, 0.0008, 0.0008, 0.0015, 0.0008, 0.00005, 0.005, 0.0008);
    private static final FaultInjectingServer.Rates NO_FAULTS = new FaultInjectingServer.Rates(0, 0, 0, 0, 0, 0, 0, 0, 0);
    /** The client's inactivity timeout; a stall lasts longer, so the client must give up on it. */
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final Duration STALL = Duration.ofSeconds(4);
    private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(10);
    /** The last line of defence against a hang: no call may take longer. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** No request ending for this long is a hang: every call is bounded by the request timeout. */
    private static final Duration HANG = REQUEST_TIMEOUT.plusSeconds(30);
    private static final long MIB = 1024 * 1024;
    /** Heap that the run may gain between its first fifth and its end, all requests answered. */
    private static final long HEAP_GROWTH_BOUND = 32 * MIB;
    /** Heap that may remain after everything is closed, over the level before the client existed. */
    private static final long HEAP_AFTER_CLOSE_BOUND = 16 * MIB;

    /** How each request ended, one of these per request index. */
    enum Outcome {
        /** Its own response, complete and intact. */
        ANSWERED,
        /** A POST that failed saying it may have reached the server. */
        POST_UNANSWERED_MAY_HAVE_REACHED,
        /** A POST that failed saying it was not sent (and the server indeed never read it). */
        POST_UNANSWERED_NOT_SENT,
        /** A GET or PUT whose connection ended more often than its retry budget allows. */
        IDEMPOTENT_RETRY_BUDGET_SPENT,
        /** The request the server went silent on: the client's inactivity timeout ended it. */
        TIMED_OUT_ON_STALL,
        // Violations: each must stay at 0.
        /** A response carrying another request's nonce. */
        MISROUTED,
        /** Its own nonce but a wrong status, body or checksum. */
        CORRUPT,
        /** A timeout although the server never stalled on it. */
        UNEXPECTED_TIMEOUT,
        /** Any other failure (an exception type or a reason the rules do not allow). */
        UNEXPECTED_FAILURE,
        /** A POST reported "not sent" that the server did read. */
        FALSELY_NOT_SENT,
        /** A POST the server read more than once (a POST must never be replayed). */
        POST_REPLAYED;

        boolean violation() {
            return ordinal() >= MISROUTED.ordinal();
        }
    }

    private long seed;
    private final Map<Outcome, LongAdder> counts = new EnumMap<>(Outcome.class);
    private final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
    private final AtomicInteger sampleCount = new AtomicInteger();
    private final AtomicLong slowestNanos = new AtomicLong();
    /**
     * POSTs failed because they were pipelined behind a {@code Connection: close} answer: the server did
     * not process them (RFC 9112 §9.6), yet they are reported as possibly reached, which is conservative.
     */
    private final LongAdder postsBehindAnnouncedClose = new LongAdder();
    /** The server of the run (none during the warm-up): its ledger tells which requests it stalled on. */
    private volatile FaultInjectingServer server;

    @Test
    void everyRequestEndsAnsweredOrFailedAsItsFateAllowsAndNothingLeaks() throws Exception {
        seed = Long.getLong("dugong.soak.seed", System.nanoTime());
        int requests = Integer.getInteger("dugong.soak.requests", DEFAULT_REQUESTS);
        int seconds = Integer.getInteger("dugong.soak.seconds", DEFAULT_SECONDS);
        int threads = Integer.getInteger("dugong.soak.threads", 64 + new SplittableRandom(seed).nextInt(193));
        for (Outcome o : Outcome.values()) counts.put(o, new LongAdder());
        System.out.printf("[soak] seed=%d requests=%d cap=%ds threads=%d (reproduce with -Ddugong.soak.seed=%d"
                + " -Ddugong.soak.requests=%d -Ddugong.soak.threads=%d)%n", seed, requests, seconds, threads, seed, requests, threads);

        warmUp(); // loads classes and opens what the JDK keeps for the life of the process, so the baselines hold
        // Threads first: listing them makes a temporary file, whose name the JDK draws from a SecureRandom
        // that keeps /dev/random and /dev/urandom open for the life of the process.
        int threadsBefore = dugongThreads();
        List<String> fdTargetsBefore = openFileDescriptorTargets();
        int fdsBefore = fdTargetsBefore.size();

        long started;
        int issued;
        long heapBefore;
        long heapEarly;
        long heapEnd;
        AtomicIntegerArray outcome = new AtomicIntegerArray(requests);
        boolean[] isPost = new boolean[requests];
        int peakFds = fdsBefore;
        int peakThreads = threadsBefore;
        // dugong.soak.faults=false runs the same load against a well-behaved server: a baseline for the figures.
        boolean faults = Boolean.parseBoolean(System.getProperty("dugong.soak.faults", "true"));
        // dugong.soak.faultScale multiplies every fault rate, for a harsher hunt than the default mix.
        double scale = Double.parseDouble(System.getProperty("dugong.soak.faultScale", "1"));
        server = FaultInjectingServer.start(seed, faults ? RATES.scaled(scale) : NO_FAULTS, STALL, requests);
        try {
            heapBefore = usedHeapAfterGc();
            DugongClient client = client();
            AtomicInteger next = new AtomicInteger();
            LongAdder done = new LongAdder();
            started = System.nanoTime();
            long capNanos = seconds == 0 ? Long.MAX_VALUE : Duration.ofSeconds(seconds).toNanos();
            List<Thread> workers = new ArrayList<>();
            try {
                for (int w = 0; w < threads; w++) {
                    workers.add(Thread.ofVirtual().name("soak-worker-" + w).start(() -> {
                        // The clock is read before an index is taken, so every index taken is sent.
                        for (int i; System.nanoTime() - started < capNanos && (i = next.getAndIncrement()) < requests; ) {
                            Outcome o = exchange(client, server.uri(), i, isPost);
                            outcome.set(i, o.ordinal() + 1);
                            counts.get(o).increment();
                            done.increment();
                        }
                    }));
                }
                // Progress, and the early heap sample: a fifth of the way, or 20 s in, whichever comes first.
                heapEarly = -1;
                long lastReport = System.nanoTime();
                long lastDone = 0;
                long lastProgress = System.nanoTime();
                while (workers.stream().anyMatch(Thread::isAlive)) {
                    Thread.sleep(200); // polling the workers' progress; nothing is timed by this
                    if (heapEarly < 0 && (done.sum() >= requests / 5 || System.nanoTime() - started > 20e9)) {
                        heapEarly = usedHeapAfterGc();
                    }
                    if (System.nanoTime() - lastReport > 10e9) {
                        lastReport = System.nanoTime();
                        peakFds = Math.max(peakFds, openFileDescriptors());
                        peakThreads = Math.max(peakThreads, dugongThreads());
                        System.out.printf("[soak] %4.0f s: %,d done, %s; faults %s%n", (lastReport - started) / 1e9,
                                done.sum(), summary(), server.injected());
                    }
                    if (done.sum() != lastDone) {
                        lastDone = done.sum();
                        lastProgress = System.nanoTime();
                    } else if (System.nanoTime() - lastProgress > HANG.toNanos()) {
                        System.out.println("[soak] no request ended for " + HANG + "; threads:\n" + threadDump("TEXT"));
                        fail(failure("no request ended for " + HANG + " (a hang; the thread dump is above)"));
                    }
                }
                issued = Math.min(next.get(), requests);
                if (heapEarly < 0) heapEarly = usedHeapAfterGc();
                heapEnd = usedHeapAfterGc();
            } finally {
                for (Thread w : workers) w.interrupt(); // only after a failure are any still running
                client.close();
            }
        } finally {
            server.close();
        }
        double elapsed = (System.nanoTime() - started) / 1e9;

        // The server's ledger against what the client reported, now that nothing is sent any more.
        for (int i = 0; i < issued; i++) {
            if (!isPost[i]) continue;
            Outcome o = Outcome.values()[outcome.get(i) - 1];
            if (server.received(i) > 1) {
                counts.get(record(Outcome.POST_REPLAYED, "POST " + i + " was read " + server.received(i) + " times")).increment();
            }
            if (o == Outcome.POST_UNANSWERED_NOT_SENT && server.received(i) > 0) {
                counts.get(record(Outcome.FALSELY_NOT_SENT, "POST " + i + " was reported not sent, but the server read it")).increment();
            }
        }

        int fdsAfter = awaitAtMost(FaultInjectingSoakTest::openFileDescriptors, fdsBefore);
        int threadsAfter = awaitAtMost(FaultInjectingSoakTest::dugongThreads, threadsBefore);
        long heapAfterClose = usedHeapAfterGc();

        long answered = counts.get(Outcome.ANSWERED).sum();
        String report = String.format("[soak] seed=%d: %,d requests (%d threads) in %.1f s = %,.0f requests/s; %s"
                        + " (%,d of those POSTs pipelined behind an announced close);%n"
                        + "[soak]   faults injected %s over %,d connections (%,d requests read, %,d announced closes with"
                        + " requests pipelined behind);%n"
                        + "[soak]   slowest call %.2f s; file descriptors %d before, peak %d, %d after;"
                        + " dugong threads %d before, peak %d, %d after;%n"
                        + "[soak]   used heap after GC: %.1f MiB before, %.1f MiB early, %.1f MiB at the end, %.1f MiB after close",
                seed, issued, threads, elapsed, issued / elapsed, summary(), postsBehindAnnouncedClose.sum(), server.injected(), server.connections(),
                server.requestsRead(), server.announcedClosesWithRequestsBehind(), slowestNanos.get() / 1e9,
                fdsBefore, peakFds, fdsAfter, threadsBefore, peakThreads, threadsAfter,
                heapBefore / (double) MIB, heapEarly / (double) MIB, heapEnd / (double) MIB, heapAfterClose / (double) MIB);
        System.out.println(report);
        System.out.printf("[soak]   reproduce: -Ddugong.soak.seed=%d -Ddugong.soak.requests=%d -Ddugong.soak.seconds=0"
                + " -Ddugong.soak.threads=%d%n", seed, issued, threads);
        samples.forEach(s -> System.out.println("[soak]   " + s));

        assertEquals(List.of(), server.clientErrors(), failure("the server received malformed requests"));
        long accounted = counts.values().stream().mapToLong(LongAdder::sum).sum()
                - counts.get(Outcome.POST_REPLAYED).sum() - counts.get(Outcome.FALSELY_NOT_SENT).sum();
        assertEquals(issued, accounted, failure("requests issued vs requests that ended"));
        for (Outcome o : Outcome.values()) {
            if (o.violation()) assertEquals(0, counts.get(o).sum(), failure(o + " (see the samples above)"));
        }
        assertTrue(answered > issued * (1 - 0.1 * scale), failure("only " + answered + " of " + issued + " answered"));
        assertTrue(slowestNanos.get() <= REQUEST_TIMEOUT.plusSeconds(5).toNanos(), failure("a call outlasted the request timeout"));
        if (faults && issued >= 100_000) {
            // Enough requests that every kind of fault is expected several times: the soak did exercise them.
            for (Fault f : Fault.values()) assertTrue(server.injected().get(f) > 0, failure("no " + f + " was injected"));
        }
        List<String> fdsLeft = new ArrayList<>(openFileDescriptorTargets());
        fdTargetsBefore.forEach(fdsLeft::remove);
        assertTrue(fdsAfter <= fdsBefore, failure("file descriptors: " + fdsBefore + " before, " + fdsAfter
                + " after closing; new ones: " + fdsLeft));
        assertTrue(threadsAfter <= threadsBefore, failure("dugong threads: " + threadsBefore + " before, " + threadsAfter + " after closing"));
        assertTrue(heapEnd - heapEarly <= HEAP_GROWTH_BOUND, failure("used heap grew from " + heapEarly / MIB + " MiB to "
                + heapEnd / MIB + " MiB during the run"));
        assertTrue(heapAfterClose - heapBefore <= HEAP_AFTER_CLOSE_BOUND, failure("used heap " + heapAfterClose / MIB
                + " MiB after closing, " + heapBefore / MIB + " MiB before the client existed"));
    }

    private static DugongClient client() {
        return DugongClient.builder()
                .maxConnectionsPerOrigin(6)
                .pipelineDepth(32)
                .retries(3)
                .connectTimeout(Duration.ofSeconds(5))
                .timeout(TIMEOUT)
                .headTimeout(HEAD_TIMEOUT)
                .requestTimeout(REQUEST_TIMEOUT)
                .idleTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** Sends request {@code i} (its method and size drawn from the seed and {@code i}) and judges how it ended. */
    private Outcome exchange(DugongClient client, URI origin, int i, boolean[] isPost) {
        SplittableRandom r = new SplittableRandom(seed ^ (i * 0x9E3779B97F4A7C15L));
        int kind = r.nextInt(100);
        boolean post = kind < 30;
        // A few idempotent uploads that ask for 100 Continue: while one waits, its pipeline sends nothing else.
        boolean put = kind >= 98;
        isPost[i] = post;
        int len = r.nextInt(8) == 0 ? r.nextInt(8192) : r.nextInt(512);
        byte[] expected;
        Request request;
        if (post || put) {
            expected = FaultInjectingServer.content(~(long) i, len); // not what a GET of i gets
            URI target = origin.resolve("/soak/" + i);
            request = (post ? Request.post(target, expected) : Request.put(target, expected).withExpect100())
                    .withHeader("X-Body-Crc", FaultInjectingServer.crc(expected));
        } else {
            expected = FaultInjectingServer.content(i, len);
            request = Request.get(origin.resolve("/soak/" + i + "?len=" + len));
        }
        long t0 = System.nanoTime();
        try {
            Response<byte[]> response = client.send(request);
            return judge(i, request, expected, response);
        } catch (UnansweredRequestException e) {
            if (post) {
                if (e.getCause() instanceof NotProcessedException) postsBehindAnnouncedClose.increment();
                return e.mayHaveReachedServer() ? Outcome.POST_UNANSWERED_MAY_HAVE_REACHED : Outcome.POST_UNANSWERED_NOT_SENT;
            }
            if (String.valueOf(e.getMessage()).contains("retry budget")) return Outcome.IDEMPOTENT_RETRY_BUDGET_SPENT;
            return record(Outcome.UNEXPECTED_FAILURE, request + ": " + stackTrace(e));
        } catch (ConnectionTimedOutException e) {
            // The server marks a stall in its ledger before its first silent moment, so it is there by now.
            FaultInjectingServer s = server;
            if (s != null && s.stalledOn(i)) return Outcome.TIMED_OUT_ON_STALL;
            return record(Outcome.UNEXPECTED_TIMEOUT, request + ": " + stackTrace(e));
        } catch (Exception | Error e) {
            return record(Outcome.UNEXPECTED_FAILURE, request + ": " + stackTrace(e));
        } finally {
            slowestNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
        }
    }

    private Outcome judge(int i, Request request, byte[] expected, Response<byte[]> response) {
        String nonce = response.headers().first("X-Nonce").orElse("(none)");
        if (!nonce.equals(Integer.toString(i))) {
            return record(Outcome.MISROUTED, request + " got the response to request " + nonce);
        }
        if (!response.request().uri().equals(request.uri())) {
            return record(Outcome.MISROUTED, request + " got a response naming " + response.request());
        }
        byte[] body = response.body();
        String crc = response.headers().first("X-Crc").orElse("(none)");
        if (response.status() != 200 || !java.util.Arrays.equals(expected, body) || !crc.equals(FaultInjectingServer.crc(body))) {
            return record(Outcome.CORRUPT, request + ": status " + response.status() + ", " + body.length + " of "
                    + expected.length + " bytes, X-Crc " + crc + " vs " + FaultInjectingServer.crc(body));
        }
        return Outcome.ANSWERED;
    }

    /** Keeps the first few violations for the report; returns {@code o}. */
    private Outcome record(Outcome o, String sample) {
        if (sampleCount.incrementAndGet() <= 10) samples.add(o + ": " + sample);
        return o;
    }

    private String summary() {
        StringBuilder sb = new StringBuilder();
        for (Outcome o : Outcome.values()) {
            long n = counts.get(o).sum();
            if (n > 0 || !o.violation() || o == Outcome.MISROUTED) sb.append(sb.isEmpty() ? "" : ", ").append(o).append(' ').append(n);
        }
        return sb.toString();
    }

    private String failure(String what) {
        return "soak seed=" + seed + " (rerun with -Ddugong.soak.seed=" + seed + "): " + what + "; " + summary();
    }

    /** A short run against a fault-free server, closed again, so that the baselines taken next hold. */
    private void warmUp() throws Exception {
        try (FaultInjectingServer s = FaultInjectingServer.start(seed, NO_FAULTS, STALL, 2_000);
             DugongClient client = client()) {
            List<Thread> ws = new ArrayList<>();
            AtomicInteger next = new AtomicInteger();
            boolean[] isPost = new boolean[2_000];
            for (int w = 0; w < 16; w++) {
                ws.add(Thread.ofVirtual().start(() -> {
                    for (int i; (i = next.getAndIncrement()) < 2_000; ) exchange(client, s.uri(), i, isPost);
                }));
            }
            for (Thread w : ws) w.join(Duration.ofSeconds(60));
        }
        for (Outcome o : Outcome.values()) counts.get(o).reset();
        samples.clear();
        sampleCount.set(0);
        postsBehindAnnouncedClose.reset();
        slowestNanos.set(0);
    }

    // ---- what the process holds

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc(); // a few rounds: references freed by one collection go in the next
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Polls {@code probe} until it is at most {@code level}, for up to 10 s (closing is asynchronous); returns the last value. */
    private static int awaitAtMost(java.util.function.IntSupplier probe, int level) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int now;
        while ((now = probe.getAsInt()) > level && System.nanoTime() < deadline) {
            Thread.sleep(50); // polling for asynchronous closes, not timing an assertion
        }
        return now;
    }

    /** Entries of /proc/self/fd (every open file descriptor), or 0 where there is no such directory. */
    static int openFileDescriptors() {
        return openFileDescriptorTargets().size();
    }

    /** What each open file descriptor refers to ({@code socket:[inode]}, a path, ...), for messages. */
    static List<String> openFileDescriptorTargets() {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) return List.of();
        List<String> targets = new ArrayList<>();
        try (Stream<Path> s = Files.list(fds)) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                try {
                    targets.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed between listing and reading (the listing's own descriptor, say): not open
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return targets;
    }

    /**
     * Live threads named {@code dugong-*}, virtual ones included. {@link Thread#getAllStackTraces()}
     * lists no virtual threads, so they are counted in a JSON thread dump, reached by reflection so that
     * the test module needs no {@code requires jdk.management}.
     */
    static int dugongThreads() {
        String dump = threadDump("JSON");
        int n = 0;
        for (int at = 0; (at = dump.indexOf("\"name\": \"dugong-", at)) >= 0; at++) n++;
        return n;
    }

    /** A thread dump of the whole process, virtual threads included, in {@code format} (TEXT or JSON). */
    private static String threadDump(String format) {
        try {
            Path dump = Files.createTempFile("soak-threads", ".dump");
            try {
                Files.delete(dump); // dumpThreads refuses to overwrite
                Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
                Class<?> bean = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
                Class<?> formats = Class.forName("com.sun.management.HotSpotDiagnosticMXBean$ThreadDumpFormat");
                Object diagnostics = factory.getMethod("getPlatformMXBean", Class.class).invoke(null, bean);
                @SuppressWarnings({"unchecked", "rawtypes"})
                Object f = Enum.valueOf((Class) formats, format);
                Method m = bean.getMethod("dumpThreads", String.class, formats);
                m.invoke(diagnostics, dump.toAbsolutePath().toString(), f);
                return Files.readString(dump);
            } finally {
                Files.deleteIfExists(dump);
            }
        } catch (IOException | ReflectiveOperationException e) {
            throw new IllegalStateException("could not dump the threads", e);
        }
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }
}
