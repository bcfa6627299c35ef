package io.dugong.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad command lines: exit status 2, a one-line error naming the problem, then the usage; nothing fetched. */
@Timeout(30)
class MainArgumentsTest {

    private static void assertUsageError(CliRun run, String expectedMessage) {
        assertEquals(Main.USAGE, run.status(), run.stderr());
        assertEquals("dugong: " + expectedMessage, run.firstErrorLine());
        assertTrue(run.stderr().contains("usage: dugong"), run.stderr());
        assertEquals("", run.stdout());
    }

    @Test
    void noArgumentsPrintsTheUsageAndExits2() {
        CliRun run = CliRun.of();
        assertEquals(2, run.status());
        assertTrue(run.stderr().startsWith("usage: dugong"), run.stderr());
    }

    @Test
    void helpPrintsTheUsageOnStdoutAndExits0() {
        CliRun run = CliRun.of("--help");
        assertEquals(0, run.status());
        assertTrue(run.stdout().startsWith("usage: dugong"), run.stdout());
    }

    @Test
    void anUnknownOptionIsNamed() {
        assertUsageError(CliRun.of("--bogus", "http://localhost/"), "unknown option --bogus");
    }

    @Test
    void anOptionWithoutItsValueIsNamed() {
        assertUsageError(CliRun.of("http://localhost/", "--depth"), "--depth needs a value");
    }

    @Test
    void aNonNumericDepthIsRejected() {
        assertUsageError(CliRun.of("--depth", "lots", "http://localhost/"), "--depth needs a whole number, got 'lots'");
    }

    @Test
    void aZeroConnectionCountIsRejected() {
        assertUsageError(CliRun.of("--connections=0", "http://localhost/"), "--connections must be at least 1, got 0");
    }

    @Test
    void aHeaderWithoutAColonIsRejected() {
        assertUsageError(CliRun.of("-H", "NoColon", "http://localhost/"), "a header must look like 'Name: value', got 'NoColon'");
    }

    @Test
    void aMissingBodyFileIsRejected() {
        assertUsageError(CliRun.of("-d", "@/nonexistent/body.bin", "http://localhost/"),
                "cannot read the body file /nonexistent/body.bin");
    }

    @Test
    void aMissingUrlFileIsRejected() {
        assertUsageError(CliRun.of("-f", "/nonexistent/urls.txt"), "no such URL file: /nonexistent/urls.txt");
    }

    @Test
    void aBadProxyIsRejected() {
        assertUsageError(CliRun.of("-x", "proxy-without-port", "http://localhost/"),
                "a proxy must look like HOST:PORT or http://HOST:PORT, got 'proxy-without-port'");
    }

    @Test
    void noUrlIsAnError() {
        assertUsageError(CliRun.of("-i"), "no URL given");
    }

    @Test
    void urlsAndAUrlFileTogetherAreAnError() {
        assertUsageError(CliRun.of("-f", "-", "http://localhost/"), "give URLs as arguments or with -f, not both");
    }

    @Test
    void aUrlOfAnotherSchemeIsRejectedBeforeAnythingIsFetched() {
        try (EchoServer server = new EchoServer()) {
            CliRun run = CliRun.of(server.url("/a"), "ftp://example.org/file");
            assertUsageError(run, "not an http or https URL: 'ftp://example.org/file'");
            assertEquals(0, server.server.acceptedConnections(), "nothing may be fetched when an argument is bad");
        }
    }

    @Test
    void aUrlWithoutHostIsRejected() {
        assertUsageError(CliRun.of("http:///path"), "no host in 'http:///path'");
    }

    @Test
    void aMalformedUrlIsRejected() {
        CliRun run = CliRun.of("http://exa mple.org/");
        assertEquals(2, run.status());
        assertTrue(run.firstErrorLine().startsWith("dugong: not a URL: 'http://exa mple.org/'"), run.firstErrorLine());
    }

    @Test
    void demoTakesNoUrls() {
        assertUsageError(CliRun.of("--demo", "http://localhost/"), "--demo takes no URLs");
    }
}
