package io.dugong.internal;

import java.lang.ref.WeakReference;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Enforces the inactivity timeout on socket writes, which {@code java.net.Socket} cannot do itself: a
 * write that has blocked longer than its transport's timeout gets its socket closed, which unblocks it
 * with an exception that {@link Transport} reports as a timeout.
 *
 * <p>One virtual thread scans the transports that have a timeout. It parks while none is registered,
 * and otherwise wakes a few times per shortest timeout, so a blocked write fails between 1× and 1.25×
 * its timeout. Writes themselves only set and clear a volatile timestamp. Transports are held weakly,
 * so one dropped without being closed can still be collected (and its socket closed by the JDK).
 */
final class WriteWatchdog {
    static final WriteWatchdog INSTANCE = new WriteWatchdog();

    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final Queue<WeakReference<Transport>> watched = new ConcurrentLinkedQueue<>();
    private final Thread thread;

    private WriteWatchdog() {
        thread = Thread.ofVirtual().name("dugong-write-watchdog").unstarted(this::run);
        thread.start();
    }

    /** Watches {@code t} until its socket is closed or its timeout is removed. */
    void watch(Transport t) {
        if (t.markWatched()) {
            watched.add(new WeakReference<>(t));
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        while (true) {
            if (watched.isEmpty()) {
                LockSupport.park(this);
                continue;
            }
            long now = System.nanoTime();
            long tick = Long.MAX_VALUE;
            for (Iterator<WeakReference<Transport>> it = watched.iterator(); it.hasNext(); ) {
                Transport t = it.next().get();
                if (t == null || t.isClosed()) {
                    it.remove();
                    continue;
                }
                long timeout = t.timeoutNanos();
                if (timeout == 0) {
                    it.remove();
                    t.unmarkWatched();
                    if (t.timeoutNanos() != 0) watch(t); // a timeout was set again meanwhile
                    continue;
                }
                long started = t.writeStartedNanos();
                if (started != 0 && now - started > timeout) t.abortBlockedWrite();
                tick = Math.min(tick, Math.max(MIN_TICK_NANOS, timeout / 4));
            }
            if (tick != Long.MAX_VALUE) LockSupport.parkNanos(this, tick);
        }
    }
}
