package io.dugong;

import io.dugong.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.StructuredTaskScope;

import static io.dugong.ManyUrlsTest.URLS;
import static io.dugong.ManyUrlsTest.assertAllExact;
import static io.dugong.ManyUrlsTest.client;
import static io.dugong.ManyUrlsTest.closeAll;
import static io.dugong.ManyUrlsTest.startOrigins;
import static io.dugong.ManyUrlsTest.uri;

/**
 * DugongClient from a StructuredTaskScope (JDK 25 preview API; this source folder is compiled only on
 * JDK 25+, with --enable-preview): 10,000 URLs over 3 origins, one subtask each, through one client, complete
 * byte-exact on at most maxConnectionsPerOrigin TCP connections per origin.
 */
@Timeout(60)
class StructuredManyUrlsTest {

    @Test
    void tenThousandSubtasksOfAStructuredTaskScopeFetchThroughOneClient() throws Exception {
        List<ScriptedServer> servers = startOrigins();
        try (DugongClient client = client()) {
            List<StructuredTaskScope.Subtask<Response<byte[]>>> tasks = new ArrayList<>();
            try (var scope = StructuredTaskScope.open()) {
                for (int n = 0; n < URLS; n++) {
                    int i = n;
                    tasks.add(scope.fork(() -> client.send(Request.get(uri(servers, i)))));
                }
                scope.join(); // throws if any subtask failed
            }

            assertAllExact(servers, tasks.stream().map(StructuredTaskScope.Subtask::get).toList());
        } finally {
            closeAll(servers);
        }
    }
}
