package io.dugong.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dugong.Headers;
import io.dugong.Response;
import io.dugong.ResponseHead;

/** Small readers of nginx's diagnostic headers, shared by the integration tests. */
final class Exchanges {
    private Exchanges() {
    }

    /** nginx's connection serial number ($connection) for the connection that sent {@code head}. */
    static long connectionId(ResponseHead head) {
        return Long.parseLong(head.headers().first("X-Connection").orElseThrow(
                () -> new AssertionError("no X-Connection header in " + head)));
    }

    /** How many requests nginx had answered on that connection, this one included. */
    static long connectionRequests(ResponseHead head) {
        return Long.parseLong(head.headers().first("X-Connection-Requests").orElseThrow(
                () -> new AssertionError("no X-Connection-Requests header in " + head)));
    }

    static void assertStatus(int expected, ResponseHead head) {
        assertEquals(expected, head.status(), () -> "status of " + head);
    }

    /** nginx's connection serial number for the connection that answered {@code response} (Pipeline, DugongClient). */
    static long connectionId(Response<?> response) {
        return header(response.headers(), "X-Connection", response);
    }

    /** How many requests nginx had answered on the connection that answered {@code response}, this one included. */
    static long connectionRequests(Response<?> response) {
        return header(response.headers(), "X-Connection-Requests", response);
    }

    static void assertStatus(int expected, Response<?> response) {
        assertEquals(expected, response.status(), () -> "status of " + response);
    }

    private static long header(Headers headers, String name, Object what) {
        return Long.parseLong(headers.first(name).orElseThrow(() -> new AssertionError("no " + name + " header in " + what)));
    }
}
