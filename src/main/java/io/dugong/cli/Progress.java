package io.dugong.cli;

import java.io.PrintStream;

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
     * Whether stdout and stdin are a terminal. Before JDK 22, {@code System.console()} is null
     * otherwise; from JDK 22 on it is not, and {@code Console.isTerminal()} (not in release 21's API,
     * hence reflection) tells.
     */
    static boolean onTerminal() {
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
