package io.dugong.jdk;

import java.net.http.HttpClient;

/** The two implementations every shared scenario runs against. */
public enum Impl {
    /** The JDK's own client, speaking HTTP/1.1 (so it never tries an h2c upgrade). */
    JDK {
        @Override
        public HttpClient.Builder builder() {
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);
        }
    },
    /** The adapter. */
    DUGONG {
        @Override
        public HttpClient.Builder builder() {
            return DugongHttpClient.newBuilder();
        }
    };

    /** A fresh builder of this implementation. */
    public abstract HttpClient.Builder builder();
}
