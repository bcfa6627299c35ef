package io.dugong;

import java.net.UnknownHostException;

/**
 * A host name could not be resolved and neither could any of the test host names, so name resolution
 * itself seems to be down: a temporary error (see {@link NetworkErrors#isTemporary(Throwable)}).
 */
public class DnsUnavailableException extends UnknownHostException {
    private static final long serialVersionUID = 1L;

    /** The name that was being resolved. */
    private final String hostname;

    /**
     * Creates the exception.
     *
     * @param hostname the name that was being resolved
     */
    public DnsUnavailableException(String hostname) {
        super("cannot resolve " + hostname + ": DNS seems unavailable (none of the test host names resolves either)");
        this.hostname = hostname;
    }

    /**
     * The name that was being resolved.
     *
     * @return the name that was being resolved
     */
    public String hostname() {
        return hostname;
    }
}
