package io.dugong.jdk;

import io.dugong.Body;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpRequest.BodyPublisher;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The bridge from a {@link BodyPublisher} to a dugong {@link Body}: the pipeline's sender thread pulls
 * the body as an {@link InputStream}, which subscribes to the publisher and asks it for one buffer at a
 * time, so a large publisher is streamed, never collected. A known {@code contentLength()} becomes the
 * {@code Content-Length}; an unknown one ({@code -1}) is sent chunked. Each attempt to send (a pipeline
 * replaying the request, a redirect, an authentication retry) subscribes again, as the JDK does.
 */
final class PublisherBody {
    private PublisherBody() {
    }

    /** The body for {@code publisher}, or an empty one for null (a request without a publisher). */
    static Body of(BodyPublisher publisher) {
        if (publisher == null) return Body.empty();
        long length = publisher.contentLength();
        if (length == 0) return Body.empty();
        Body.StreamSource source = () -> new Stream(publisher);
        return length < 0 ? Body.ofStream(source) : Body.ofStream(source, length);
    }

    /** One subscription to the publisher, read as a stream. */
    private static final class Stream extends InputStream implements Flow.Subscriber<ByteBuffer> {
        private static final Object END = new Object();

        private final CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
        /** Buffers, then {@link #END} or a Throwable; the publisher may add from any thread. */
        private final LinkedBlockingQueue<Object> items = new LinkedBlockingQueue<>();
        // Reading thread only.
        private ByteBuffer current;
        private boolean requested;
        private boolean ended;

        Stream(BodyPublisher publisher) {
            publisher.subscribe(this);
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            if (!subscription.complete(s)) s.cancel(); // Flow rule 2.5: only one subscription
        }

        @Override
        public void onNext(ByteBuffer item) {
            items.add(item);
        }

        @Override
        public void onError(Throwable throwable) {
            items.add(throwable);
        }

        @Override
        public void onComplete() {
            items.add(END);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (current == null || !current.hasRemaining()) {
                if (ended) return -1;
                next();
            }
            int n = Math.min(len, current.remaining());
            current.get(b, off, n);
            return n;
        }

        /** Takes the next item, asking the publisher for one first if nothing is asked for yet. */
        private void next() throws IOException {
            try {
                if (!requested) {
                    requested = true;
                    subscription.get().request(1); // the publisher may deliver right here, on this thread
                }
                Object item = items.take();
                if (item == END) {
                    ended = true;
                } else if (item instanceof Throwable t) {
                    ended = true;
                    throw t instanceof IOException io ? io : new IOException("the request body publisher failed: " + t, t);
                } else {
                    requested = false;
                    current = (ByteBuffer) item;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the request body publisher");
            } catch (ExecutionException e) {
                throw new IOException("the request body publisher failed to subscribe", e.getCause());
            }
        }

        /** Cancels the subscription when the sender stops early (a refused 100-continue, a failure). */
        @Override
        public void close() {
            if (!ended) {
                ended = true;
                subscription.thenAccept(Flow.Subscription::cancel);
            }
        }
    }
}
