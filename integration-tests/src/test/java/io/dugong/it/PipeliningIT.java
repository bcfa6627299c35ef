package io.dugong.it;

import static io.dugong.it.Exchanges.assertStatus;
import static io.dugong.it.Exchanges.connectionId;
import static io.dugong.it.Exchanges.connectionRequests;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.dugong.HttpConnection;
import io.dugong.ResponseHead;
import io.dugong.it.Nginx.Server;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Long pipelines against nginx: many requests in flight on one connection, answers in order and byte-exact. */
@ExtendWith(NginxExtension.class)
@Timeout(300)
class PipeliningIT {

    private static final int REQUESTS = 10_000;
    /** Mostly small files, a 64 KiB one every fifth request: about 130 MB in all. */
    private static final String[] CYCLE = {"0.bin", "100.bin", "64k.bin", "100.bin", "64k.txt"};

    private static String target(int i) {
        return "/files/" + CYCLE[i % CYCLE.length] + "?i=" + i;
    }

    @Test
    void tenThousandGetsPipelinedOnOneConnectionAreAnsweredInOrderByteExact(Nginx nginx) throws Exception {
        byte[][] expected = new byte[CYCLE.length][];
        for (int k = 0; k < CYCLE.length; k++) expected[k] = nginx.bytes("files/" + CYCLE[k]);

        try (HttpConnection conn = nginx.connection(Server.MAIN).build();
             ExecutorService sender = Executors.newVirtualThreadPerTaskExecutor()) {
            // One thread sends all requests while this one reads, so neither side's socket buffer can
            // fill up and stall the other. readResponse needs its request in flight: `sentCount` lets
            // the reader wait for that (it never waits for a response).
            Semaphore sentCount = new Semaphore(0);
            Future<?> sent = sender.submit(() -> {
                for (int i = 0; i < REQUESTS; i++) {
                    conn.sendRequest("GET", target(i));
                    sentCount.release();
                }
                return null;
            });

            long firstConnection = -1;
            for (int i = 0; i < REQUESTS; i++) {
                if (!sentCount.tryAcquire(30, TimeUnit.SECONDS)) {
                    sent.get(); // rethrows the sender's failure, if that is why
                    fail("request " + i + " was not sent within 30 s");
                }
                ResponseHead head = conn.readResponse();
                assertStatus(200, head);
                assertEquals(target(i), head.target(), "responses come back in request order");
                byte[] body = conn.readAll();
                int k = i % CYCLE.length;
                assertArrayEquals(expected[k], body, "body of " + target(i));
                if (i == 0) firstConnection = connectionId(head);
                assertEquals(firstConnection, connectionId(head), "response " + i + " came on another connection");
                assertEquals(i + 1, connectionRequests(head), "nginx's request count on the connection");
            }
            sent.get();
        }
    }
}
