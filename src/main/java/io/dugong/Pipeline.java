package io.dugong;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One pipelined connection driven by two virtual threads: a <b>sender</b> that takes requests off a
 * queue and writes them, and a <b>reader</b> that reads the responses in order, runs each request's
 * {@link BodyReader} and completes its future. Callers never touch the socket, so cancelling or
 * interrupting a caller abandons only its own request.
 *
 * <pre>{@code
 * try (Pipeline p = Pipeline.open(URI.create("http://host:8080"), PipelineOptions.defaults().depth(32))) {
 *     CompletableFuture<Response<byte[]>> f = p.submit(Request.get("/a"));
 *     Response<String> r = p.send(Request.get("/b"), BodyReaders.ofString());   // blocking
 * }
 * }</pre>
 *
 * <p><b>Depth.</b> At most {@code depth} requests are in flight; at most {@code depth} more wait in the
 * queue, and {@code submit} blocks (backpressure) while the queue is full.
 *
 * <p><b>Nothing is lost.</b> When the connection ends with requests in flight (the server closed it,
 * reset it, answered {@code Connection: close}), responses already received are delivered; the others
 * are replayed on a new connection, in their original order, if their method is idempotent and their
 * retry budget allows; the rest fail with {@link UnansweredRequestException}, which says whether the
 * request may have reached the server. A request that times out fails with
 * {@link ConnectionTimedOutException}; the requests behind it are replayed.
 *
 * <p><b>Threads.</b> The futures are completed on the reader thread: stages attached with the
 * non-async {@code CompletableFuture} methods run there, so keep them short and non-blocking (or use
 * the {@code *Async} variants).
 */
public final class Pipeline implements AutoCloseable {
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");

    private final HttpConnection conn;
    private final PipelineOptions options;
    private final ReentrantLock lock = new ReentrantLock();
    /** The sender waits here for work, for room in flight, or for a 100-continue verdict. */
    private final Condition senderWake = lock.newCondition();
    /** The reader waits here for a request in flight, or for a body sent after 100 Continue. */
    private final Condition readerWake = lock.newCondition();
    /** Submitters wait here for room in the queue, and {@link #close()} for the end. */
    private final Condition roomOrClosed = lock.newCondition();
    // All guarded by lock.
    /** Calls to (re)send before anything queued, in submit order whatever order they failed in. */
    private final PriorityQueue<Call<?>> retries = new PriorityQueue<>(Comparator.comparingLong(c -> c.seq));
    private final ArrayDeque<Call<?>> queued = new ArrayDeque<>();
    private final ArrayDeque<Call<?>> sent = new ArrayDeque<>();
    private State state = State.OPEN;
    private long submitted;
    private final Thread sender;
    private final Thread reader;
    /** Sender thread only: whether the call being sent may open a new connection. */
    private boolean mayReconnect;
    /** Sender thread only: whether the call being sent is the last one ready, so it must be flushed. */
    private boolean flushNow;
    /** Sender thread only: requests written to the socket buffer but not flushed yet. */
    private boolean unflushed;

    private enum State {
        /** Accepting requests. */
        OPEN,
        /** {@link #close()} called: no new requests; those accepted are finished. */
        CLOSING,
        /** Done; the threads exit. */
        CLOSED
    }

    /** One submitted request and what the two threads know about it. */
    private static final class Call<T> {
        final Request request;
        final BodyReader<T> bodyReader;
        final CompletableFuture<Response<T>> future = new CompletableFuture<>();
        int attempts;
        // Guarded by the pipeline lock.
        /** Submit order. */
        long seq;
        boolean inFlight;
        boolean continueDecided;
        boolean bodyDone;

        Call(Request request, BodyReader<T> bodyReader) {
            this.request = request;
            this.bodyReader = bodyReader;
        }
    }

    private Pipeline(HttpConnection conn, PipelineOptions options) {
        this.conn = conn;
        this.options = options;
        String name = conn.host() + ":" + conn.port();
        this.sender = Thread.ofVirtual().name("dugong-sender " + name).unstarted(this::runSender);
        this.reader = Thread.ofVirtual().name("dugong-reader " + name).unstarted(this::runReader);
        sender.start();
        reader.start();
    }

    /**
     * A pipeline to {@code origin} ({@code http} or {@code https}); the connection opens with the first request.
     *
     * @param origin  scheme, host and port of the server
     * @param options depth, retries and timeouts
     */
    public static Pipeline open(URI origin, PipelineOptions options) {
        return open(HttpConnection.open(origin), options);
    }

