package io.dugong;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dugong.testing.ScriptedServer;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The parser reuses the strings of the previous head on a connection when the same bytes come again:
 * a head must read exactly as it would alone, whatever the head before it was.
 */
@Timeout(30)
class RepeatedHeadsTest {

    @Test
    void eachHeadReadsAsItsOwnBytesSayWhateverCameBefore() throws IOException {
        String wire = ""
                + "HTTP/1.1 200 OK\r\nServer: nginx\r\nX-Tag: abc\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nServer: nginx\r\nX-Tag: abd\r\nContent-Length: 0\r\n\r\n"     // same length, one byte differs
                + "HTTP/1.1 200 Fine\r\nX-Tag: abd\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n"  // same fields, other order
                + "HTTP/1.1 200 Fine\r\nX-Tag: abd\r\n  more\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n" // a fold
                + "HTTP/1.1 200 Fine\r\nX-Tag: abd\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n"  // the folded line alone
                + "HTTP/1.1 200 OK\r\nServer:\tnginx \r\nX-Tag: abd\r\nX-New: 1\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 204\r\n\r\n";
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (int i = 0; i < 7; i++) if (c.readRequest() == null) return;
            c.send(wire.getBytes(ISO_8859_1));
            c.closeGracefully();
        }); HttpConnection conn = HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5)).build()) {
            for (int i = 0; i < 7; i++) conn.sendRequest("GET", "/" + i);

            ResponseHead first = conn.readResponse();
            assertEquals(List.of("Server", "nginx", "X-Tag", "abc", "Content-Length", "0"), fields(first));
            ResponseHead second = conn.readResponse();
            assertEquals(List.of("Server", "nginx", "X-Tag", "abd", "Content-Length", "0"), fields(second));
            assertSame(first.headers().first("Server").orElseThrow(), second.headers().first("Server").orElseThrow(),
                    "the repeated value is shared, not made again");
            ResponseHead third = conn.readResponse();
            assertEquals("Fine", third.reason());
            assertEquals(List.of("X-Tag", "abd", "Server", "nginx", "Content-Length", "0"), fields(third));
            ResponseHead fourth = conn.readResponse();
            assertEquals(List.of("X-Tag", "abd more", "Server", "nginx", "Content-Length", "0"), fields(fourth));
            assertEquals(List.of("X-Tag", "abd", "Server", "nginx", "Content-Length", "0"), fields(conn.readResponse()));
            ResponseHead fifth = conn.readResponse();
            assertEquals("OK", fifth.reason());
            assertEquals(List.of("Server", "nginx", "X-Tag", "abd", "X-New", "1", "Content-Length", "0"), fields(fifth));
            ResponseHead sixth = conn.readResponse();
            assertEquals(204, sixth.status());
            assertEquals("", sixth.reason());
            assertEquals(List.of(), fields(sixth));
        }
    }

    @Test
    void aRepeatedValueIsStillCheckedWhereItDiffers() throws IOException {
        String wire = "HTTP/1.1 200 OK\r\nX-A: ok\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nX-A: o\u0001\r\nContent-Length: 0\r\n\r\n";
        try (ScriptedServer server = ScriptedServer.start(c -> {
            for (int i = 0; i < 2; i++) if (c.readRequest() == null) return;
            c.send(wire.getBytes(ISO_8859_1));
            c.closeGracefully();
        }); HttpConnection conn = HttpConnection.builder(server.host()).port(server.port()).timeout(Duration.ofSeconds(5)).build()) {
            conn.sendRequest("GET", "/0");
            conn.sendRequest("GET", "/1");
            assertEquals("ok", conn.readResponse().headers().first("X-A").orElseThrow());

            assertThrows(InvalidResponseException.class, conn::readResponse);
        }
    }

    private static List<String> fields(ResponseHead head) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        head.headers().forEach((n, v) -> {
            out.add(n);
            out.add(v);
        });
        return out;
    }
}
