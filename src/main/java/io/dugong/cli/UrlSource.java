package io.dugong.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;

/**
 * The URLs to fetch, one at a time: from the command line, or read line by line from a file or
 * stdin as the fetch goes, so that a million-line list is never held in memory. Blank lines and
 * lines starting with {@code #} are skipped.
 */
final class UrlSource {
    /** One URL and where it came from ({@code line 12} of a file, or {@code argument 3}). */
    record Entry(long sequence, String where, String url) {
    }

    private final Iterator<String> arguments;
    private final BufferedReader lines;
    private long lineNumber;
    private long sequence;

    private UrlSource(Iterator<String> arguments, BufferedReader lines) {
        this.arguments = arguments;
        this.lines = lines;
    }

    static UrlSource of(List<String> urls) {
        return new UrlSource(urls.iterator(), null);
    }

    static UrlSource of(BufferedReader lines) {
        return new UrlSource(null, lines);
    }

    /** The next URL, or null at the end. */
    Entry next() {
        if (arguments != null) {
            if (!arguments.hasNext()) return null;
            sequence++;
            return new Entry(sequence, "argument " + sequence, arguments.next().trim());
        }
        try {
            for (String line; (line = lines.readLine()) != null; ) {
                lineNumber++;
                String url = line.strip();
                if (url.isEmpty() || url.startsWith("#")) continue;
                sequence++;
                return new Entry(sequence, "line " + lineNumber, url);
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the URL list failed at line " + (lineNumber + 1), e);
        }
    }
}
