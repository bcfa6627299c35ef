package io.dugong;

import java.io.IOException;

/**
 * The server's response violates HTTP/1.1 (RFC 9112): bad status line, bad header, bad framing, or over a size limit. The connection cannot be used for further responses; {@link HttpConnection#readRaw(int)} can still show what came.
 */
public class InvalidResponseException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, naming the request or limit involved
     */
    public InvalidResponseException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the low-level cause.
     *
     * @param message what happened
     * @param cause the underlying I/O error
     */
    public InvalidResponseException(String message, Throwable cause) {
        super(message, cause);
    }
}
