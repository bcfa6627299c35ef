/**
 * dugong-java: a pipelined HTTP/1.1 client on virtual threads.
 * Only the public API packages are exported: {@code io.dugong}, and {@code io.dugong.jdk}, the drop-in
 * {@code java.net.http.HttpClient} (hence the JDK module required beyond java.base). The wire layer and the
 * command-line tool ({@code io.dugong.cli}, the jar's Main-Class) stay internal.
 */
module io.dugong {
    requires transitive java.net.http;
    // The JFR events of connections and exchanges (io.dugong.internal); jdk.jfr is in every JDK image.
    requires jdk.jfr;

    exports io.dugong;
    exports io.dugong.jdk;
}
