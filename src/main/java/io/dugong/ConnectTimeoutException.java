package io.dugong;

/**
 * Opening a connection took longer than the connect timeout
 * ({@link HttpConnection.Builder#connectTimeout}, {@link DugongClient.Builder#connectTimeout}). The one
 * limit covers every step of opening: resolving the host name, the TCP connect, the proxy's answer to
 * {@code CONNECT} and the TLS handshake; the message names the step. Nothing of a request was sent,
 * so it may be retried on a new connection.
 *
 * <pre>{@code
 * try {
 *     client.send(Request.get(uri));
 * } catch (ConnectTimeoutException e) {
 *     // the server (or its proxy) could not be reached in time: try another one
 * }
 * }</pre>
 *
 * <p>It is a {@link ConnectionTimedOutException}, so code catching that for every timeout still does.
 */
public class ConnectTimeoutException extends ConnectionTimedOutException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what timed out: the limit, the peer and the step of opening
     */
    public ConnectTimeoutException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the low-level cause.
     *
     * @param message what timed out: the limit, the peer and the step of opening
     * @param cause   the underlying timeout (a {@link java.net.SocketTimeoutException}, say), or null
     */
    public ConnectTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
