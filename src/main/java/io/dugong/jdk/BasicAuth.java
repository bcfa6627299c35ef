package io.dugong.jdk;

import java.io.IOException;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpHeaders;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP Basic authentication as the JDK client does it, for servers (401, {@code WWW-Authenticate},
 * {@code Authorization}) and plain-HTTP proxies (407, {@code Proxy-Authenticate},
 * {@code Proxy-Authorization}): on a Basic challenge the {@link Authenticator} is asked, the request
 * is sent again with the credentials, at most {@link #RETRY_LIMIT} times per exchange; credentials
 * that worked are cached per client and sent preemptively to URIs under the same path. A request
 * that set its own {@code Authorization} gets the 401 back untouched.
 */
final class BasicAuth {
    /** The JDK's property and default. */
    static final int RETRY_LIMIT = Integer.getInteger("jdk.httpclient.auth.retrylimit", 3);
    private static final Pattern PARAM = Pattern.compile("([\\w-]+)\\s*=\\s*(?:\"([^\"]*)\"|([^,\\s]*))");

    private final Authenticator authenticator;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by lock. */
    private final List<Entry> cache = new ArrayList<>();

    /** Credentials that worked, for URIs starting with {@code root}. */
    private record Entry(String root, boolean proxy, PasswordAuthentication credentials, boolean utf8) {
    }

    /** One exchange's authentication, server and proxy side. */
    static final class State {
        private Attempt server;
        private Attempt proxy;
    }

    /** Credentials in use by an exchange, and how often they were tried. */
    private static final class Attempt {
        final boolean fromCache;
        final Entry entry;
        PasswordAuthentication credentials;
        boolean utf8;
        int tries = 1;

        Attempt(boolean fromCache, Entry entry, PasswordAuthentication credentials, boolean utf8) {
            this.fromCache = fromCache;
            this.entry = entry;
            this.credentials = credentials;
            this.utf8 = utf8;
        }
    }

    /** A header to send with the retry. */
    record Credentials(String header, String value) {
    }

    BasicAuth(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    /** Preemptive credentials from the cache for a request, if an entry covers it; may be empty. */
    List<Credentials> cached(State state, URI uri, InetSocketAddress proxy) {
        List<Credentials> out = new ArrayList<>(2);
        lock.lock();
        try {
            URI proxyUri = proxyUri(uri, proxy);
            if (state.proxy == null && proxyUri != null) {
                Entry e = find(proxyUri, true);
                if (e != null) {
                    state.proxy = new Attempt(true, e, e.credentials, e.utf8);
                    out.add(header(true, e.credentials, e.utf8));
                }
            }
            if (state.server == null) {
                Entry e = find(uri, false);
                if (e != null) {
                    state.server = new Attempt(true, e, e.credentials, e.utf8);
                    out.add(header(false, e.credentials, e.utf8));
                }
            }
        } finally {
            lock.unlock();
        }
        return out;
    }

    /**
     * Looks at a response, on the reader thread (no user code runs here): caches credentials that
     * worked, and says whether the response is a challenge this exchange answers with a retry (its
     * body is then discarded; {@link #retry} follows).
     */
    boolean isChallenge(State state, int status, HttpHeaders headers, HttpHeaders userHeaders, URI uri,
                        InetSocketAddress proxy) {
        if (status == 401 && userHeaders.firstValue("Authorization").isPresent()) return false;
        if (status == 407 && userHeaders.firstValue("Proxy-Authorization").isPresent()) return false;
        lock.lock();
        try {
            if (status != 407 && state.proxy != null && !state.proxy.fromCache) {
                URI proxyUri = proxyUri(uri, proxy);
                if (proxyUri != null) store(proxyUri, true, state.proxy);
                state.proxy = null;
            }
            if (status != 401 && status != 407) {
                if (state.server != null && !state.server.fromCache) store(uri, false, state.server);
                return false;
            }
        } finally {
            lock.unlock();
        }
        List<String> challenges = headers.allValues(status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate");
        return challenges.isEmpty() || basic(challenges) != null;
    }

    /**
     * The header to retry with after the challenge {@link #isChallenge} accepted; asks the
     * {@link Authenticator} (user code, so not on the reader thread).
     *
     * @throws IOException as the JDK: no challenge header, no credentials, or too many attempts
     */
    Credentials retry(State state, int status, HttpHeaders headers, URI uri, InetSocketAddress proxy)
            throws IOException {
        boolean forProxy = status == 407;
        String challengeHeader = forProxy ? "Proxy-Authenticate" : "WWW-Authenticate";
        String challenge = basic(headers.allValues(challengeHeader));
        if (challenge == null) throw new IOException(challengeHeader + " header missing for response code " + status);
        boolean utf8 = "UTF-8".equalsIgnoreCase(param(challenge, "charset"));
        Attempt attempt = forProxy ? state.proxy : state.server;
        if (attempt != null && attempt.tries >= RETRY_LIMIT) {
            throw new IOException("too many authentication attempts. Limit: " + RETRY_LIMIT);
        }
        if (attempt != null && attempt.fromCache) remove(attempt.entry); // they were rejected
        PasswordAuthentication pw = ask(challenge, forProxy, uri, proxy);
        if (pw == null) throw new IOException("No credentials provided");
        if (attempt == null) {
            attempt = new Attempt(false, null, pw, utf8);
        } else {
            // Credentials were sent and rejected: this is another try. Cached ones are replaced by
            // fresh ones, which are cached if they work.
            int tries = attempt.tries + 1;
            attempt = attempt.fromCache ? new Attempt(false, null, pw, utf8) : attempt;
            attempt.credentials = pw;
            attempt.utf8 = utf8;
            attempt.tries = tries;
        }
        if (forProxy) state.proxy = attempt;
        else state.server = attempt;
        return header(forProxy, pw, utf8);
    }

    private PasswordAuthentication ask(String challenge, boolean forProxy, URI uri,
                                       InetSocketAddress proxy) throws IOException {
        String scheme = challenge.trim().split("\\s+", 2)[0];
        String realm = param(challenge, "realm");
        URL url = uri.toURL();
        String host;
        int port;
        String protocol;
        if (forProxy && proxy != null) {
            host = proxy.getHostString();
            port = proxy.getPort();
            protocol = "http";
        } else {
            host = uri.getHost();
            port = uri.getPort();
            protocol = uri.getScheme();
        }
        return authenticator.requestPasswordAuthenticationInstance(host, null, port, protocol, realm, scheme, url,
                forProxy ? Authenticator.RequestorType.PROXY : Authenticator.RequestorType.SERVER);
    }

    private static Credentials header(boolean forProxy, PasswordAuthentication pw, boolean utf8) {
        Charset cs = utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        String token = Base64.getEncoder().encodeToString((pw.getUserName() + ":" + new String(pw.getPassword())).getBytes(cs));
        return new Credentials(forProxy ? "Proxy-Authorization" : "Authorization", "Basic " + token);
    }

    /** The first Basic challenge among {@code values}, or null. */
    private static String basic(List<String> values) {
        for (String v : values) {
            String scheme = v.trim().split("\\s+", 2)[0];
            if (scheme.equalsIgnoreCase("Basic")) return v;
        }
        return null;
    }

    private static String param(String challenge, String name) {
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            if (m.group(1).equalsIgnoreCase(name)) return m.group(2) != null ? m.group(2) : m.group(3);
        }
        return null;
    }

    /** The JDK's private cache key for a proxy: {@code proxy.http://host:port/}. */
    private static URI proxyUri(URI uri, InetSocketAddress proxy) {
        if (proxy == null) return null;
        try {
            return new URI("proxy." + uri.getScheme(), null, proxy.getHostString(), proxy.getPort(), "/", null, null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    // Cache, as the JDK keys it: by the "directory" of the URI that succeeded, matched by prefix.

    private Entry find(URI uri, boolean proxy) {
        String key = normalize(uri, false).toString();
        for (Entry e : cache) {
            if (e.proxy == proxy && key.startsWith(e.root)) return e;
        }
        return null;
    }

    private void store(URI uri, boolean proxy, Attempt attempt) {
        String root = normalize(uri, true).toString();
        cache.removeIf(e -> e.proxy == proxy && normalize(uri, false).toString().startsWith(e.root));
        cache.add(new Entry(root, proxy, attempt.credentials, attempt.utf8));
    }

    private void remove(Entry entry) {
        lock.lock();
        try {
            cache.remove(entry);
        } finally {
            lock.unlock();
        }
    }

    private static URI normalize(URI uri, boolean isKey) {
        String path = uri.getPath();
        try {
            if (path == null || path.isEmpty()) return new URI(uri.getScheme(), uri.getAuthority(), "/", null, null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return isKey || !"/".equals(path) ? uri.resolve(".") : uri;
    }
}
