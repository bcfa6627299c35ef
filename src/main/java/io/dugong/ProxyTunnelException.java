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
    private final transient Headers headers;

    /**
     * Creates the exception.
     *
     * @param target the {@code host:port} the tunnel was for
     * @param status the proxy's status code
     * @param reason the proxy's reason phrase
     */
    public ProxyTunnelException(String target, int status, String reason) {
        this(target, status, reason, Headers.empty());
    }

    /**
     * Creates the exception with the headers of the proxy's answer.
     *
     * @param target  the {@code host:port} the tunnel was for
     * @param status  the proxy's status code
     * @param reason  the proxy's reason phrase
     * @param headers the proxy's response headers (e.g. {@code Proxy-Authenticate})
     */
    public ProxyTunnelException(String target, int status, String reason, Headers headers) {
        super("the proxy refused a tunnel to " + target + ": " + status + " " + reason);
        this.status = status;
        this.reason = reason;
        this.headers = headers;
    }

    /**
     * The headers of the proxy's answer.
     *
     * @return the header fields, empty if not known
     */
    public Headers headers() {
        return headers == null ? Headers.empty() : headers;
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
