package io.dugong;

/**
 * What a {@link Pipeline} tells its owner about the server's handling of pipelined requests, so that a
 * {@link DugongClient} can learn, per origin, how deep it may pipeline. Called on the pipeline's reader
 * thread with no pipeline lock held; implementations must be quick and must not block.
 */
interface PipelineEvents {
    /** Tells nothing to anybody: a pipeline opened on its own. */
    PipelineEvents NONE = new PipelineEvents() {
    };

    /**
     * A final response head was read.
     *
     * @param facts             what its head said about the server
     * @param firstOnConnection whether it is the first response on its TCP connection
     */
    default void answered(ResponseFacts facts, boolean firstOnConnection) {
    }

    /**
     * The server ended a connection, without announcing it, while more than one request was in flight
     * there: the first sign of a server or middlebox that drops pipelined requests.
     *
     * @param unanswered how many requests in flight there got no response
     * @param why        the failure of the oldest of them
     */
    default void closedWithPipelinedUnanswered(int unanswered, String why) {
    }

    /**
     * A response broke the protocol (malformed, or bytes that cannot belong to the request at the head):
     * the connection was closed and the requests on it replayed or failed.
     *
     * @param why what was wrong
     */
    default void outOfProtocol(String why) {
    }
}
