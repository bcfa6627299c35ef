package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static io.dugong.it.Exchanges.connectionId;
import static io.dugong.it.Exchanges.connectionRequests;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dugong.BodyReader;
import io.dugong.BodyReaders;
import io.dugong.DugongClient;
import io.dugong.OriginStats;
import io.dugong.Request;
import io.dugong.Response;
import io.dugong.it.Nginx.Server;

import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DugongClient's pipelining rules against nginx: a location that closes the connection after every
 * response ({@code keepalive_requests 1}) is learnt as keep-alive-only with every request answered, and
 * a slow large body at the head of a connection ({@code limit_rate}) does not hold the requests sent
 * after it.
 */
@ExtendWith(NginxExtension.class)
@Timeout(120)
class PipeliningSafetyIT {
    private static final int REQUESTS = 500;

    private static URI main(Nginx nginx) {
        return URI.create("http://" + nginx.host() + ":" + nginx.port(Server.MAIN));
    }

    @Test
    void anOriginClosingAfterEveryResponseIsLearntAsKeepAliveOnlyWithEveryRequestAnswered(Nginx nginx) throws Exception {
        byte[] file = nginx.bytes("files/100.bin");
        try (DugongClient client = DugongClient.newClient()) {
            List<CompletableFuture<Response<byte[]>>> futures = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                futures.add(client.sendAsync(Request.get(main(nginx).resolve("/close/100.bin?n=" + i))));
            }
            for (CompletableFuture<Response<byte[]>> f : futures) {
                Response<byte[]> r = f.get(60, TimeUnit.SECONDS);
                assertStatus(200, r);
                assertArrayEquals(file, r.body());
                assertEquals(1, connectionRequests(r), "every response on a connection of its own");
                assertTrue(r.headers().hasToken("Connection", "close"));
            }
            OriginStats stats = client.originStats(main(nginx));
            assertEquals(OriginStats.Verdict.KEEP_ALIVE, stats.verdict(), stats.toString());
            assertEquals(1, stats.depth());
            assertTrue(stats.reason().contains("Connection: close on the first response"), stats.reason());
            assertEquals(REQUESTS, stats.responses(), "no request was answered twice");
        }
    }

    @Test
    void requestsSentWhileALargeBodyStreamsSlowlyAtTheHeadGoToAnotherConnection(Nginx nginx) throws Exception {
        byte[] big = nginx.bytes("files/8m.bin");
        byte[] small = nginx.bytes("files/100.bin");
        CountDownLatch pastTheLimit = new CountDownLatch(1);
        CountDownLatch othersDone = new CountDownLatch(1);
        // Reads the slow body; once past the head-of-line size, holds it until the other requests are done.
        BodyReader<byte[]> holdingReader = (head, body) -> {
            InputStream in = body;
            byte[] all = new byte[big.length];
            int n = 0;
            for (int r; (r = in.read(all, n, Math.min(64 * 1024, all.length - n))) > 0; ) {
                n += r;
                if (n > DugongClient.DEFAULT_HEAD_OF_LINE_BODY_SIZE && pastTheLimit.getCount() > 0) {
                    pastTheLimit.countDown();
                    try {
                        if (!othersDone.await(60, TimeUnit.SECONDS)) throw new AssertionError("the others never finished");
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException("interrupted while holding the slow body");
                    }
                }
            }
            assertEquals(-1, in.read());
            return java.util.Arrays.copyOf(all, n);
        };
        try (DugongClient client = DugongClient.builder().maxConnectionsPerOrigin(2).build()) {
            client.pipelining(main(nginx), DugongClient.Mode.ON);
            CompletableFuture<Response<byte[]>> slow =
                    client.sendAsync(Request.get(main(nginx).resolve("/slow/8m.bin")), holdingReader);
            assertTrue(pastTheLimit.await(60, TimeUnit.SECONDS));

            List<CompletableFuture<Response<byte[]>>> others = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                others.add(client.sendAsync(Request.get(main(nginx).resolve("/files/100.bin?n=" + i)), BodyReaders.ofByteArray()));
            }
            long otherConnection = -1;
            for (CompletableFuture<Response<byte[]>> f : others) {
                Response<byte[]> r = f.get(60, TimeUnit.SECONDS);
                assertStatus(200, r);
                assertArrayEquals(small, r.body());
                if (otherConnection == -1) otherConnection = connectionId(r);
                assertEquals(otherConnection, connectionId(r), "all on the one other connection");
            }
            assertFalse(slow.isDone());
            othersDone.countDown();

            Response<byte[]> r = slow.get(60, TimeUnit.SECONDS);
            assertArrayEquals(big, r.body());
            assertTrue(connectionId(r) != otherConnection, "the slow body had a connection of its own");
        }
    }
}
