package io.dugong;

/**
 * The response is well-formed but uses something this client does not implement: a transfer coding
 * other than {@code chunked}, an HTTP major version other than 1, or a protocol switch. It is an
 * {@link InvalidResponseException}, so code that handles that handles this too.
 */
public class UnsupportedResponseException extends InvalidResponseException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what the response used that is not supported
     */
    public UnsupportedResponseException(String message) {
        super(message);
    }
}
