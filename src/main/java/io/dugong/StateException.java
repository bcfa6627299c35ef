package io.dugong;

/**
 * A method was called in a state that does not allow it: for example {@code readResponse()} with no
 * request in flight, {@code sendRequest} while a request body is unfinished, or two threads driving the
 * same half of a connection. Nothing was sent or read; the connection is unchanged.
 */
public class StateException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the call, and the state that forbids it
     */
    public StateException(String message) {
        super(message);
    }
}
