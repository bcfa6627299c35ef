package io.dugong;

import java.io.IOException;

/**
 * The proxy refused to open a {@code CONNECT} tunnel; {@link #status()} and {@link #reason()} give its
 * answer. The socket to the proxy has been closed.
 */
public class ProxyTunnelException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The proxy's status code. */
    private final int status;
    /** The proxy's reason phrase. */
    private final String reason;

    /**
     * Creates the exception.
     *
     * @param target the {@code host:port} the tunnel was for
     * @param status the proxy's status code
     * @param reason the proxy's reason phrase
     */
    public ProxyTunnelException(String target, int status, String reason) {
        super("the proxy refused a tunnel to " + target + ": " + status + " " + reason);
        this.status = status;
        this.reason = reason;
    }

    /**
     * The proxy's status code.
     *
     * @return the proxy's status code
     */
    public int status() {
        return status;
    }

    /**
     * The proxy's reason phrase.
     *
     * @return the proxy's reason phrase
     */
    public String reason() {
        return reason;
    }
}