    /**
     * A pipeline over {@code connection}, which must have nothing in flight; the pipeline owns it from
     * now on (configure timeouts, TLS or a proxy on its builder).
     *
     * @param connection a connection with nothing in flight
     * @param options    depth, retries and timeouts
     */
    public static Pipeline open(HttpConnection connection, PipelineOptions options) {
        if (connection.responsePending()) {
            throw new StateException("Pipeline.open: the connection has requests in flight");
        }
        return new Pipeline(connection, Objects.requireNonNull(options, "options"));
    }

    /** Sends {@code request} when there is room; the future gets the response with a {@code byte[]} body. */
    public CompletableFuture<Response<byte[]>> submit(Request request) {
        return submit(request, BodyReaders.ofByteArray());
    }

    /**
     * Queues {@code request}; blocks while the queue is full. The future completes with the response,
     * its body made by {@code bodyReader}, or exceptionally. Cancelling the future abandons the request:
     * it is not sent if it has not been, and its response is read and dropped if it has.
     *
     * @throws IllegalArgumentException if the body is {@link Body#following} or {@link Body#chunked}
     *         (they need a caller writing on the connection; use {@link Body#ofStream})
     */
    public <T> CompletableFuture<Response<T>> submit(Request request, BodyReader<T> bodyReader) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(bodyReader, "bodyReader");
        if (request.body() instanceof Body.Following || request.body() instanceof Body.Chunked) {
            throw new IllegalArgumentException(request + ": a pipeline sends bodies itself; use Body.of, Body.ofFile"
                    + " or Body.ofStream instead of " + request.body());
        }
        Call<T> call = new Call<>(request, bodyReader);
        lock.lock();
        try {
            while (state == State.OPEN && queued.size() >= options.depth()) roomOrClosed.await();
            if (state != State.OPEN) {
                call.future.completeExceptionally(new UnansweredRequestException(request, false, "the pipeline is closed", null));
            } else {
                call.seq = submitted++;
                queued.addLast(call);
                senderWake.signal();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            call.future.completeExceptionally(new UnansweredRequestException(request, false,
                    "interrupted while waiting for room in the pipeline", e));
        } finally {
            lock.unlock();
        }
        return call.future;
    }

    /** Sends {@code request} and waits for the response, with a {@code byte[]} body. */
    public Response<byte[]> send(Request request) throws IOException, InterruptedException {
        return send(request, BodyReaders.ofByteArray());
    }

    /**
     * Sends {@code request} and waits for the response. If the calling thread is interrupted, the
     * request is abandoned (its response read and dropped) and the other requests go on.
     *
     * @throws IOException the failure of this request (see the class description)
     * @throws InterruptedException if interrupted while waiting
     */
    public <T> Response<T> send(Request request, BodyReader<T> bodyReader) throws IOException, InterruptedException {
        return await(submit(request, bodyReader));
    }

