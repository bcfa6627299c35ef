package io.dugong;

/**
 * A complete response, as delivered by {@link Pipeline} and {@link DugongClient}.
 *
 * @param request the request this answers
 * @param status  the status code
 * @param reason  the reason phrase
 * @param headers the response headers
 * @param body    the body, as produced by the {@link BodyReader}
 * @param <T>     the body type
 */
public record Response<T>(Request request, int status, String reason, Headers headers, T body) {

    /**
     * True for 2xx.
     *
     * @return true for 2xx
     */
    public boolean isSuccess() {
        return status >= 200 && status < 300;
    }

    @Override
    public String toString() {
        return status + " " + reason + " for " + request;
    }
}
