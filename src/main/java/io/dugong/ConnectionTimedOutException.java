package io.dugong;

import java.io.IOException;

/**
 * A blocking wait on the connection (connect, read or write) exceeded its timeout.
 */
public class ConnectionTimedOutException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, naming the request or limit involved
     */
    public ConnectionTimedOutException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the low-level cause.
     *
     * @param message what happened
     * @param cause the underlying I/O error
     */
    public ConnectionTimedOutException(String message, Throwable cause) {
        super(message, cause);
    }
}
