package io.dugong.examples;

import io.dugong.HttpConnection;
import io.dugong.Request;
import io.dugong.ResponseHead;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python dugong's {@code extract_links.py}: prints the links of an HTML page while it is still
 * arriving. The body is read through {@link HttpConnection#responseBody()} a few kilobytes at a time
 * and fed to a small incremental scanner, so a link is reported as soon as its tag is complete —
 * the page is never held whole in memory, however large it is.
 *
 * <pre>{@code
 * ./dev example ExtractLinks https://example.org/
 * }</pre>
 */
public final class ExtractLinks {
    private ExtractLinks() {
    }

    /**
     * Fetches {@code page} and hands every {@code href} and {@code src} it contains, resolved
     * against the page's URL, to {@code onLink} as soon as it has been read.
     *
     * @param page   an absolute http or https URL
     * @param onLink called for each link, in document order
     * @return the response status
     */
    public static int extract(URI page, Consumer<URI> onLink) throws IOException {
        try (HttpConnection conn = HttpConnection.open(page)) {
            conn.sendRequest(Request.get(page));
            ResponseHead head = conn.readResponse();
            LinkScanner scanner = new LinkScanner(page, onLink);
            // Charset from Content-Type is left out for brevity; links are ASCII in practice.
            try (Reader body = new InputStreamReader(conn.responseBody(), StandardCharsets.UTF_8)) {
                char[] chunk = new char[4096];
                for (int n; (n = body.read(chunk)) > 0; ) scanner.feed(chunk, n);
            }
            return head.status();
        }
    }

    /**
     * Prints the links of a page, one per line.
     *
     * @param args one absolute URL
     */
    public static void main(String[] args) throws IOException {
        extract(URI.create(args[0]), System.out::println);
    }

    /**
     * Finds link attributes in tags, across chunk boundaries: it keeps only the tag being read (at most
     * {@link #MAX_TAG} characters; a longer one is skipped), never the document.
     */
    static final class LinkScanner {
        static final int MAX_TAG = 16 * 1024;
        private static final Pattern LINK = Pattern.compile(
                "(?i)\\s(?:href|src)\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)'|([^\\s\"'>]+))");

        private final URI base;
        private final Consumer<URI> onLink;
        private final StringBuilder tag = new StringBuilder();
        private boolean inTag;
        private boolean skipping;

        LinkScanner(URI base, Consumer<URI> onLink) {
            this.base = base;
            this.onLink = onLink;
        }

        void feed(char[] chars, int length) {
            for (int i = 0; i < length; i++) {
                char c = chars[i];
                if (!inTag) {
                    if (c == '<') {
                        inTag = true;
                        skipping = false;
                        tag.setLength(0);
                    }
                } else if (c == '>') {
                    inTag = false;
                    if (!skipping) links(tag);
                } else if (!skipping) {
                    tag.append(c);
                    if (tag.length() > MAX_TAG) skipping = true;
                }
            }
        }

        private void links(CharSequence tagText) {
            Matcher m = LINK.matcher(tagText);
            while (m.find()) {
                String raw = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                try {
                    onLink.accept(base.resolve(raw.strip().replace("&amp;", "&").replace(" ", "%20")));
                } catch (IllegalArgumentException notAUri) {
                    // not a URI reference: skip it, as a browser would ignore it
                }
            }
        }
    }
}
