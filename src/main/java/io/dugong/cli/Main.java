package io.dugong.cli;

import io.dugong.DugongClient;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code dugong} command: {@code java -jar dugong.jar URL...} fetches URLs pipelined per
 * origin; {@code java -jar dugong.jar --demo} shows what pipelining buys against a local server.
 * Run it without arguments for the usage. Exit status: 0 when every request succeeded, 1 when one
 * failed (no response, or a 4xx/5xx status), 2 for bad arguments or URLs.
 */
public final class Main {
    /** Exit status: every request succeeded. */
    static final int OK = 0;
    /** Exit status: at least one request failed. */
    static final int FAILED = 1;
    /** Exit status: the command line or a URL was wrong. */
    static final int USAGE = 2;

    private Main() {
    }

    /**
     * Runs the command and exits with its status.
     *
     * @param args the command line; see the usage text
     */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        int status = run(args, System.in, out, System.err);
        out.flush();
        System.exit(status);
    }

    /**
     * Runs the command with the given streams instead of the process's own; returns the exit status.
     * Used by {@link #main} and by tests.
     */
    static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println(Options.USAGE);
            return USAGE;
        }
        Options o;
        try {
            o = Options.parse(args);
        } catch (Options.UsageException e) {
            return usage(err, e.getMessage());
        }
        if (o.help) {
            out.println(Options.USAGE);
            return OK;
        }
        if (o.demo) return Demo.run(o.demoRequests, o.demoDelay, out, err);
        return fetch(o, stdin, out, err);
    }

    private static int fetch(Options o, InputStream stdin, PrintStream out, PrintStream err) {
        Fetch fetch = new Fetch(o, stdin, out);
        BufferedReader list = null;
        try {
            fetch.prepare();
            if (o.urlFile != null) list = open(o.urlFile, stdin);
        } catch (Options.UsageException e) {
            return usage(err, e.getMessage());
        }
        if (o.insecure) {
            err.println("dugong: WARNING: --insecure: TLS certificates and host names are NOT verified");
        }
        UrlSource source = list != null ? UrlSource.of(list) : UrlSource.of(o.urls);
        boolean progress = o.progress != null ? o.progress : Progress.onTerminal();
        Progress shown = progress ? Progress.start(fetch.stats(), err) : null;
        try (DugongClient client = client(o)) {
            fetch.run(client, source);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("dugong: interrupted");
            return FAILED;
        } catch (UncheckedIOException e) {
            err.println("dugong: " + e.getMessage() + ": " + e.getCause().getMessage());
            return FAILED;
        } finally {
            if (shown != null) shown.close();
            if (list != null) closeQuietly(list);
        }
        if (!o.silent) fetch.stats().printSummary(err);
        if (fetch.stats().badUrls() > 0) return USAGE;
        return fetch.stats().failed() > 0 ? FAILED : OK;
    }

    private static BufferedReader open(String file, InputStream stdin) throws Options.UsageException {
        if (file.equals("-")) return new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        try {
            return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new Options.UsageException("no such URL file: " + file);
        } catch (IOException e) {
            throw new Options.UsageException("cannot read the URL file " + file + ": " + e.getMessage());
        }
    }

    static DugongClient client(Options o) {
        DugongClient.Builder b = DugongClient.builder()
                .maxConnectionsPerOrigin(o.connections)
                .pipelineDepth(o.depth)
                .retries(o.retries)
                .followRedirects(o.followRedirects ? 20 : 0)
                .decompress(o.compressed);
        if (o.timeout != null) {
            b.requestTimeout(o.timeout);
            b.connectTimeout(o.timeout.compareTo(Duration.ofSeconds(10)) < 0 ? o.timeout : Duration.ofSeconds(10));
        }
        if (o.proxy != null) b.proxy(o.proxy);
        if (o.insecure) b.tls(InsecureTls.context());
        return b.build();
    }

    private static int usage(PrintStream err, String message) {
        err.println("dugong: " + message);
        err.println(Options.USAGE);
        return USAGE;
    }

    private static void closeQuietly(BufferedReader r) {
        try {
            r.close();
        } catch (IOException e) {
            // the list was read; nothing to do
        }
    }
}
