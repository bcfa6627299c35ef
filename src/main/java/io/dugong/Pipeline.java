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
 * the {@code *Async} variants). A call that would block a pipeline's own thread waiting for a pipeline
 * — {@code send}, a {@code submit} while the queue is full — fails at once with a
 * {@link StateException} there instead of deadlocking; {@code close()} called there starts the close
 * and returns without waiting.
 *
 * <p>If a pipeline thread fails unexpectedly (an {@link Error}, a bug), every request not yet
 * answered fails with {@link UnansweredRequestException} and the pipeline closes.
 */
public final class Pipeline implements AutoCloseable {
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");
    private static final System.Logger LOG = System.getLogger("io.dugong");
    /** How long {@link #close()} and {@link #abort()} wait for the two threads to end. */
    private static final long JOIN_MILLIS = 5_000;
    /** Set on the sender and reader threads of every pipeline: waiting for a pipeline there could deadlock. */
    private static final ThreadLocal<Boolean> PIPELINE_THREAD = new ThreadLocal<>();

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
        final CallFuture<T> future;
        int attempts;
        // Guarded by the pipeline lock.
        /** Submit order. */
        long seq;
        /** The attempt being sent or read; a replay gets a new one, so nothing of a dead attempt carries over. */
        Attempt attempt;
        /** Whether any byte of any attempt may have left (what a failure reports). */
        boolean mayHaveReached;
        /** Failed by the request timeout ({@link #expire}), which completes its future: never replayed. */
        boolean expired;

        Call(Request request, BodyReader<T> bodyReader, Pipeline owner) {
            this.request = request;
            this.bodyReader = bodyReader;
            this.future = new CallFuture<>(owner, this);
        }

