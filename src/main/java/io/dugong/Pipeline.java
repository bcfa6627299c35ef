package io.dugong;

import io.dugong.internal.ExchangeEvent;
import io.dugong.internal.WireLog;

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
 * {@link ConnectionTimedOutException}; the requests behind it are replayed. A malformed response (which
 * may be the leftover of the one before, such as a body sent with a HEAD answer) closes the connection:
 * it is never taken as the answer to the next request; an idempotent request it was read for is
 * replayed like one whose connection ended. A body that cannot be replayed
 * ({@link Body#ofInputStream}) is never sent twice.
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
    /** {@code scheme://host:port}, for events and logs. */
    private final String origin;
    /** Where what the server does with pipelined requests is reported (a client's per-origin learning). */
    private final PipelineEvents events;
    /**
     * Most requests in flight now: {@link PipelineOptions#depth()} unless an owner learning about the
     * origin set less (see {@link #inFlightLimit(int)}). The queue keeps its full size.
     */
    private volatile int inFlightLimit;
    // Reader thread only: to tell the first response on a TCP connection, and its first failure.
    private Object answeredConnection;
    private int answeredOnConnection;
    private Object failedConnection;
    /** The TCP connection this pipeline closed itself (a request timeout): its losses are not the server's doing. */
    private volatile Object closedByUs;
    // Written by the reader thread, read by an owner looking for a stalled head of line.
    /** See {@link #used(long)}. */
    private volatile long usedAt;
    /** Whether the reader is reading a response (waiting for its head or reading its body). */
    private volatile boolean readingResponse;
    /** System.nanoTime() of the reader's last progress: start of a response, its head, body bytes. */
    private volatile long progressAt;
    /** Body bytes of the response being read so far. */
    private volatile long bodyBytes;
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
    /** Written with lock held; volatile so that {@link #isOpen()} needs no lock. */
    private volatile State state = State.OPEN;
    private long submitted;
    private final Thread sender;
    private final Thread reader;
    /** Guarded by lock: the sender thread is using the connection (writing a request, flushing). */
    private boolean senderBusy;
    /** Guarded by lock: a caller's thread is writing its request (see {@link #claim}); the sender waits. */
    private boolean callerSending;
    /** Guarded by lock: requests their callers wrote (see {@link #claim}); for tests. */
    private long callerWrites;
    /** Sender thread only: whether the call being sent may open a new connection. */
    private boolean mayReconnect;
    /** Sender thread only: whether the call being sent is the last one ready, so it must be flushed. */
    private boolean flushNow;
    /** Sender thread only: requests written to the socket buffer but not flushed yet. */
    private boolean unflushed;
    /** Sender thread only: writing a burst, which may fill the pipeline up to its in-flight limit. */
    private boolean bursting;

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
        /** The JFR event begun at submit (so it times the queueing), until the first attempt takes it. */
        ExchangeEvent firstEvent;
        /** Failed by its request timeout ({@link CallFuture#expire}): never replayed, even before its future says so. */
        boolean expired;
        /**
         * Sent only with nothing else in flight, and nothing sent behind it until it is answered
         * (RFC 9112 §9.3.2): a non-idempotent request, a 100-continue, a body that cannot be replayed.
         */
        final boolean exclusive;

        Call(Request request, BodyReader<T> bodyReader, Pipeline owner, boolean exclusive) {
            this.request = request;
            this.bodyReader = bodyReader;
            this.exclusive = exclusive;
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
        /** This attempt's JFR event, or null. */
        final ExchangeEvent event;
        /** The connection has started writing it (so some of it may have left). */
        volatile boolean started;
        /** Completely sent (an expect100 request: its head); the reader may read its response. */
        boolean inFlight;
        /** The reader saw the 100 or a final status: the sender stops waiting for 100. */
        boolean continueDecided;
        /** The sender is done with the body held for 100 (sent, failed, or not needed). */
        boolean bodyDone;
        /** Written while another request was in flight on the connection: pipelined. */
        boolean pipelined;

        Attempt(Call<?> call) {
            this.call = call;
            ExchangeEvent e = call.firstEvent;
            call.firstEvent = null;
            if (e == null && call.attempts > 1) {
                e = ExchangeEvent.startIfEnabled(call.request.method(), origin, call.request.originForm());
                if (e != null) e.replayed();
            }
            this.event = e;
        }

        @Override
        public ExchangeEvent event() {
            return event;
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
        /** The pipeline holding the call; another one after {@link #moveUnsentTo}. */
        private volatile Pipeline pipeline;
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

    private Pipeline(HttpConnection conn, PipelineOptions options, PipelineEvents events) {
        this.conn = conn;
        this.options = options;
        this.origin = conn.origin();
        this.events = events;
        this.inFlightLimit = options.depth();
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
     * @return the pipeline, its threads started
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
     * @return the pipeline, its threads started
     */
    public static Pipeline open(HttpConnection connection, PipelineOptions options) {
        return open(connection, options, PipelineEvents.NONE);
    }

    /** {@link #open(HttpConnection, PipelineOptions)} reporting to {@code events}. */
    static Pipeline open(HttpConnection connection, PipelineOptions options, PipelineEvents events) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(events, "events");
        if (connection.responsePending()) {
            throw new StateException("Pipeline.open: the connection has requests in flight");
        }
        if (options.headTimeout() != null && !options.headTimeout().equals(connection.headTimeout())) {
            throw new IllegalArgumentException("Pipeline.open: the connection's head timeout is "
                    + connection.headTimeout() + ", not " + options.headTimeout() + "; set it on the connection's builder");
        }
        return new Pipeline(connection, options, events);
    }

    /**
     * Sends {@code request} when there is room; the future gets the response with a {@code byte[]} body.
     *
     * @param request the request
     * @return the future response
     */
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
     *
     * @param <T> the type of the body value
     * @param request the request
     * @param bodyReader reads the response body, on the reader thread
     * @return the future response
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
        return submit(request, bodyReader, deadline, false);
    }

    /**
     * {@link #submit(Request, BodyReader, long)}; an {@code exclusive} request is written only when
     * nothing else is in flight, and nothing is written behind it until its response has come.
     */
    <T> CallFuture<T> submit(Request request, BodyReader<T> bodyReader, long deadline, boolean exclusive) {
        checkSubmittable(request, bodyReader);
        Call<T> call = new Call<>(request, bodyReader, this, exclusive);
        call.firstEvent = ExchangeEvent.startIfEnabled(request.method(), origin, request.originForm());
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
                // Only a sender out of work waits for a submit; one waiting for room in flight (or for
                // a call ahead of this one) is woken by what it waits for, so a full pipeline is spared
                // a wake-up per request.
                if (queued.size() == 1 && retries.isEmpty()) senderWake.signal();
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

    private static void checkSubmittable(Request request, BodyReader<?> bodyReader) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(bodyReader, "bodyReader");
        if (request.body() instanceof Body.Following || request.body() instanceof Body.Chunked) {
            throw new IllegalArgumentException(request + ": a pipeline sends bodies itself; use Body.of, Body.ofFile"
                    + " or Body.ofStream instead of " + request.body());
        }
    }

    /**
     * Sends {@code request} and waits for the response, with a {@code byte[]} body.
     *
     * @param request the request
     * @return the response
     * @throws IOException the failure of this request (see the class description)
     * @throws InterruptedException if interrupted while waiting (the request is abandoned)
     */
    public Response<byte[]> send(Request request) throws IOException, InterruptedException {
        return send(request, BodyReaders.ofByteArray());
    }

    /**
     * Sends {@code request} and waits for the response. If the calling thread is interrupted, the
     * request is abandoned (its response read and dropped) and the other requests go on.
     *
     * <p>When the pipeline is idle (nothing queued or in flight, the connection open) and the request
     * is small (no body beyond 8 KiB in memory, no 100-continue), the calling thread writes it itself —
     * a write that fits the socket buffer at once, so the caller is never blocked in a socket call —
     * sparing the hand-off to the sender thread; the reader thread reads the response as for any
     * request. Requests submitted meanwhile are pipelined behind it as usual.
     *
     * @throws IOException the failure of this request (see the class description)
     * @throws InterruptedException if interrupted while waiting
     * @param <T> the type of the body value
     * @param request the request
     * @param bodyReader reads the response body, on the reader thread
     * @return the response
     */
    public <T> Response<T> send(Request request, BodyReader<T> bodyReader) throws IOException, InterruptedException {
        CallFuture<T> claimed = claim(request, bodyReader, false);
        return claimed != null ? exchange(claimed) : await(submit(request, bodyReader));
    }

    /**
     * Claims the idle pipeline for a blocking send whose caller writes the request itself: if nothing is
     * queued, in flight or being written, and the connection is open, the call goes in flight at once
     * and the caller writes it with {@link #exchange} — sparing the hand-off to the sender thread. The
     * reader thread reads the response as for any call, so the caller only ever waits on its future:
     * an interrupt or a cancellation abandons the request alone (its response is read and dropped),
     * as everywhere in a pipeline. Only a request that cannot make the caller block in a socket call is
     * claimed — no body beyond {@value #CALLER_WRITE_LIMIT} bytes in memory, no 100-continue, no connect
     * — so an interrupt cannot find the caller there (on a virtual thread it would close the socket).
     * The queue order holds: requests submitted meanwhile are pipelined behind it by the sender thread.
     *
     * @return the call's future, to pass to {@link #exchange}; null if the request goes through the
     *         sender thread instead ({@link #submit})
     */
    <T> CallFuture<T> claim(Request request, BodyReader<T> bodyReader, boolean exclusive) {
        checkSubmittable(request, bodyReader);
        // A glance without the lock first (racy, so only ever a "no"): a busy pipeline, the common case
        // under load, costs the caller no second trip through the lock that submit takes anyway.
        if (!callerMayWrite(request) || !sent.isEmpty() || !queued.isEmpty() || onPipelineThread()) return null;
        lock.lock();
        try {
            if (state != State.OPEN || senderBusy || callerSending || !sent.isEmpty() || !queued.isEmpty()
                    || !retries.isEmpty() || conn.willReconnect()) {
                return null;
            }
            Call<T> call = new Call<>(request, bodyReader, this, exclusive);
            call.firstEvent = ExchangeEvent.startIfEnabled(request.method(), origin, request.originForm());
            call.seq = submitted++;
            call.attempts = 1;
            call.attempt = new Attempt(call);
            sent.addLast(call);
            callerSending = true;
            return call.future;
        } finally {
            lock.unlock();
        }
    }

    /** Most body bytes a caller writes itself (see {@link #claim}): they fit any socket buffer at once. */
    static final int CALLER_WRITE_LIMIT = 8 * 1024;

    /** Whether writing {@code request} cannot block its caller: a small body in memory, no 100-continue. */
    private static boolean callerMayWrite(Request request) {
        if (request.expect100()) return false;
        Body body = request.body();
        return body instanceof Body.Empty || (body instanceof Body.Bytes b && b.content().length <= CALLER_WRITE_LIMIT);
    }

    /**
     * Writes a call {@link #claim claimed} by the calling thread, then waits for its response like
     * any other call (the reader thread reads it).
     */
    <T> Response<T> exchange(CallFuture<T> future) throws IOException, InterruptedException {
        sendDirect(future.call.attempt);
        return await(future);
    }

    /**
     * Writes a claimed call's request on the calling thread.
     *
     * @return true if it went in flight (entirely or partly), so its response (or failure) is to be read
     */
    private void sendDirect(Attempt attempt) {
        Call<?> call = attempt.call;
        conn.reconnectAllowed(false); // a connect is the sender's (a dead connection fails the write unsent)
        try {
            conn.sendRequest(call.request, attempt, true);
        } catch (ReconnectDeferred deferred) {
            retryLater(attempt); // the connection died since the claim: the sender opens a new one
        } catch (IOException | RuntimeException e) {
            if (!entered(attempt)) failUnsent(attempt, e);
            // Partly sent: the reader reads whatever the server answered, or the failure.
        } finally {
            lock.lock();
            try {
                callerSending = false;
                callerWrites++;
                if (!queued.isEmpty() || !retries.isEmpty()) senderWake.signal();
            } finally {
                lock.unlock();
            }
        }
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

    /**
     * Requests queued or in flight.
     *
     * @return the count
     */
    public int load() {
        lock.lock();
        try {
            return queued.size() + retries.size() + sent.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Requests queued or in flight, read without the lock: may be a moment stale, so only for choosing
     * among pipelines ({@link #load()} is exact).
     */
    int loadEstimate() {
        return queued.size() + retries.size() + sent.size();
    }

    /**
     * Caps the requests in flight at {@code limit} (at most the depth); the queue keeps its size. For a
     * client that learns how deep an origin may be pipelined; requests already in flight stay there.
     */
    void inFlightLimit(int limit) {
        int capped = Math.max(1, Math.min(limit, options.depth()));
        if (capped == inFlightLimit) return;
        signal(() -> inFlightLimit = capped, senderWake);
    }

    /** The current cap on requests in flight. */
    int inFlightLimit() {
        return inFlightLimit;
    }

    /**
     * True if the response at the head of line holds the requests behind it: it has shown no progress
     * (start, head, body bytes) for {@code quietNanos}, or its body has passed {@code bigBody} bytes and
     * is still streaming. Requests sent on this connection wait for it, so new ones had better go elsewhere.
     */
    boolean headOfLineStalled(long now, long quietNanos, long bigBody) {
        if (!readingResponse) return false;
        return now - progressAt > quietNanos || bodyBytes > bigBody;
    }

    /** Requests accepted but not written yet (replays excluded). */
    int unsent() {
        lock.lock();
        try {
            return queued.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves the requests queued here and not yet written (replays stay: they keep their order on this
     * connection) to the end of {@code target}'s queue, futures and all; for head-of-line relief. The
     * target takes them even beyond its queue size, since they were accepted already. If the target is
     * no longer open, they stay here.
     *
     * @return how many moved
     */
    int moveUnsentTo(Pipeline target) {
        if (target == this) return 0;
        List<Call<?>> moving;
        lock.lock();
        try {
            moving = new ArrayList<>(queued);
            queued.clear();
            roomOrClosed.signalAll();
        } finally {
            lock.unlock();
        }
        if (moving.isEmpty()) return 0;
        if (target.adopt(moving)) return moving.size();
        lock.lock();
        try {
            for (int i = moving.size() - 1; i >= 0; i--) queued.addFirst(moving.get(i));
            senderWake.signal();
        } finally {
            lock.unlock();
        }
        return 0;
    }

    /** Takes calls moved from another pipeline, unless this one is no longer open. */
    private boolean adopt(List<Call<?>> calls) {
        lock.lock();
        try {
            if (state != State.OPEN) return false;
            for (Call<?> c : calls) {
                c.seq = submitted++;
                c.future.pipeline = this;
                queued.addLast(c);
            }
            senderWake.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * True until {@link #close()} or {@link #abort()}.
     *
     * @return whether requests are accepted
     */
    public boolean isOpen() {
        return state == State.OPEN;
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
            UnansweredRequestException e = new UnansweredRequestException(c.request, reached.get(i), why, cause);
            failUnsentEvent(c, e);
            c.future.completeExceptionally(e);
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

    /**
     * With lock held: at most this many requests in flight let the sender start a burst — all but a
     * quarter of the in-flight limit (all but one for limits under 8, so small pipelines never wait).
     */
    private int burstStart() {
        int limit = inFlightLimit;
        return limit - Math.max(1, limit / 4);
    }

    /** Records that an owner handed this pipeline a request at {@code now} (System.nanoTime()). */
    void used(long now) {
        usedAt = now;
    }

    /** When an owner last handed this pipeline a request (System.nanoTime()); for closing idle ones. */
    long usedAt() {
        return usedAt;
    }

    /** How many requests their callers wrote themselves (see {@link #claim}); for tests. */
    long callerWrites() {
        lock.lock();
        try {
            return callerWrites;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a blocking send would now be written by its caller (see {@link #claim}); for tests. */
    boolean idleForCaller() {
        lock.lock();
        try {
            return state == State.OPEN && !senderBusy && !callerSending && sent.isEmpty() && queued.isEmpty()
                    && retries.isEmpty() && !conn.willReconnect();
        } finally {
            lock.unlock();
        }
    }

    /** True while the sender or reader thread runs; for tests of close and abort. */
    boolean threadsAlive() {
        return sender.isAlive() || reader.isAlive();
    }

    /** Whether {@code method} is idempotent (RFC 9110 §9.2.2), so its request may be replayed. */
    static boolean isIdempotent(String method) {
        return IDEMPOTENT.contains(method);
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

    /** Records the JFR event of a call that ends before any attempt took it. */
    private static void failUnsentEvent(Call<?> call, Throwable cause) {
        ExchangeEvent e = call.firstEvent;
        if (e == null) return;
        call.firstEvent = null;
        e.failed(cause);
    }

    /** See {@link CallFuture#expire}. */
    private void expire(Call<?> call, IOException timeout) {
        boolean wasSent;
        lock.lock();
        try {
            if (call.future.isDone()) return;
            call.expired = true;
            boolean unsent = queued.remove(call) | retries.remove(call);
            if (unsent) roomOrClosed.signal();
            wasSent = !unsent && sent.contains(call);
            call.expired = true;
        } finally {
            lock.unlock();
        }
        if (!wasSent) failUnsentEvent(call, timeout);
        if (wasSent) {
            // Its response would hold every request behind it: close the connection, so that those are
            // replayed (or failed) on a new one by the usual rules instead of waiting. Closed before the
            // future completes, so that a caller woken by the timeout who sends again at once finds it
            // gone rather than queueing behind the expired request. If the response completes in the
            // instant between, the close was needless, as for a body cut off at its deadline.
            closedByUs = conn.currentTransport();
            conn.disconnect();
        }
        call.future.completeExceptionally(timeout);
    }

    // ------------------------------------------------------------------------------------------
    // Sender thread

    private void runSender() {
        while (sendNext()) {
            // one request per turn
        }
    }

    /** Sends the next request, once there is one; false when the pipeline is closed. See {@link #readNext}. */
    private boolean sendNext() {
        Attempt attempt = nextToSend();
        if (attempt == null) return false;
        send(attempt);
        return true;
    }

    /**
     * The next request to write, once there is room in flight; null when the pipeline is closed.
     * Requests written while more are ready stay in the socket buffer; they are flushed with the last
     * ready one, or before the sender waits, so a burst leaves in few {@code write} calls.
     */
    private Attempt nextToSend() {
        lock.lock();
        try {
            senderBusy = false;
            while (true) {
                if (state == State.CLOSED) return null;
                // A new connection waits until the reader has settled everything sent on the old one, so
                // the replays go first, in their original order, and nothing new overtakes them.
                boolean settling = !sent.isEmpty() && conn.willReconnect();
                // Nothing goes behind an exclusive request in flight (it is the only one then).
                boolean behindExclusive = !sent.isEmpty() && sent.peekFirst().exclusive;
                int limit = inFlightLimit;
                // A burst starts only once a quarter of the pipeline is free, then fills it: a full
                // pipeline is refilled a batch at a time (one write, one wake-up) rather than in lock
                // step with each response. The server still has three quarters of it to work on.
                boolean room = bursting ? sent.size() < limit : sent.size() <= burstStart();
                if (room && !settling && !behindExclusive && !callerSending) {
                    Call<?> next = retries.isEmpty() ? queued.peek() : retries.peek();
                    // An exclusive request waits until everything before it is answered.
                    Call<?> c = next == null || (next.exclusive && !sent.isEmpty() && !next.future.isDone()) ? null
                            : retries.isEmpty() ? queued.poll() : retries.poll();
                    if (c != null) {
                        roomOrClosed.signal(); // room in the queue for submit()
                        if (c.future.isDone()) continue; // cancelled before it was sent
                        c.attempts++;
                        c.attempt = new Attempt(c);
                        // Only a call sent with nothing else unsettled may open a new connection: then no
                        // replay of an older call can still be added behind it.
                        mayReconnect = sent.isEmpty();
                        c.attempt.pipelined = !sent.isEmpty();
                        sent.addLast(c);
                        flushNow = sent.size() >= limit || c.exclusive || (retries.isEmpty() && queued.isEmpty())
                                || (retries.isEmpty() ? queued.peek() : retries.peek()).exclusive;
                        senderBusy = true;
                        bursting = true;
                        return c.attempt;
                    }
                }
                if (unflushed) {
                    senderBusy = true;
                    lock.unlock();
                    try {
                        flush();
                    } finally {
                        lock.lock();
                        senderBusy = false;
                    }
                    continue;
                }
                bursting = false;
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
            retryLater(attempt);
            return;
        } catch (IOException | RuntimeException e) {
            if (!entered(attempt)) {
                failUnsent(attempt, e);
                return;
            }
            // Partly sent: the reader reads whatever the server answered, or the failure.
        }
        if (call.expectsContinue()) sendBodyAfterContinue(attempt);
    }

    /**
     * Nothing of {@code attempt} was sent (a new connection is needed but not allowed now): its call goes
     * back among the retries, in submit order, to go once the reader has settled everything sent on the
     * old connection. It costs no retry.
     */
    private void retryLater(Attempt attempt) {
        Call<?> call = attempt.call;
        signal(() -> {
            sent.remove(call);
            call.attempts--;
            call.attempt = null;
            if (call.attempts == 0) call.firstEvent = attempt.event; // the first attempt is still to come
            retries.add(call);
        }, senderWake);
    }

    /**
     * Nothing of {@code attempt} was written (the connection could not be opened, say), so the reader
     * never sees it: its call fails with {@code e} — unless its request timeout expired it, whose close
     * may be what failed this send.
     */
    private void failUnsent(Attempt attempt, Exception e) {
        Call<?> call = attempt.call;
        boolean[] expired = new boolean[1];
        signal(() -> {
            sent.remove(call);
            expired[0] = call.expired;
        }, readerWake);
        if (!attempt.started && attempt.event != null) attempt.event.failed(e); // no exchange took it
        if (!expired[0]) call.future.completeExceptionally(e);
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
        while (readNext()) {
            // one response per turn
        }
    }

    /**
     * Reads the next response, once there is one to read; false when the pipeline is closed. A method
     * of its own so that no local variable of the loop keeps the last call (and its response) reachable
     * while the thread waits for the next: with lone requests answered on their callers' threads, that
     * wait may last for ever.
     */
    private boolean readNext() {
        Attempt attempt = nextToRead();
        if (attempt == null) return false;
        readResponse(attempt);
        return true;
    }

    /** The oldest request in flight; null once the pipeline is closed (or drained while closing). */
    private Attempt nextToRead() {
        lock.lock();
        try {
            while (true) {
                if (state == State.CLOSED) return null;
                Attempt next = readableHead();
                if (next != null) {
                    bodyBytes = 0;
                    progressAt = System.nanoTime();
                    readingResponse = true;
                    return next;
                }
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

    /**
     * With lock held: the attempt at the head of line if the reader thread is to read its response now.
     * No call is kept in a local of the waiting loop (see {@link #readNext}).
     */
    private Attempt readableHead() {
        Call<?> head = sent.peekFirst();
        return head != null && head.attempt != null && head.attempt.inFlight ? head.attempt : null;
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
        progressAt = System.nanoTime();
        reportAnswered();
        TrackingStream body = new TrackingStream(conn.responseBody());
        T value = null;
        Throwable readerError = null;
        try {
            if (!call.future.isDone()) value = call.bodyReader.read(head, body);
        } catch (Error e) {
            throw e; // not the request's failure but the thread's (out of memory, a failed assertion): see guarded()
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

    /** Tells {@link #events} about the final response head just read. */
    private void reportAnswered() {
        ResponseFacts facts = conn.lastResponseFacts();
        if (facts == null || events == PipelineEvents.NONE) return;
        if (facts.connection() != answeredConnection) {
            answeredConnection = facts.connection();
            answeredOnConnection = 0;
        }
        answeredOnConnection++;
        events.answered(facts, answeredOnConnection == 1);
    }

    /**
     * Tells {@link #events} how a TCP connection failed, once per connection (the requests behind the
     * first failure fail for the same reason): a malformed response, or an unannounced close by the
     * server with pipelined requests unanswered. Called before the call is taken out of {@code sent}.
     */
    private void reportFailure(Throwable error) {
        if (events == PipelineEvents.NONE) return;
        Object connection = conn.lastTransportRead();
        if (connection == null || connection == failedConnection) return;
        failedConnection = connection;
        if (error instanceof InvalidResponseException || error instanceof UnsupportedResponseException) {
            events.outOfProtocol(error.getMessage());
            return;
        }
        if (!(error instanceof ConnectionClosedException) || error instanceof NotProcessedException
                || error instanceof UnansweredRequestException || connection == closedByUs) {
            return; // a timeout, our own close, or a close the server announced: not a sign against pipelining
        }
        // Every request unsettled is on this connection (a new one waits until they are settled); those
        // written behind another are the pipelined ones the server dropped.
        int pipelined = 0;
        int unanswered;
        lock.lock();
        try {
            unanswered = sent.size();
            for (Call<?> c : sent) {
                if (c.attempt != null && c.attempt.pipelined) pipelined++;
            }
        } finally {
            lock.unlock();
        }
        if (pipelined > 0) events.closedWithPipelinedUnanswered(unanswered, error.getMessage());
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
        reportFailure(error);
        conn.abandon(attempt, "abandoned after " + error.getClass().getSimpleName() + " on the response to " + call.request);
        // A request the server announced it would not process costs no retry: with a deep pipeline, many
        // may be sent on a connection the server closes (nginx's keepalive_requests, say).
        boolean unprocessed = error instanceof NotProcessedException;
        // A malformed response may be the tail of the one before (a body on a HEAD answer, say): the
        // connection is closed and an idempotent request is sent again rather than failed.
        boolean lostResponse = (error instanceof ConnectionClosedException && !(error instanceof UnansweredRequestException))
                || error instanceof InvalidResponseException;
        boolean replay = lostResponse
                && IDEMPOTENT.contains(call.request.method()) && call.request.body().replayable()
                && (unprocessed || call.attempts <= options.retries());
        boolean reached;
        boolean expired;
        lock.lock();
        try {
            readingResponse = false;
            sent.remove(call);
            attempt.continueDecided = true; // a sender still waiting for this attempt's 100 stops now
            call.mayHaveReached = true;
            reached = true;
            expired = call.expired;
            if (replay && state != State.CLOSED && !call.future.isDone() && !call.expired) {
                if (unprocessed) call.attempts--;
                call.attempt = null;
                retries.add(call); // in their original order, ahead of everything not yet sent
                WireLog.get().event(origin, "replaying " + call.request + " after: " + error.getMessage());
                senderWake.signal();
                return;
            }
            senderWake.signal(); // room in flight
        } finally {
            lock.unlock();
        }
        if (expired) return; // its timeout is its failure (expire completes it; the close was ours)
        if (error instanceof ConnectionClosedException closed && !(error instanceof UnansweredRequestException)) {
            String why = !IDEMPOTENT.contains(call.request.method())
                    ? "the connection ended and " + call.request.method() + " is not idempotent, so it is not replayed"
                    : !call.request.body().replayable()
                    ? "the connection ended and the body (" + call.request.body() + ") cannot be sent again"
                    : "the connection ended and the retry budget of " + options.retries() + " is spent";
            call.future.completeExceptionally(new UnansweredRequestException(call.request, reached,
                    why + " (" + closed.getMessage() + ")", closed));
        } else {
            call.future.completeExceptionally(error);
        }
    }

    private void answered(Call<?> call) {
        lock.lock();
        try {
            readingResponse = false;
            sent.remove(call);
            // Room in flight for a burst, and something to send in it: else the sender has no use for a
            // wake-up (a run of lone requests then costs it none).
            if (sent.size() <= burstStart() && (!queued.isEmpty() || !retries.isEmpty())) senderWake.signal();
        } finally {
            lock.unlock();
        }
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

    /**
     * Remembers the connection failure seen through the body stream, to tell it from a body reader's
     * own, and counts the bytes read (for {@link #headOfLineStalled}).
     */
    private final class TrackingStream extends FilterInputStream {
        /** The first connection failure seen through this stream; the response failed if set. */
        IOException failure;

        TrackingStream(InputStream in) {
            super(in);
        }

        private void progress(int n) {
            bodyBytes += n; // the reader thread is the only writer
            progressAt = System.nanoTime();
        }

        @Override
        public int read() throws IOException {
            try {
                int c = super.read();
                if (c >= 0) progress(1);
                return c;
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = in.read(b, off, len);
                if (n > 0) progress(n);
                return n;
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
