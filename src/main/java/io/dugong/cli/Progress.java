package io.dugong.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The progress line on stderr, redrawn a few times a second by its own virtual thread while a fetch
 * runs. Only used when stderr is a terminal (or {@code --progress}): a log file gets the summary alone.
 */
final class Progress implements AutoCloseable {
    private static final long INTERVAL_MILLIS = 250;

    private final Stats stats;
    private final PrintStream err;
    private final Thread ticker;
    private int lastLength;

    private Progress(Stats stats, PrintStream err) {
        this.stats = stats;
        this.err = err;
        this.ticker = Thread.ofVirtual().name("dugong-progress").start(this::tick);
    }

    static Progress start(Stats stats, PrintStream err) {
        return new Progress(stats, err);
    }

    private void tick() {
        try {
            while (true) {
                Thread.sleep(INTERVAL_MILLIS);
                draw();
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private void draw() {
        String line = stats.progressLine();
        // \r and spaces rather than ANSI codes: works on every terminal, and clears a longer old line.
        err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        err.flush();
        lastLength = line.length();
    }

    /** Stops the ticker and leaves the final count on its own line. */
    @Override
    public void close() {
        ticker.interrupt();
        try {
            ticker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        draw();
        err.println();
    }

    /**
     * Whether stderr, where the progress goes, is a terminal. On Linux {@code /proc/self/fd/2} says
     * so exactly, also when stdout is redirected to a file ({@code dugong -f urls > bodies}, the
     * common case). Elsewhere, {@code System.console()}: before JDK 22 it is null unless stdin and
     * stdout are a terminal; from JDK 22 on it is not, and {@code Console.isTerminal()} (not in
     * release 21's API, hence reflection) tells.
     */
    static boolean onTerminal() {
        Path stderr = Path.of("/proc/self/fd/2");
        if (Files.isSymbolicLink(stderr)) {
            try {
                String target = Files.readSymbolicLink(stderr).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            } catch (IOException | RuntimeException e) {
                // fall back to the console
            }
        }
        java.io.Console console = System.console();
        if (console == null) return false;
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