        boolean expectsContinue() {
            return request.expect100() && request.body().length().orElse(1) != 0;
        }
    }

    /**
     * One attempt to send a call on the connection: the connection's listener for it, which doubles
     * as the token that names this attempt's response to the connection. Fields guarded by the
     * pipeline lock, except {@link #started}.
     */
    private final class Attempt implements SendListener {
        final Call<?> call;
        /** The connection has started writing it (so some of it may have left). */
        volatile boolean started;
        /** Completely sent (an expect100 request: its head); the reader may read its response. */
        boolean inFlight;
        /** The reader saw the 100 or a final status: the sender stops waiting for 100. */
        boolean continueDecided;
        /** The sender is done with the body held for 100 (sent, failed, or not needed). */
        boolean bodyDone;

        Attempt(Call<?> call) {
            this.call = call;
        }

        @Override
        public void writing() {
            started = true;
        }

        @Override
        public void inFlight() {
            signal(() -> inFlight = true, readerWake);
        }
    }

    /**
     * The future of one call: cancelling it abandons the call (its response, if sent, is read and
     * dropped); {@link #expire} fails it and frees the connection.
     */
    static final class CallFuture<T> extends CompletableFuture<Response<T>> {
        private final Pipeline pipeline;
        private final Call<T> call;

        CallFuture(Pipeline pipeline, Call<T> call) {
            this.pipeline = pipeline;
            this.call = call;
        }

        /**
         * Fails the call with {@code timeout}; if it was sent and is unanswered, the connection is
         * closed, since its answer would hold every request behind it (those are replayed or failed by
         * the usual rules).
         */
        void expire(IOException timeout) {
            pipeline.expire(call, timeout);
        }
    }

    private Pipeline(HttpConnection conn, PipelineOptions options) {
        this.conn = conn;
        this.options = options;
        String name = conn.host() + ":" + conn.port();
        this.sender = Thread.ofVirtual().name("dugong-sender " + name).unstarted(() -> guarded(this::runSender, "sender"));
        this.reader = Thread.ofVirtual().name("dugong-reader " + name).unstarted(() -> guarded(this::runReader, "reader"));
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
        return open(HttpConnection.builder(origin).headTimeout(options.headTimeout()).build(), options);
    }

    /**
     * A pipeline over {@code connection}, which must have nothing in flight; the pipeline owns it from
     * now on (configure timeouts, TLS or a proxy on its builder).
     *
     * @param connection a connection with nothing in flight
     * @param options    depth, retries and timeouts
     */
    public static Pipeline open(HttpConnection connection, PipelineOptions options) {
        Objects.requireNonNull(options, "options");
        if (connection.responsePending()) {
            throw new StateException("Pipeline.open: the connection has requests in flight");
        }
        if (options.headTimeout() != null && !options.headTimeout().equals(connection.headTimeout())) {
            throw new IllegalArgumentException("Pipeline.open: the connection's head timeout is "
                    + connection.headTimeout() + ", not " + options.headTimeout() + "; set it on the connection's builder");
        }
        return new Pipeline(connection, options);
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
        return submit(request, bodyReader, 0);
    }

    /**
     * {@link #submit(Request, BodyReader)} waiting for room in the queue at most until {@code deadline}
     * (System.nanoTime(); 0 for no limit), after which the future fails with
     * {@link ConnectionTimedOutException}.
     */
    <T> CallFuture<T> submit(Request request, BodyReader<T> bodyReader, long deadline) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(bodyReader, "bodyReader");
        if (request.body() instanceof Body.Following || request.body() instanceof Body.Chunked) {
            throw new IllegalArgumentException(request + ": a pipeline sends bodies itself; use Body.of, Body.ofFile"
                    + " or Body.ofStream instead of " + request.body());
        }
        Call<T> call = new Call<>(request, bodyReader, this);
        lock.lock();
        try {
            while (state == State.OPEN && queued.size() >= options.depth()) {
                if (onPipelineThread()) {
                    throw new StateException("submit(" + request + "): the queue of " + this + " is full, and waiting"
                            + " for room on a pipeline's own thread (a dependent stage, say) could deadlock;"
                            + " submit from another thread or use an *Async stage");
                }
                if (deadline == 0) {
                    roomOrClosed.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        call.future.completeExceptionally(new ConnectionTimedOutException(request
                                + " found no room in the pipeline within the request timeout"));
                        return call.future;
                    }
                    roomOrClosed.awaitNanos(left);
                }
            }
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
        if (!future.isDone() && onPipelineThread()) {
            future.cancel(false);
            throw new StateException("a blocking send on a pipeline's own thread (a dependent stage, say) would"
                    + " wait for that thread itself; use submit/sendAsync and an *Async stage instead");
        }
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
        if (onPipelineThread()) {
            // Waiting here would wait for this very thread: start the close and let it finish by itself.
            signal(() -> {
                if (state == State.OPEN) state = State.CLOSING;
                wakeAll();
            }, roomOrClosed);
            return;
        }
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
        if (!drained) {
            abort();
            return;
        }
        conn.close();
        join();
    }

    /**
     * Closes at once: every request not yet answered fails with {@link UnansweredRequestException}
     * (saying whether any of it may have reached the server), the connection is closed — also one
     * still being opened — and the pipeline's threads are stopped.
     */
    public void abort() {
        shutDown(null);
        sender.interrupt(); // only socket calls and body sources block them; either way they must end now
        reader.interrupt();
        join();
    }

    /**
     * Closes the pipeline and fails every request not yet answered, with {@code cause} (a pipeline
     * thread's failure) or as aborted.
     */
    private void shutDown(Throwable cause) {
        List<Call<?>> unanswered = new ArrayList<>();
        List<Boolean> reached = new ArrayList<>();
        lock.lock();
        try {
            state = State.CLOSED;
            for (ArrayDeque<Call<?>> q : List.of(sent, new ArrayDeque<>(retries), queued)) {
                for (Call<?> c : q) {
                    unanswered.add(c);
                    reached.add(c.mayHaveReached || (c.attempt != null && c.attempt.started));
                }
            }
            sent.clear();
            retries.clear();
            queued.clear();
            wakeAll();
        } finally {
            lock.unlock();
        }
        conn.disconnect(); // unblocks the threads if they are in socket calls, and closes a connect in progress
        String why = cause == null ? "the pipeline was aborted" : "the pipeline failed: " + cause;
        for (int i = 0; i < unanswered.size(); i++) {
            Call<?> c = unanswered.get(i);
            c.future.completeExceptionally(new UnansweredRequestException(c.request, reached.get(i), why, cause));
        }
    }

    /** Waits for both threads to end; says so if one does not, after closing the socket anyway. */
    private void join() {
        if (onPipelineThread()) return;
        try {
            for (Thread t : List.of(sender, reader)) {
                if (!t.join(java.time.Duration.ofMillis(JOIN_MILLIS))) {
                    conn.disconnect();
                    LOG.log(System.Logger.Level.WARNING, "{0}: the thread {1} did not end within {2} ms of closing"
                            + " (blocked in a body reader or a body source?); its socket is closed", this, t.getName(), JOIN_MILLIS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True while the sender or reader thread runs; for tests of close and abort. */
    boolean threadsAlive() {
        return sender.isAlive() || reader.isAlive();
    }

    private static boolean onPipelineThread() {
        return PIPELINE_THREAD.get() != null;
    }

    /** Runs a pipeline thread's loop; a failure it did not expect closes the pipeline, failing every request. */
    private void guarded(Runnable loop, String which) {
        PIPELINE_THREAD.set(Boolean.TRUE);
        try {
            loop.run();
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, this + ": the " + which + " thread failed; closing the pipeline", t);
            shutDown(t);
        }
    }

    /** See {@link CallFuture#expire}. */
    private void expire(Call<?> call, IOException timeout) {
        boolean wasSent;
        lock.lock();
        try {
            if (call.future.isDone()) return;
            boolean unsent = queued.remove(call) | retries.remove(call);
            if (unsent) roomOrClosed.signal();
            wasSent = !unsent && sent.contains(call);
            call.expired = true;
        } finally {
            lock.unlock();
        }
        if (wasSent) {
            // Its response would hold every request behind it: close the connection, so that those are
            // replayed (or failed) on a new one by the usual rules instead of waiting. Closed before the
            // future completes, so that a caller woken by the timeout who sends again at once finds it
            // gone rather than queueing behind the expired request. If the response completes in the
            // instant between, the close was needless, as for a body cut off at its deadline.
            conn.disconnect();
        }
        call.future.completeExceptionally(timeout);
    }

    // ------------------------------------------------------------------------------------------
    // Sender thread

    private void runSender() {
        while (true) {
            Attempt attempt = nextToSend();
            if (attempt == null) return;
            send(attempt);
        }
    }

    /**
     * The next request to write, once there is room in flight; null when the pipeline is closed.
     * Requests written while more are ready stay in the socket buffer; they are flushed with the last
     * ready one, or before the sender waits, so a burst leaves in few {@code write} calls.
     */
    private Attempt nextToSend() {
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
                        c.attempt = new Attempt(c);
                        // Only a call sent with nothing else unsettled may open a new connection: then no
                        // replay of an older call can still be added behind it.
                        mayReconnect = sent.isEmpty();
                        sent.addLast(c);
                        flushNow = sent.size() >= options.depth() || (retries.isEmpty() && queued.isEmpty());
                        return c.attempt;
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

    private void send(Attempt attempt) {
        Call<?> call = attempt.call;
        conn.reconnectAllowed(mayReconnect);
        try {
            conn.sendRequest(call.request, attempt, flushNow);
            unflushed = !flushNow;
        } catch (ReconnectDeferred deferred) {
            // Nothing sent: back among the retries (in submit order), to go once the reader has settled
            // everything sent on the old connection.
            signal(() -> {
                sent.remove(call);
                call.attempts--;
                call.attempt = null;
                retries.add(call);
            }, senderWake);
            return;
        } catch (IOException | RuntimeException e) {
            boolean entered = entered(attempt);
            if (!entered) {
                // Nothing was written (the connection could not be opened, say): the reader never sees it.
                // An expired call is failed by the request timeout, whose close may be what failed this send.
                boolean[] expired = new boolean[1];
                signal(() -> {
                    sent.remove(call);
                    expired[0] = call.expired;
                }, readerWake);
                if (!expired[0]) call.future.completeExceptionally(e);
                return;
            }
            // Partly sent: the reader reads whatever the server answered, or the failure.
        }
        if (call.expectsContinue()) sendBodyAfterContinue(attempt);
    }

    private boolean entered(Attempt attempt) {
        lock.lock();
        try {
            return attempt.inFlight;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for the reader's verdict on 100 Continue (or the fallback timeout), then sends the body —
     * all for this attempt only: a replay of the call is another attempt with its own verdict.
     */
    private void sendBodyAfterContinue(Attempt attempt) {
        try {
            lock.lock();
            try {
                long left = options.expectContinueTimeout().toNanos();
                while (!attempt.continueDecided && state != State.CLOSED && left > 0) left = senderWake.awaitNanos(left);
            } finally {
                lock.unlock();
            }
            // After a 100, or none within the wait (RFC 9110 §10.1.1 lets us send the body anyway); does
            // nothing if a final status came instead, or the attempt was lost.
            conn.sendHeldBody();
        } catch (IOException | RuntimeException e) {
            // The failure shows on the reader side, when it reads this request's response.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            signal(() -> attempt.bodyDone = true, readerWake);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reader thread

    private void runReader() {
        while (true) {
            Attempt attempt = nextToRead();
            if (attempt == null) return;
            readResponse(attempt);
        }
    }

    /** The oldest request in flight; null once the pipeline is closed (or drained while closing). */
    private Attempt nextToRead() {
        lock.lock();
        try {
            while (true) {
                if (state == State.CLOSED) return null;
                Call<?> head = sent.peekFirst();
                if (head != null && head.attempt != null && head.attempt.inFlight) return head.attempt;
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

    private void readResponse(Attempt attempt) {
        readResponse(attempt, attempt.call);
    }

    private <T> void readResponse(Attempt attempt, Call<T> call) {
        ResponseHead head;
        try {
            head = conn.readResponse();
            if (call.expectsContinue()) {
                signal(() -> attempt.continueDecided = true, senderWake);
                if (head.status() == 100) {
                    awaitBodySent(attempt);
                    head = conn.readResponse();
                }
            }
        } catch (IOException e) {
            failed(call, attempt, e);
            return;
        } catch (RuntimeException e) {
            // Not a failure of the exchange but of our own bookkeeping: the connection cannot be trusted to
            // stay in step, so it is closed, and this request and those behind it are replayed or failed.
            failed(call, attempt, new ConnectionClosedException("reading the response to " + call.request
                    + " failed unexpectedly (" + e + "); the connection was closed", e));
            return;
        }
        TrackingStream body = new TrackingStream(conn.responseBody());
        T value = null;
        Throwable readerError = null;
        try {
            if (!call.future.isDone()) value = call.bodyReader.read(head, body);
        } catch (Throwable t) {
            readerError = t;
        }
        if (body.failure == null) {
            try {
                body.close(); // whatever the reader left is discarded, so the next response can be read
            } catch (IOException | RuntimeException e) {
                if (body.failure == null) body.failure = e instanceof IOException io ? io : new IOException(e);
            }
        }
        if (body.failure != null) {
            // The body did not arrive whole: the request failed, even if its body reader swallowed the error.
            failed(call, attempt, body.failure);
            return;
        }
        answered(call);
        if (readerError != null) {
            call.future.completeExceptionally(readerError); // the body reader's own failure: the connection is fine
        } else {
            call.future.complete(new Response<>(call.request, head.status(), head.reason(), head.headers(), value));
        }
    }

    private void awaitBodySent(Attempt attempt) {
        lock.lock();
        try {
            while (!attempt.bodyDone && state != State.CLOSED) readerWake.awaitUninterruptibly();
        } finally {
            lock.unlock();
        }
    }

    /** Reading {@code call}'s response failed: replay it, or fail it. */
    private void failed(Call<?> call, Attempt attempt, Throwable error) {
        // Whatever failed, this attempt's response is over: if the connection still holds it (a timeout
        // with nothing consumed, say), drop it and close that connection, so the queue stays in step
        // and the requests behind it are replayed on a fresh one instead of each waiting.
        conn.abandon(attempt, "abandoned after " + error.getClass().getSimpleName() + " on the response to " + call.request);
        // A request the server announced it would not process costs no retry: with a deep pipeline, many
        // may be sent on a connection the server closes (nginx's keepalive_requests, say).
        boolean unprocessed = error instanceof NotProcessedException;
        boolean replay = error instanceof ConnectionClosedException && !(error instanceof UnansweredRequestException)
                && IDEMPOTENT.contains(call.request.method()) && (unprocessed || call.attempts <= options.retries());
        boolean reached;
        lock.lock();
        try {
            sent.remove(call);
            attempt.continueDecided = true; // a sender still waiting for this attempt's 100 stops now
            call.mayHaveReached = true;
            reached = true;
            if (call.expired) {
                // The request timeout closed the connection under it and fails it itself: not replayed.
                senderWake.signal(); // room in flight
                return;
            }
            if (replay && state != State.CLOSED && !call.future.isDone()) {
                if (unprocessed) call.attempts--;
                call.attempt = null;
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
            call.future.completeExceptionally(new UnansweredRequestException(call.request, reached,
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
        /** The first connection failure seen through this stream; the response failed if set. */
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
