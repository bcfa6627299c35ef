package io.dugong;

import java.util.OptionalLong;

/**
 * The status line and headers of a response, with how long its body is.
 *
 * @param method the method of the request this answers
 * @param target the target of the request this answers, as sent
 * @param status the status code, 100 to 599
 * @param reason the reason phrase (may be empty)
 * @param headers the header fields, as received
 * @param length the body length: the Content-Length; {@code 0} for HEAD, 1xx, 204 and 304;
 *               empty for a chunked body or one delimited by the connection closing
 */
public record ResponseHead(String method, String target, int status, String reason, Headers headers,
                           OptionalLong length) {

    /**
     * True for 2xx.
     *
     * @return true for 2xx
     */
    public boolean isSuccess() {
        return status >= 200 && status < 300;
    }

    /**
     * True for 1xx.
     *
     * @return true for 1xx
     */
    public boolean isInformational() {
        return status < 200;
    }

    @Override
    public String toString() {
        return status + " " + reason + " (" + method + " " + target + ")";
    }
}
