/**
 * dugong-java: a pipelined HTTP/1.1 client on virtual threads.
 * Only the public API packages are exported; the wire layer stays internal. {@code io.dugong.jdk} is the
 * drop-in {@code java.net.http.HttpClient}, hence the one JDK module required beyond java.base.
 */
module io.dugong {
    requires transitive java.net.http;

    exports io.dugong;
    exports io.dugong.jdk;
}
