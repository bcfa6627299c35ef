package io.dugong;

import io.dugong.internal.ExchangeEvent;

/**
 * Told by a connection's sender half where one request stands, on the sending thread: lets a
 * pipeline know whether any of it may have reached the server, and when its response may be read.
 */
interface SendListener {
    /** The first byte of the request is about to be written: from now on it may reach the server. */
    void writing();

    /** The request is in flight: its response may be read. */
    void inFlight();

    /**
     * The JFR event that times this request, begun when it was queued; null lets the connection make its own.
     *
     * @return the event, or null
     */
    default ExchangeEvent event() {
        return null;
    }
}
