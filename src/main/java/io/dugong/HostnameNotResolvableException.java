package io.dugong;

import java.net.UnknownHostException;

/**
 * The host name does not resolve, while DNS itself works (the configured test host names resolve):
 * a permanent error, unlike {@link DnsUnavailableException}.
 */
public class HostnameNotResolvableException extends UnknownHostException {
    private static final long serialVersionUID = 1L;

    /** The name that was being resolved. */
    private final String hostname;

    /**
     * Creates the exception.
     *
     * @param hostname the name that did not resolve
     */
    public HostnameNotResolvableException(String hostname) {
        super("host name " + hostname + " does not resolve (DNS works: the test host names resolve)");
        this.hostname = hostname;
    }

    /**
     * The name that did not resolve.
     *
     * @return the name that did not resolve
     */
    public String hostname() {
        return hostname;
    }
}
