/**
 * dugong-java: a pipelined HTTP/1.1 client on virtual threads.
 * Only the public API package is exported; the wire layer stays internal.
 */
module io.dugong {
    exports io.dugong;
}
