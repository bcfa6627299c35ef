package io.dugong;

import java.io.IOException;

/**
 * The connection was closed, reset or ended before an exchange completed (by the peer, by {@link HttpConnection#disconnect()}, or by an interrupt).
 */
public class ConnectionClosedException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, naming the request or limit involved
     */
    public ConnectionClosedException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the low-level cause.
     *
     * @param message what happened
     * @param cause the underlying I/O error
     */
    public ConnectionClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
