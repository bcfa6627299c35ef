package io.dugong;

import java.io.IOException;
import java.io.InputStream;

/**
 * Turns one response body into a value. It runs on the pipeline's reader thread, so it should read
 * the stream and return without waiting on anything else; whatever it leaves unread is discarded.
 * {@link BodyReaders} has the common ones.
 *
 * @param <T> the body type
 */
@FunctionalInterface
public interface BodyReader<T> {
    /**
     * Reads the body.
     *
     * @param head the response head (status, headers, length)
     * @param body the body bytes; ends at the end of the body; closing it is allowed and not required
     * @return the value to put in {@link Response#body()}
     * @throws java.io.IOException if reading the body fails; the request fails with it
     */
    T read(ResponseHead head, InputStream body) throws IOException;
}
