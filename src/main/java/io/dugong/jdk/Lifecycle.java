package io.dugong.jdk;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The JDK 21 client lifecycle of one adapter: operations in progress are tracked; after
 * {@code shutdown} no new one starts, and once the last one ends the client is terminated and its
 * connections are closed. {@code shutdownNow} aborts the ones in progress.
 *
 * <p>Starting and ending an operation take no lock (they happen for every request, from many threads):
 * an operation is added before the shutdown flag is checked, and the flag is set before the set is
 * checked for emptiness, so an operation either sees the shutdown and backs out, or is seen.
 */
final class Lifecycle {
    private final Runnable onTerminated;
    private final Set<Exchange<?>> running = ConcurrentHashMap.newKeySet();
    private volatile boolean shutdown;
    private final AtomicBoolean terminated = new AtomicBoolean();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition terminatedSignal = lock.newCondition();

    Lifecycle(Runnable onTerminated) {
        this.onTerminated = onTerminated;
    }

    /**
     * Registers an exchange that is about to start.
     *
     * @throws IOException if the client is shut down, as the JDK client fails then
     */
    void begin(Exchange<?> exchange) throws IOException {
        running.add(exchange);
        if (shutdown) {
            running.remove(exchange);
            terminateIfIdle();
            throw new IOException("the client is shut down");
        }
        exchange.finished().whenComplete((r, e) -> {
            running.remove(exchange);
            if (shutdown) terminateIfIdle();
        });
    }

    /** No new operations; those in progress finish. */
    void shutdown() {
        shutdown = true;
        terminateIfIdle();
    }

    /** Like {@link #shutdown()}, and aborts the operations in progress with an {@link IOException}. */
    void shutdownNow() {
        shutdown = true;
        for (Exchange<?> e : List.copyOf(running)) e.abort(new IOException("the client was shut down with shutdownNow"));
        terminateIfIdle();
    }

    boolean isTerminated() {
        return terminated.get();
    }

    boolean awaitTermination(Duration duration) throws InterruptedException {
        long left = duration.toNanos();
        lock.lock();
        try {
            while (!terminated.get()) {
                if (left <= 0) return false;
                left = terminatedSignal.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until terminated; an interrupt escalates to {@link #shutdownNow()} (the JDK's {@code close}). */
    void close() {
        shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (awaitTermination(Duration.ofDays(1))) break;
            } catch (InterruptedException e) {
                interrupted = true;
                shutdownNow();
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private void terminateIfIdle() {
        if (!shutdown || !running.isEmpty() || !terminated.compareAndSet(false, true)) return;
        lock.lock();
        try {
            terminatedSignal.signalAll(); // "all operations have completed", as the JDK defines it
        } finally {
            lock.unlock();
        }
        // Closing the connections is not waited for: the last operation may end on a connection's
        // reader thread, which closing waits for, and after shutdownNow a connection may still wait
        // for a response the server never sends (the pipeline's close timeout bounds that).
        Thread.ofVirtual().name("dugong-jdk-terminate").start(onTerminated);
    }
}
