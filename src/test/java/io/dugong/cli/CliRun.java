package io.dugong.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One in-process run of the {@code dugong} command: its exit status and what it printed. */
record CliRun(int status, byte[] stdoutBytes, String stderr) {

    static CliRun of(String... args) {
        return withStdin(new ByteArrayInputStream(new byte[0]), args);
    }

    static CliRun withStdin(InputStream stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.run(args, stdin, o, e);
        }
        return new CliRun(status, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    String firstErrorLine() {
        return stderr.lines().findFirst().orElse("");
    }
}
