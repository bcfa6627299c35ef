package io.dugong.cli;

import io.dugong.testing.RecordedRequest;
import io.dugong.testing.ScriptedServer;
import io.dugong.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --insecure} against a TLS server whose certificate is issued by a CA the JDK does not trust
 * and names another host: refused without it, fetched with it (both checks off), and said on stderr.
 */
@Timeout(60)
class InsecureTest {

    private static ScriptedServer untrustedWrongName() {
        return ScriptedServer.builder().tls(TestCertificates.get().wrongNameServerContext()).start(c -> {
            try {
                for (RecordedRequest r; (r = c.readRequest()) != null; ) c.sendResponse(200, "secret " + r.target());
            } catch (javax.net.ssl.SSLHandshakeException refused) {
                // the client refused the certificate: what the first test expects
            }
        });
    }

    @Test
    void anUntrustedCertificateFailsTheRequest() {
        try (ScriptedServer server = untrustedWrongName()) {
            CliRun run = CliRun.of("--retries", "0", "https://localhost:" + server.port() + "/a");
            assertEquals(1, run.status(), run.stderr());
            assertTrue(run.stderr().contains("https://localhost:" + server.port() + "/a: SSLHandshakeException"), run.stderr());
            assertEquals("", run.stdout());
        }
    }

    @Test
    void insecureAcceptsAnUntrustedCertificateForTheWrongNameAndSaysSo() {
        try (ScriptedServer server = untrustedWrongName()) {
            CliRun run = CliRun.of("--insecure", "https://localhost:" + server.port() + "/a");
            assertEquals(0, run.status(), run.stderr());
            assertEquals("secret /a", run.stdout());
            assertTrue(run.firstErrorLine().contains("WARNING: --insecure"), run.stderr());
        }
    }
}