    /**
     * Waits for a future of this library, cancelling it if interrupted, and rethrows its failure as
     * the exception the reader thread saw.
     */
    static <T> T await(CompletableFuture<T> future) throws IOException, InterruptedException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(false);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) throw io;
            if (cause instanceof RuntimeException re) throw re;
            if (cause instanceof Error err) throw err;
            throw new IOException(cause);
        }
    }

    /** Requests queued or in flight. */
    public int load() {
        lock.lock();
        try {
            return queued.size() + retries.size() + sent.size();
        } finally {
            lock.unlock();
        }
    }

    /** True until {@link #close()} or {@link #abort()}. */
    public boolean isOpen() {
        lock.lock();
        try {
            return state == State.OPEN;
        } finally {
            lock.unlock();
        }
    }

    /** The host and port this pipeline talks to. */
    @Override
    public String toString() {
        return "Pipeline[" + conn.host() + ":" + conn.port() + ", load " + load() + "]";
    }

    /**
     * Stops accepting requests, waits (at most {@link PipelineOptions#closeTimeout()}) for those
     * accepted to be answered, then closes the connection; what is left then fails as in {@link #abort()}.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + options.closeTimeout().toNanos();
        boolean drained;
        lock.lock();
        try {
            if (state == State.OPEN) state = State.CLOSING;
            wakeAll();
            long left;
            while (state != State.CLOSED && (left = deadline - System.nanoTime()) > 0) {
                roomOrClosed.awaitNanos(left);
            }
            drained = state == State.CLOSED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
        } finally {
            lock.unlock();
        }
        if (!drained) abort();
        conn.close();
        join();
    }

    /**
     * Closes at once: every request not yet answered fails with {@link UnansweredRequestException}
     * (saying whether it was sent), and the connection is closed.
     */
    public void abort() {
        List<Call<?>> unanswered = new ArrayList<>();
        lock.lock();
        try {
            state = State.CLOSED;
            unanswered.addAll(sent);
            unanswered.addAll(retries);
            unanswered.addAll(queued);
            sent.clear();
            retries.clear();
            queued.clear();
            wakeAll();
        } finally {
            lock.unlock();
        }
        conn.disconnect(); // unblocks the threads if they are in socket calls
        for (Call<?> c : unanswered) {
            c.future.completeExceptionally(new UnansweredRequestException(c.request, c.inFlight,
                    "the pipeline was aborted", null));
        }
    }

    private void join() {
        if (Thread.currentThread() == sender || Thread.currentThread() == reader) return;
        try {
            sender.join(TimeUnit.SECONDS.toMillis(10));
            reader.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Sender thread

    private void runSender() {
        while (true) {
            Call<?> call = nextToSend();
            if (call == null) return;
            send(call);
        }
    }

    /**
     * The next request to write, once there is room in flight; null when the pipeline is closed.
     * Requests written while more are ready stay in the socket buffer; they are flushed with the last
     * ready one, or before the sender waits, so a burst leaves in few {@code write} calls.
     */
    private Call<?> nextToSend() {
        lock.lock();
        try {
            while (true) {
                if (state == State.CLOSED) return null;
                // A new connection waits until the reader has settled everything sent on the old one, so
                // the replays go first, in their original order, and nothing new overtakes them.
                boolean settling = !sent.isEmpty() && conn.willReconnect();
                if (sent.size() < options.depth() && !settling) {
                    Call<?> c = retries.isEmpty() ? queued.poll() : retries.poll();
                    if (c != null) {
                        roomOrClosed.signal(); // room in the queue for submit()
                        if (c.future.isDone()) continue; // cancelled before it was sent
                        c.attempts++;
                        // Only a call sent with nothing else unsettled may open a new connection: then no
                        // replay of an older call can still be added behind it.
                        mayReconnect = sent.isEmpty();
                        sent.addLast(c);
                        flushNow = sent.size() >= options.depth() || (retries.isEmpty() && queued.isEmpty());
                        return c;
                    }
                }
                if (unflushed) {
                    lock.unlock();
                    try {
                        flush();
                    } finally {
                        lock.lock();
                    }
                    continue;
                }
                senderWake.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sends what earlier calls left in the socket buffer; a failure shows on the reader side. */
    private void flush() {
        unflushed = false;
        try {
            conn.flush();
        } catch (IOException | RuntimeException e) {
            // The connection is broken: the reader sees it when it reads the responses.
        }
    }

    private void send(Call<?> call) {
        // Whether this attempt entered flight: call.inFlight itself may already have been reset by the
        // reader replaying the call, so it cannot tell after a failure.
        boolean[] entered = {false};
        conn.reconnectAllowed = mayReconnect;
        try {
            conn.sendRequest(call.request, () -> {
                entered[0] = true;
                signal(() -> call.inFlight = true, readerWake);
            }, flushNow);
            unflushed = !flushNow;
        } catch (HttpConnection.ReconnectDeferred deferred) {
            // Nothing sent: back among the retries (in submit order), to go once the reader has settled
            // everything sent on the old connection.
            signal(() -> {
                sent.remove(call);
                call.attempts--;
                retries.add(call);
            }, senderWake);
            return;
        } catch (IOException | RuntimeException e) {
            if (!entered[0]) {
                // Nothing was written (the connection could not be opened, say): the reader never sees it.
                signal(() -> sent.remove(call), readerWake);
                call.future.completeExceptionally(e);
                return;
            }
            // Partly sent: the reader reads whatever the server answered, or the failure.
        }
        if (call.request.expect100() && call.request.body().length().orElse(1) != 0) sendBodyAfterContinue(call);
    }

    /** Waits for the reader's verdict on 100 Continue (or the fallback timeout), then sends the body. */
    private void sendBodyAfterContinue(Call<?> call) {
        try {
            lock.lock();
            try {
                long left = options.expectContinueTimeout().toNanos();
                while (!call.continueDecided && state != State.CLOSED && left > 0) left = senderWake.awaitNanos(left);
            } finally {
                lock.unlock();
            }
            conn.skipContinue(); // no 100 within the wait: RFC 9110 §10.1.1 lets us send the body anyway
            conn.finishBody();   // does nothing if a final status came instead
        } catch (IOException | RuntimeException e) {
            // The failure shows on the reader side, when it reads this request's response.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            signal(() -> call.bodyDone = true, readerWake);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reader thread

    private void runReader() {
        while (true) {
            Call<?> call = nextToRead();
            if (call == null) return;
            readResponse(call);
        }
    }

    /** The oldest request in flight; null once the pipeline is closed (or drained while closing). */
    private Call<?> nextToRead() {
        lock.lock();
        try {
            while (true) {
                if (state == State.CLOSED) return null;
                Call<?> head = sent.peekFirst();
                if (head != null && head.inFlight) return head;
                if (state == State.CLOSING && sent.isEmpty() && queued.isEmpty() && retries.isEmpty()) {
                    state = State.CLOSED;
                    wakeAll();
                    return null;
                }
                readerWake.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    private <T> void readResponse(Call<T> call) {
        ResponseHead head;
        try {
            head = conn.readResponse();
            if (call.request.expect100()) {
                signal(() -> call.continueDecided = true, senderWake);
                if (head.status() == 100) {
                    awaitBodySent(call);
                    head = conn.readResponse();
                }
            }
        } catch (IOException | RuntimeException e) {
            failed(call, e);
            return;
        }
        TrackingStream body = new TrackingStream(conn.responseBody());
        T value = null;
        Throwable readerError = null;
        try {
            if (!call.future.isDone()) value = call.bodyReader.read(head, body);
        } catch (Throwable t) {
            if (body.failure != null && (t == body.failure || t.getCause() == body.failure)) {
                failed(call, body.failure);
                return;
            }
            readerError = t; // the body reader's own failure: the connection is fine
        }
        try {
            body.close(); // whatever the reader left is discarded, so the next response can be read
        } catch (IOException | RuntimeException e) {
            failed(call, e);
            return;
        }
        answered(call);
        if (readerError != null) {
            call.future.completeExceptionally(readerError);
        } else {
            call.future.complete(new Response<>(call.request, head.status(), head.reason(), head.headers(), value));
        }
    }

    private void awaitBodySent(Call<?> call) {
        lock.lock();
        try {
            while (!call.bodyDone && state != State.CLOSED) readerWake.awaitUninterruptibly();
        } finally {
            lock.unlock();
        }
    }

    /** Reading {@code call}'s response failed: replay it, or fail it. */
    private void failed(Call<?> call, Throwable error) {
        if (error instanceof ConnectionTimedOutException) {
            // The connection is still in sync but this response is late: give up on it, and on the
            // connection, so the requests behind it are replayed on a fresh one.
            conn.abandonOldest("abandoned after a timeout waiting for the response to " + call.request);
        }
        // A request the server announced it would not process costs no retry: with a deep pipeline, many
        // may be sent on a connection the server closes (nginx's keepalive_requests, say).
        boolean unprocessed = error instanceof HttpConnection.NotProcessedException;
        boolean replay = error instanceof ConnectionClosedException && !(error instanceof UnansweredRequestException)
                && IDEMPOTENT.contains(call.request.method()) && (unprocessed || call.attempts <= options.retries());
        lock.lock();
        try {
            sent.remove(call);
            if (replay && state != State.CLOSED && !call.future.isDone()) {
                if (unprocessed) call.attempts--;
                call.inFlight = false;
                call.continueDecided = false;
                call.bodyDone = false;
                retries.add(call); // in their original order, ahead of everything not yet sent
                senderWake.signal();
                return;
            }
            senderWake.signal(); // room in flight
        } finally {
            lock.unlock();
        }
        if (error instanceof ConnectionClosedException closed && !(error instanceof UnansweredRequestException)) {
            String why = IDEMPOTENT.contains(call.request.method())
                    ? "the connection ended and the retry budget of " + options.retries() + " is spent"
                    : "the connection ended and " + call.request.method() + " is not idempotent, so it is not replayed";
            call.future.completeExceptionally(new UnansweredRequestException(call.request, true,
                    why + " (" + closed.getMessage() + ")", closed));
        } else {
            call.future.completeExceptionally(error);
        }
    }

    private void answered(Call<?> call) {
        signal(() -> sent.remove(call), senderWake); // room in flight
    }

    /** Applies {@code change} under the lock and wakes the one thread waiting on {@code who}. */
    private void signal(Runnable change, Condition who) {
        lock.lock();
        try {
            change.run();
            who.signal();
        } finally {
            lock.unlock();
        }
    }

    /** After a change of state: everyone re-checks. Called with the lock held. */
    private void wakeAll() {
        senderWake.signalAll();
        readerWake.signalAll();
        roomOrClosed.signalAll();
    }

    /** Remembers the connection failure seen through the body stream, to tell it from a body reader's own. */
    private static final class TrackingStream extends FilterInputStream {
        IOException failure;

        TrackingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }
}
