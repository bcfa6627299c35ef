package io.dugong.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
