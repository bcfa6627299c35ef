package io.dugong.jdk;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JDK client's redirect rules, applied by the adapter's exchange loop: which responses are
 * followed (301, 302, 303, 307, 308, within the policy and the limit), to where, and with what
 * request (method, body and headers).
 */
final class Redirects {
    /** Redirects followed per exchange is one less than this, as in the JDK (same property, same default). */
    static final int LIMIT = Integer.getInteger("jdk.httpclient.redirects.retrylimit", 5);

    /** User headers not sent on to another origin (the JDK's list). */
    private static final Set<String> DROPPED_ACROSS_ORIGINS = dropped();

    private Redirects() {
    }

    /**
     * Where to go next, or null if {@code status} is to be returned to the application.
     *
     * @param followed redirects already followed in this exchange
     * @throws IOException {@code Invalid redirection} for a redirect status without Location, as in the JDK
     */
    static URI target(HttpClient.Redirect policy, int status, HttpHeaders headers, URI current, int followed)
            throws IOException {
        if (status == 200 || policy == HttpClient.Redirect.NEVER || !isRedirect(status)) return null;
        String location = headers.firstValue("Location").orElseThrow(() -> new IOException("Invalid redirection"));
        URI target;
        try {
            target = current.resolve(URI.create(location));
        } catch (IllegalArgumentException e) {
            throw new IOException("Invalid redirection: " + e.getMessage(), e);
        }
        return allowed(policy, current, target) && followed + 1 < LIMIT ? target : null;
    }

    /** The request that follows a redirect with {@code status} from {@code hop} to {@code target}. */
    static HttpRequest follow(HttpRequest hop, HttpRequest original, int status, URI target) {
        String method = switch (status) {
            case 301, 302 -> hop.method().equals("POST") ? "GET" : hop.method();
            case 303 -> "GET";
            default -> hop.method();
        };
        // The body goes again only with the same method, and never after 303 (the JDK's rule).
        HttpRequest.BodyPublisher body = method.equals(hop.method()) && status != 303
                ? hop.bodyPublisher().orElse(null) : null;
        boolean sameOrigin = target.getScheme().equalsIgnoreCase(hop.uri().getScheme())
                && String.valueOf(target.getRawAuthority()).equals(hop.uri().getRawAuthority());
        HttpHeaders headers = sameOrigin ? hop.headers()
                : HttpHeaders.of(hop.headers().map(), (name, value) -> !DROPPED_ACROSS_ORIGINS.contains(name));
        return new HopRequest(target, method, headers, body, original);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /** NORMAL never goes from https to http; ALWAYS goes anywhere. */
    private static boolean allowed(HttpClient.Redirect policy, URI from, URI to) {
        String scheme = String.valueOf(to.getScheme());
        return switch (policy) {
            case ALWAYS -> true;
            case NEVER -> false;
            case NORMAL -> scheme.equalsIgnoreCase(from.getScheme()) || scheme.equalsIgnoreCase("https");
        };
    }

    private static Set<String> dropped() {
        Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        names.addAll(Set.of("Authorization", "Cookie", "Origin", "Referer", "Host"));
        return names;
    }
}
