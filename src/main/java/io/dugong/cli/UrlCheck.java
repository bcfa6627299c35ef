package io.dugong.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** Whether a command-line string is a URL the client can fetch: absolute http or https with a host. */
final class UrlCheck {
    private UrlCheck() {
    }

    /** Null if {@code url} can be fetched, else a one-line reason. */
    static String problem(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "not a URL: " + Options.quote(url) + " (" + e.getReason() + ")";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "not an http or https URL: " + Options.quote(url);
        }
        if (uri.getHost() == null) return "no host in " + Options.quote(url);
        if (uri.getRawUserInfo() != null) return "user:password in a URL is not supported (use -H 'Authorization: ...'): " + Options.quote(url);
        return null;
    }

    /** The URI of a URL that passed {@link #problem}; an empty path becomes {@code /}. */
    static URI toUri(String url) {
        int hash = url.indexOf('#');    // a fragment is for the browser; it is never sent
        URI uri = URI.create(hash >= 0 ? url.substring(0, hash) : url);
        String path = uri.getRawPath();
        if (path == null || path.isEmpty()) {
            return URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + "/"
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        }
        return uri;
    }
}
