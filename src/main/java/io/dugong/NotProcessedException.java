package io.dugong;

/**
 * A request sent after the response on which the server announced {@code Connection: close}: by
 * RFC 9112 §9.6 the server did not process it, so replaying it is safe (and costs no retry).
 */
final class NotProcessedException extends ConnectionClosedException {
    private static final long serialVersionUID = 1L;

    NotProcessedException(String message) {
        super(message);
    }
}
