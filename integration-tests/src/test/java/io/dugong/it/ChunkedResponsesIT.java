package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.Headers;
import io.dugong.HttpConnection;
import io.dugong.ResponseHead;
import io.dugong.it.Nginx.Server;

import java.io.ByteArrayInputStream;
import java.util.OptionalLong;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Chunked responses as nginx makes them (the SSI filter and on-the-fly gzip drop the Content-Length):
 * reassembled, they must equal the file byte for byte.
 */
@ExtendWith(NginxExtension.class)
@Timeout(60)
class ChunkedResponsesIT {

    private static void assertChunked(ResponseHead head) {
        assertEquals(OptionalLong.empty(), head.length(), () -> "length of " + head);
        assertTrue(head.headers().hasToken("Transfer-Encoding", "chunked"), () -> "Transfer-Encoding of " + head);
        assertFalse(head.headers().contains("Content-Length"));
    }

    @Test
    void ssiPageIsChunkedAndReassemblesToTheFile(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("GET", "/ssi/64k.txt");

            ResponseHead head = conn.readResponse();
            assertStatus(200, head);
            assertChunked(head);
            assertArrayEquals(nginx.bytes("files/64k.txt"), conn.readAll());
            assertFalse(conn.responsePending());
        }
    }

    @Test
    void includedEightMegabyteFileArrivesChunkedByteExact(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("GET", "/ssi/8m.shtml");

            ResponseHead head = conn.readResponse();
            assertStatus(200, head);
            assertChunked(head);
            assertArrayEquals(nginx.bytes("files/8m.bin"), conn.readAll());
        }
    }

    @Test
    void gzipResponseIsChunkedAndDecodesToTheFile(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            conn.sendRequest("GET", "/gzip/64k.txt", Headers.of("Accept-Encoding", "gzip"));

            ResponseHead head = conn.readResponse();
            assertStatus(200, head);
            assertChunked(head);
            assertEquals("gzip", head.headers().first("Content-Encoding").orElseThrow());
            byte[] compressed = conn.readAll();
            byte[] text = nginx.bytes("files/64k.txt");
            assertTrue(compressed.length < text.length / 4, "compressed to " + compressed.length + " bytes");
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
                assertArrayEquals(text, in.readAllBytes());
            }
        }
    }

    @Test
    void chunkedAndFixedLengthResponsesPipelineInOrder(Nginx nginx) throws Exception {
        try (HttpConnection conn = nginx.connection(Server.MAIN).build()) {
            for (int round = 0; round < 20; round++) {
                conn.sendRequest("GET", "/ssi/64k.txt");
                conn.sendRequest("GET", "/files/100.bin");
                conn.sendRequest("GET", "/gzip/64k.txt", Headers.of("Accept-Encoding", "gzip"));
                conn.sendRequest("GET", "/files/0.bin");
            }
            for (int round = 0; round < 20; round++) {
                ResponseHead ssi = conn.readResponse();
                assertChunked(ssi);
                assertArrayEquals(nginx.bytes("files/64k.txt"), conn.readAll());
                assertEquals("/files/100.bin", conn.readResponse().target());
                assertArrayEquals(nginx.bytes("files/100.bin"), conn.readAll());
                ResponseHead gz = conn.readResponse();
                assertChunked(gz);
                try (GZIPInputStream in = new GZIPInputStream(conn.responseBody())) {
                    assertArrayEquals(nginx.bytes("files/64k.txt"), in.readAllBytes());
                }
                assertEquals(OptionalLong.of(0), conn.readResponse().length());
                assertEquals(0, conn.readAll().length);
            }
        }
    }
}
