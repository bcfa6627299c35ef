package io.dugong.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dugong --demo}, small: four ways, every body checked, and the table says how many connections each used. */
@Timeout(120)
class DemoTest {
    private static final Pattern ROW = Pattern.compile(
            "\\| (.+?) +\\| +([0-9.]+) s \\| +([0-9,]+) \\| +([0-9,]+) \\| +(\\S+) \\|");

    @Test
    void demoPrintsATableOfTheFourWays() {
        CliRun run = CliRun.of("--demo", "--requests", "300", "--delay-ms", "0.5");
        assertEquals(0, run.status(), run.stdout() + run.stderr());
        assertTrue(run.stdout().startsWith("dugong demo: 300 documents of 512 B from http://127.0.0.1:"), run.stdout());
        List<Matcher> rows = run.stdout().lines().map(ROW::matcher).filter(Matcher::matches).toList();
        assertEquals(4, rows.size(), run.stdout());
        assertEquals("HttpConnection, one request at a time", rows.get(0).group(1));
        assertEquals("1", rows.get(0).group(4));
        assertEquals("Pipeline, depth 32, one connection", rows.get(1).group(1));
        assertEquals("1", rows.get(1).group(4));
        assertEquals("DugongClient, 128 virtual threads", rows.get(2).group(1));
        assertTrue(Integer.parseInt(rows.get(2).group(4)) <= 4, rows.get(2).group(0));
        assertEquals("JDK HttpClient, 128 virtual threads", rows.get(3).group(1));
        assertTrue(Integer.parseInt(rows.get(3).group(4)) >= 1, rows.get(3).group(0));
    }

    @Test
    void demoServerAnswersRequestsOnOneConnectionInOrderAndCountsConnections() throws Exception {
        try (DemoServer server = DemoServer.start(java.time.Duration.ofMillis(1), 64);
             io.dugong.HttpConnection conn = io.dugong.HttpConnection.open(server.host(), server.port())) {
            for (int i = 0; i < 20; i++) conn.sendRequest("GET", "/doc/" + i);
            conn.sendRequest("GET", "/nothing");
            for (int i = 0; i < 20; i++) {
                assertEquals(200, conn.readResponse().status());
                assertEquals(new String(server.document(i)), new String(conn.readAll()));
            }
            assertEquals(404, conn.readResponse().status());
            conn.discard();
            assertEquals(1, server.connectionsAccepted());
            assertEquals(21, server.requestsAnswered());
        }
    }
}
