package io.dugong;

/**
 * What one final response head told about its server, beyond what the caller sees in
 * {@link ResponseHead}: the facts a client needs to decide whether pipelining to that origin is safe.
 *
 * @param connection     the TCP connection it came on (an identity only, to count responses per connection)
 * @param minorVersion   the y of HTTP/1.y in its status line
 * @param closeAnnounced whether the server said it closes the connection after it ({@code Connection: close},
 *                       or HTTP/1.0 without keep-alive)
 */
record ResponseFacts(Object connection, int minorVersion, boolean closeAnnounced) {
}
