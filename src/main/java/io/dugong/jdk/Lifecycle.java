package io.dugong.jdk;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The JDK 21 client lifecycle of one adapter: operations in progress are counted; after
 * {@code shutdown} no new one starts, and once the last one ends the client is terminated and its
 * connections are closed. {@code shutdownNow} aborts the ones in progress.
 */
final class Lifecycle {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition terminatedSignal = lock.newCondition();
    private final Runnable onTerminated;
    // Guarded by lock.
    private final Set<Exchange<?>> running = new HashSet<>();
    private boolean shutdown;
    private boolean terminated;

    Lifecycle(Runnable onTerminated) {
        this.onTerminated = onTerminated;
    }

    /**
     * Registers an exchange that is about to start.
     *
     * @throws IOException if the client is shut down, as the JDK client fails then
     */
    void begin(Exchange<?> exchange) throws IOException {
        lock.lock();
        try {
            if (shutdown) throw new IOException("the client is shut down");
            running.add(exchange);
        } finally {
            lock.unlock();
        }
        exchange.finished().whenComplete((r, e) -> end(exchange));
    }

    private void end(Exchange<?> exchange) {
        lock.lock();
        try {
            running.remove(exchange);
        } finally {
            lock.unlock();
        }
        terminateIfIdle();
    }

    /** No new operations; those in progress finish. */
    void shutdown() {
        lock.lock();
        try {
            shutdown = true;
        } finally {
            lock.unlock();
        }
        terminateIfIdle();
    }

    /** Like {@link #shutdown()}, and aborts the operations in progress with an {@link IOException}. */
    void shutdownNow() {
        List<Exchange<?>> abort;
        lock.lock();
        try {
            shutdown = true;
            abort = new ArrayList<>(running);
        } finally {
            lock.unlock();
        }
        abort.forEach(e -> e.abort(new IOException("the client was shut down with shutdownNow")));
        terminateIfIdle();
    }

    boolean isTerminated() {
        lock.lock();
        try {
            return terminated;
        } finally {
            lock.unlock();
        }
    }

    boolean awaitTermination(Duration duration) throws InterruptedException {
        long left = duration.toNanos();
        lock.lock();
        try {
            while (!terminated) {
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
        lock.lock();
        try {
            if (!shutdown || terminated || !running.isEmpty()) return;
            terminated = true; // "all operations have completed", as the JDK defines it
            terminatedSignal.signalAll();
        } finally {
            lock.unlock();
        }
        // Closing the connections is not waited for: the last operation may end on a connection's
        // reader thread, which closing waits for, and after shutdownNow a connection may still wait
        // for a response the server never sends (the pipeline's close timeout bounds that).
        Thread.ofVirtual().name("dugong-jdk-terminate").start(onTerminated);
    }
}
