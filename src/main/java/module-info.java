/**
 * dugong-java: a pipelined HTTP/1.1 client on virtual threads.
 * Only the public API package is exported; the wire layer and the command-line tool
 * ({@code io.dugong.cli}, the jar's Main-Class) stay internal.
 */
module io.dugong {
    exports io.dugong;

    // The JFR events of connections and exchanges (io.dugong.internal); jdk.jfr is in every JDK image.
    requires jdk.jfr;
    // Only `dugong --demo` compares with the JDK's HttpClient; the library itself never needs it.
    requires static java.net.http;
}
