package io.dugong.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a fetch run has done so far: counts by status, failures with reasons (the first few kept in
 * full, the rest counted, so a million URLs need no list), bytes received. Updated by the fetch loop
 * and read by the progress line at the same time.
 */
final class Stats {
    /** Failures listed by reason in the summary; beyond these only the number is shown. */
    static final int LISTED_FAILURES = 20;

    private final long startNanos = System.nanoTime();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong badUrls = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final ConcurrentSkipListMap<Integer, AtomicLong> byStatus = new ConcurrentSkipListMap<>();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean inputComplete;

    void submitted() {
        submitted.incrementAndGet();
    }

    void inputComplete() {
        inputComplete = true;
    }

    /** A response arrived; 4xx and 5xx count as failures too. */
    void response(String url, int status, String reason, long bodyBytes) {
        bytes.addAndGet(bodyBytes);
        byStatus.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
        if (status >= 400) fail(url, status + " " + reason);
        done.incrementAndGet();
    }

    /** A request got no response, or its URL was unusable. */
    void failure(String url, String reason) {
        fail(url, reason);
        done.incrementAndGet();
    }

    /** A line of a URL file that is not a fetchable URL. */
    void badUrl(String where, String reason) {
        badUrls.incrementAndGet();
        fail(where, reason);
        done.incrementAndGet();
    }

    private void fail(String url, String reason) {
        long n = failed.incrementAndGet();
        if (n <= LISTED_FAILURES) failures.add(url + ": " + reason);
    }

    long done() {
        return done.get();
    }

    long failed() {
        return failed.get();
    }

    long badUrls() {
        return badUrls.get();
    }

    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** One line for the terminal: done/total, bytes, req/s, failures. */
    String progressLine() {
        double s = Math.max(elapsedSeconds(), 1e-9);
        long d = done.get();
        String total = inputComplete ? Long.toString(submitted.get() + badUrls.get()) : submitted.get() + "+";
        return String.format(Locale.ROOT, "%d/%s done, %s, %,.0f req/s, %d failed", d, total, size(bytes.get()), d / s,
                failed.get());
    }

    /** The end-of-run summary: counts by status, failures with reasons, elapsed, req/s. */
    void printSummary(PrintStream err) {
        double s = Math.max(elapsedSeconds(), 1e-9);
        long d = done.get();
        err.printf(Locale.ROOT, "dugong: %,d request%s in %.2f s (%,.0f req/s), %s received%n", d, d == 1 ? "" : "s", s, d / s,
                size(bytes.get()));
        StringBuilder counts = new StringBuilder();
        byStatus.forEach((status, n) -> counts.append(String.format(Locale.ROOT, "  %d: %,d", status, n.get())));
        if (!counts.isEmpty()) err.println("  by status:" + counts);
        long f = failed.get();
        if (f > 0) {
            err.printf(Locale.ROOT, "  failed: %,d%n", f);
            failures.forEach(line -> err.println("    " + line));
            if (f > LISTED_FAILURES) err.printf(Locale.ROOT, "    ... and %,d more%n", f - LISTED_FAILURES);
        }
    }

    static String size(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        if (n < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
    }
}
