package io.dugong;

import java.io.IOException;

/**
 * Refuses, with nothing sent, a request that would open a new connection while a pipeline's older
 * requests are unsettled on the old one: their replays must go first on the new connection.
 */
final class ReconnectDeferred extends IOException {
    private static final long serialVersionUID = 1L;

    ReconnectDeferred() {
        super("a new connection must wait for the requests in flight on the old one");
    }
}
