package io.dugong.jdk;

import io.dugong.ConnectTimeoutException;
import io.dugong.InvalidResponseException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Maps dugong's failures to the exception types code written for the JDK client catches, keeping
 * dugong's exception as the cause: a connect timeout ({@link ConnectTimeoutException}: name
 * resolution, TCP connect, proxy tunnel or TLS handshake) is an {@link HttpConnectTimeoutException}, a
 * refused or unresolvable connection a {@link ConnectException} (the JDK reports an unknown host that
 * way too), a rejected certificate an {@link SSLHandshakeException}, a malformed response head a
 * {@link ProtocolException}, anything else an
 * {@link IOException}. Exceptions already in the JDK's terms (a plain {@code IOException}, an
 * {@code HttpTimeoutException}, unchecked ones) pass unchanged.
 */
final class Failures {
    private Failures() {
    }

    /** The exception to report for {@code failure}, which came after the response head (if any). */
    static Throwable toJdk(Throwable failure) {
        return toJdk(failure, false);
    }

    /**
     * The exception to report for {@code failure}.
     *
     * @param beforeHead whether no response head had been read yet: a response that breaks HTTP there
     *                   is a {@link ProtocolException}, as the JDK's head parser reports it (a broken
     *                   body, such as a bad chunk size, is a plain {@code IOException} in both)
     */
    static Throwable toJdk(Throwable failure, boolean beforeHead) {
        Throwable t = unwrap(failure);
        if (t instanceof HttpTimeoutException || t instanceof RuntimeException || t instanceof Error
                || t.getClass() == IOException.class) {
            return t; // already in the JDK's terms: the adapter's own, an argument error, a cancellation
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectTimeoutException) {
                return withCause(new HttpConnectTimeoutException("HTTP connect timed out"), c);
            }
            if (c instanceof SSLHandshakeException) return withCause(new SSLHandshakeException(c.getMessage()), t);
            if (c instanceof InvalidResponseException && beforeHead) return withCause(new ProtocolException(c.getMessage()), t);
            if (c instanceof ConnectException || c instanceof UnknownHostException || c instanceof NoRouteToHostException) {
                return withCause(new ConnectException(c.getMessage()), t);
            }
        }
        return new IOException(t.getMessage(), t);
    }

    /** The failure inside the wrappers that futures add. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    private static <E extends Throwable> E withCause(E e, Throwable cause) {
        e.initCause(cause);
        return e;
    }

}
