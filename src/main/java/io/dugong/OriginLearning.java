package io.dugong;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * How deep one origin may be pipelined, learnt from what it does (one per origin in a
 * {@link DugongClient}). An origin starts at a small depth, doubled after as many correct responses in a
 * row as the depth; it falls back to depth 1 (plain keep-alive) when it answers HTTP/1.0, announces
 * {@code Connection: close} on the first response of a connection, closes more than a set number of
 * connections with pipelined requests unanswered, or answers out of protocol. A fallback, and the count
 * of such closes, is forgotten after the expiry, so an origin that was fixed (or a network path that
 * changed) is tried again. A mode forced with {@link DugongClient#pipelining} overrides all this.
 *
 * <p>Called for every request (picking a connection) and every response (on the pipelines' reader
 * threads), so the common cases read volatile fields only: the depth, and, once nothing is left to
 * learn from a normal response, the answer count. Changes take a lock held for a few field updates.
 */
final class OriginLearning {
    private static final System.Logger LOG = System.getLogger("io.dugong");

    private final URI origin;
    private final int maxDepth;
    private final int initialDepth;
    private final int maxUnansweredCloses;
    private final long expiryNanos;
    /** System.nanoTime(), or a test's clock. */
    private final LongSupplier clock;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private DugongClient.Mode mode = DugongClient.Mode.AUTO;
    private OriginStats.Verdict verdict;
    private int depth;
    /** Correct responses in a row since the depth last changed. */
    private int streak;
    private final java.util.concurrent.atomic.LongAdder responses = new java.util.concurrent.atomic.LongAdder();
    /** The depth now, for readers that take no lock. Written with lock held. */
    private volatile int currentDepth;
    /** When a fallback expires (clock), or 0 if there is none. Written with lock held. */
    private volatile long fallbackExpiresAt;
    /** Whether a normal response (HTTP/1.1, no close) teaches nothing: a forced mode, or a verdict reached. */
    private volatile boolean settled;
    private int unansweredCloses;
    /** When the first of {@link #unansweredCloses} happened (clock), for forgetting them. */
    private long closesSince;
    private String reason;
    /** When {@link #verdict} was reached (clock), and the same on the wall clock; 0 and null while learning. */
    private long decidedNanos;
    private Instant decidedAt;

    OriginLearning(URI origin, int maxDepth, int initialDepth, int maxUnansweredCloses, Duration expiry, LongSupplier clock) {
        this.origin = origin;
        this.maxDepth = maxDepth;
        this.initialDepth = Math.min(initialDepth, maxDepth);
        this.maxUnansweredCloses = maxUnansweredCloses;
        this.expiryNanos = expiry.toNanos();
        this.clock = clock;
        startLearning("no response yet");
        publish();
    }

    /** The most requests in flight per connection now. */
    int depth() {
        long expires = fallbackExpiresAt;
        if (expires != 0 && clock.getAsLong() - expires >= 0) {
            lock.lock();
            try {
                expireIfDue(clock.getAsLong());
            } finally {
                lock.unlock();
            }
        }
        return currentDepth;
    }

    /** With lock held: publishes the state for the lock-free readers. */
    private void publish() {
        currentDepth = switch (mode) {
            case OFF -> 1;
            case ON -> maxDepth;
            case AUTO -> depth;
        };
        settled = mode != DugongClient.Mode.AUTO || verdict != OriginStats.Verdict.LEARNING;
        fallbackExpiresAt = mode == DugongClient.Mode.AUTO && verdict == OriginStats.Verdict.KEEP_ALIVE
                ? decidedNanos + expiryNanos : 0;
    }

    /** Forces a mode; back to {@code AUTO} starts learning afresh. */
    void mode(DugongClient.Mode newMode) {
        lock.lock();
        try {
            mode = newMode;
            if (newMode == DugongClient.Mode.AUTO) startLearning("set to AUTO");
            publish();
            log("mode set to " + newMode);
        } finally {
            lock.unlock();
        }
    }

    /** See {@link PipelineEvents#answered}. */
    void answered(ResponseFacts facts, boolean firstOnConnection) {
        responses.increment();
        boolean normal = facts.minorVersion() != 0 && !facts.closeAnnounced();
        if (settled && (normal || currentDepth == 1)) return; // nothing to learn: no lock
        lock.lock();
        try {
            if (mode != DugongClient.Mode.AUTO || verdict == OriginStats.Verdict.KEEP_ALIVE) return;
            if (facts.minorVersion() == 0) {
                fallBack("it answers HTTP/1.0");
            } else if (firstOnConnection && facts.closeAnnounced()) {
                fallBack("it sent Connection: close on the first response of a connection");
            } else if (!facts.closeAnnounced() && ++streak >= depth && depth < maxDepth) {
                depth = Math.min(depth * 2, maxDepth);
                streak = 0;
                if (depth == maxDepth) {
                    decide(OriginStats.Verdict.PIPELINING, "responses came back correctly up to the full depth");
                } else {
                    reason = "responses came back correctly; depth raised to " + depth;
                    log(reason);
                }
            }
        } finally {
            publish();
            lock.unlock();
        }
    }

    /** See {@link PipelineEvents#closedWithPipelinedUnanswered}: halves the depth, falls back after too many. */
    void closedWithPipelinedUnanswered(int unanswered, String why) {
        lock.lock();
        try {
            long now = clock.getAsLong();
            if (unansweredCloses > 0 && now - closesSince >= expiryNanos) unansweredCloses = 0;
            if (unansweredCloses++ == 0) closesSince = now;
            if (mode != DugongClient.Mode.AUTO || verdict == OriginStats.Verdict.KEEP_ALIVE) return;
            streak = 0;
            if (unansweredCloses > maxUnansweredCloses) {
                fallBack("it closed " + unansweredCloses + " connections with pipelined requests unanswered (last: "
                        + unanswered + " unanswered, " + why + ")");
            } else {
                depth = Math.max(1, depth / 2);
                verdict = OriginStats.Verdict.LEARNING;
                reason = "it closed a connection with " + unanswered + " pipelined requests unanswered; depth lowered to " + depth;
                log(reason);
            }
        } finally {
            publish();
            lock.unlock();
        }
    }

    /** See {@link PipelineEvents#outOfProtocol}. */
    void outOfProtocol(String why) {
        lock.lock();
        try {
            if (mode == DugongClient.Mode.AUTO && verdict != OriginStats.Verdict.KEEP_ALIVE) {
                fallBack("it answered out of protocol (" + why + ")");
            }
        } finally {
            publish();
            lock.unlock();
        }
    }

    OriginStats stats() {
        lock.lock();
        try {
            expireIfDue(clock.getAsLong());
            long answered = responses.sum();
            return switch (mode) {
                case OFF -> new OriginStats(origin, mode, OriginStats.Verdict.KEEP_ALIVE, 1, "forced OFF",
                        answered, unansweredCloses, decidedAt);
                case ON -> new OriginStats(origin, mode, OriginStats.Verdict.PIPELINING, maxDepth, "forced ON",
                        answered, unansweredCloses, decidedAt);
                case AUTO -> new OriginStats(origin, mode, verdict, depth, reason, answered, unansweredCloses, decidedAt);
            };
        } finally {
            lock.unlock();
        }
    }

    private void fallBack(String why) {
        depth = 1;
        streak = 0;
        decide(OriginStats.Verdict.KEEP_ALIVE, why + "; not pipelined (keep-alive only) until the fallback expires");
    }

    private void decide(OriginStats.Verdict v, String why) {
        verdict = v;
        reason = why;
        decidedNanos = clock.getAsLong();
        decidedAt = Instant.now();
        log(v + ": " + why);
    }

    /** A fallback older than the expiry is forgotten: the origin is learnt afresh. */
    private void expireIfDue(long now) {
        if (verdict == OriginStats.Verdict.KEEP_ALIVE && decidedNanos != 0 && now - decidedNanos >= expiryNanos) {
            startLearning("the fallback (" + reason + ") expired");
            publish();
            log(reason);
        }
    }

    private void startLearning(String why) {
        verdict = initialDepth == maxDepth ? OriginStats.Verdict.PIPELINING : OriginStats.Verdict.LEARNING;
        depth = initialDepth;
        streak = 0;
        unansweredCloses = 0;
        reason = "learning: " + why;
        decidedNanos = 0;
        decidedAt = null;
    }

    private void log(String what) {
        LOG.log(System.Logger.Level.DEBUG, "pipelining to {0}: {1}", origin, what);
    }
}
