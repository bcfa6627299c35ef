package io.dugong;

/**
 * A request got no response because its connection ended (or its pipeline was aborted) and it was not
 * (or could no longer be) replayed. {@link #mayHaveReachedServer()} tells whether the server may have
 * received and acted on it: a non-idempotent request for which this is true must not be blindly resent.
 */
public class UnansweredRequestException extends ConnectionClosedException {
    private static final long serialVersionUID = 1L;

    private final transient Request request;
    /** Whether any of the request was written. */
    private final boolean mayHaveReachedServer;

    /**
     * Creates the exception.
     *
     * @param request              the request that got no response
     * @param mayHaveReachedServer whether any of it was sent
     * @param why                  what happened
     * @param cause                the underlying failure, or null
     */
    public UnansweredRequestException(Request request, boolean mayHaveReachedServer, String why, Throwable cause) {
        super(request + " got no response and " + (mayHaveReachedServer
                ? "MAY HAVE REACHED the server" : "was NOT sent") + ": " + why, cause);
        this.request = request;
        this.mayHaveReachedServer = mayHaveReachedServer;
    }

    /**
     * The request that got no response.
     *
     * @return the request that got no response
     */
    public Request request() {
        return request;
    }

    /**
     * True if the request, or part of it, was written to the connection.
     *
     * @return true if the request, or part of it, was written to the connection
     */
    public boolean mayHaveReachedServer() {
        return mayHaveReachedServer;
    }
}
