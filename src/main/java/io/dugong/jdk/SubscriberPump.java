package io.dugong.jdk;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Feeds one response body to a {@link BodySubscriber} through the {@code Flow} protocol, the way the
 * JDK's client does: a buffer is read from the connection only when the subscriber has demand, so a
 * slow subscriber holds the socket (TCP back-pressure) instead of the body piling up in memory; after
 * {@code cancel()} nothing more is delivered; a failure of the connection reaches {@code onError}.
 *
 * <p>It runs on the pipeline's reader thread, inside a {@code BodyReader}, and blocks it while it
 * waits for demand: that is the back-pressure. Demand arrives from whatever thread the subscriber
 * uses (often this one, from within {@code onNext}).
 */
final class SubscriberPump implements Flow.Subscription {
    /** The JDK client's buffer size too; a read returns what is available, up to this. */
    static final int BUFFER_SIZE = 16 * 1024;

    private final BodySubscriber<?> subscriber;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // Guarded by lock.
    private long demand;
    private boolean cancelled;
    private Throwable abort;
    private Throwable badRequest;

    SubscriberPump(BodySubscriber<?> subscriber) {
        this.subscriber = subscriber;
    }

    @Override
    public void request(long n) {
        lock.lock();
        try {
            if (n <= 0) {
                // Flow rule 3.9: a non-positive request is signalled as onError, by the pumping thread.
                if (badRequest == null) badRequest = new IllegalArgumentException("non-positive subscription request: " + n);
            } else {
                demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void cancel() {
        lock.lock();
        try {
            cancelled = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the pump from outside (request timeout, future cancelled, client shut down): onError(cause) follows. */
    void abort(Throwable cause) {
        lock.lock();
        try {
            if (abort == null) abort = cause;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Subscribes and pumps {@code body} to the end, to a cancel, or to a failure. A connection failure
     * is given to {@code onError} and rethrown, so the pipeline knows the connection is broken.
     *
     * @param length     the announced length, or -1 if unknown
     * @param subscribed runs once {@code onSubscribe} returned
     */
    void run(InputStream body, long length, Runnable subscribed) throws IOException {
        // A known short body gets a buffer of its size: small responses are the common case.
        int size = length >= 0 && length < BUFFER_SIZE ? (int) Math.max(length, 1) : BUFFER_SIZE;
        subscriber.onSubscribe(this);
        subscribed.run();
        try {
            while (true) {
                Throwable stop = awaitDemand();
                if (stop == CANCELLED) return;
                if (stop != null) {
                    subscriber.onError(stop);
                    return;
                }
                byte[] buffer = new byte[size]; // fresh each time: subscribers may keep what they get
                int n = body.read(buffer, 0, buffer.length);
                if (n < 0) {
                    if (!isCancelled()) subscriber.onComplete();
                    return;
                }
                if (isCancelled()) return;
                subscriber.onNext(List.of(ByteBuffer.wrap(buffer, 0, n).asReadOnlyBuffer()));
            }
        } catch (IOException | RuntimeException e) {
            if (!isCancelled()) subscriber.onError(e);
            throw e;
        }
    }

    /** Marks "the subscriber cancelled" among the reasons to stop. */
    private static final Throwable CANCELLED = new Throwable("cancelled", null, false, false) {
        private static final long serialVersionUID = 1L;
    };

    /** Waits for demand; null when there is some, else why to stop. */
    private Throwable awaitDemand() {
        lock.lock();
        try {
            while (true) {
                if (cancelled) return CANCELLED;
                if (abort != null) return abort;
                if (badRequest != null) return badRequest;
                if (demand > 0) {
                    demand--;
                    return null;
                }
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean isCancelled() {
        lock.lock();
        try {
            return cancelled;
        } finally {
            lock.unlock();
        }
    }
}
