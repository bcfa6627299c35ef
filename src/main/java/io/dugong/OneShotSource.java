package io.dugong;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicReference;

/** The source of a {@link Body#ofInputStream} body: the caller's stream, handed out once. */
final class OneShotSource implements Body.StreamSource {
    private final AtomicReference<InputStream> stream;

    OneShotSource(InputStream in) {
        this.stream = new AtomicReference<>(in);
    }

    @Override
    public InputStream open() throws IOException {
        InputStream in = stream.getAndSet(null);
        if (in == null) throw new IOException("a Body.ofInputStream body can be sent only once");
        return new FilterInputStream(in) {
            @Override
            public void close() {
                // The caller's stream: the caller closes it.
            }
        };
    }

    @Override
    public boolean replayable() {
        return false;
    }

    @Override
    public String toString() {
        return "a stream read once";
    }
}
