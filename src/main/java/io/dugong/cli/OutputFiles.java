package io.dugong.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where {@code -o DIR} puts each body: one file per URL, named from the URL's position in the input,
 * host and path, made of safe characters only, and never outside {@code DIR}.
 *
 * <p>Why the name can never escape: it is a single path element built from {@code [A-Za-z0-9._-]}
 * that starts with the URL's sequence number, so it is never empty, {@code .} or {@code ..}, and
 * contains no separator, whatever the URL says ({@code ../}, {@code %2e%2e%2f}, backslashes). The
 * number also makes every name unique in a run without remembering earlier names (a million URLs
 * need no table). An entry already at that name (a symbolic or hard link planted there, say) is
 * removed, not written through, and the file is created exclusively (see {@link #write}).
 */
final class OutputFiles {
    /** File names stay well below the common 255-byte limit of file systems. */
    static final int MAX_NAME = 160;

    private final Path dir;

    OutputFiles(Path dir) throws IOException {
        Path d = dir.toAbsolutePath().normalize();
        Files.createDirectories(d);
        this.dir = d.toRealPath();
    }

    Path dir() {
        return dir;
    }

    /** The file name for the {@code sequence}-th URL (1-based): {@code 7-example.org_8080-a_b.html}. */
    static String fileName(long sequence, URI uri) {
        StringBuilder raw = new StringBuilder();
        raw.append(uri.getHost() == null ? "" : uri.getHost());
        if (uri.getPort() >= 0) raw.append('_').append(uri.getPort());
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!path.isEmpty() && !path.equals("/")) raw.append(path.replace('/', '-'));
        if (uri.getRawQuery() != null) raw.append('_').append(uri.getRawQuery());
        String safe = raw.toString().replaceAll("[^A-Za-z0-9._-]", "_");
        String name = sequence + "-" + safe;
        return name.length() <= MAX_NAME ? name : name.substring(0, MAX_NAME);
    }

    /**
     * Writes {@code head} (may be empty) and then {@code body} to the file for the URL, replacing an
     * earlier file of that name; returns the file. A body that fails half-way leaves no file behind.
     */
    Path write(long sequence, URI uri, byte[] head, InputStream body) throws IOException {
        Path target = dir.resolve(fileName(sequence, uri));
        if (!dir.equals(target.getParent())) {       // cannot happen with the names above; a last guard
            throw new IOException("refusing to write outside " + dir + ": " + target);
        }
        // Remove whatever has the name (a symbolic or hard link, an old file: the entry, never what it
        // points to), then create a new file exclusively: O_CREAT|O_EXCL never follows a link and fails
        // if anything was put there in between, so the bytes can only land in a new inode inside DIR.
        Files.deleteIfExists(target);
        boolean complete = false;
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            out.write(head);
            body.transferTo(out);
            complete = true;
        } finally {
            if (!complete) Files.deleteIfExists(target);
        }
        return target;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
