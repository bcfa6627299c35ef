package io.dugong.cli;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The parsed command line of {@code dugong}. {@link #parse} turns the arguments into this value or
 * throws {@link UsageException} (exit status 2) with a one-line reason.
 */
final class Options {
    static final String USAGE = """
            usage: dugong [options] URL...        fetch URLs, pipelined per origin
                   dugong [options] -f FILE|-     URLs one per line from a file or stdin (streamed)
                   dugong --demo [--requests N] [--delay-ms D]
              -o, --output DIR       one file per URL in DIR (created if missing) instead of stdout
              -i, --include          print the status line and headers before the body
              -I, --head             send HEAD (implies -i)
              -X, --request METHOD   request method (default GET, or POST with -d)
              -H, --header 'N: V'    add a request header (repeatable)
              -d, --data DATA        request body; @FILE reads a file, @- stdin (sets POST)
                  --data-binary DATA the same
                  --depth N          requests in flight per connection (default 32)
                  --connections N    connections per origin (default 4)
                  --timeout SECONDS  limit for each whole request (default none)
                  --retries N        replays of an unanswered idempotent request (default 3)
              -L, --location         follow redirects (up to 20)
                  --compressed       ask for gzip/deflate and decode it
              -x, --proxy HOST:PORT  send everything through an HTTP proxy
                  --insecure         DO NOT verify TLS certificates or host names (testing only)
                  --progress / --no-progress   force progress on stderr (default: only on a terminal)
              -s, --silent           no summary on stderr
              -h, --help             this text
            exit status: 0 all requests succeeded, 1 a request failed (no response, or 4xx/5xx), 2 bad arguments or URLs""";

    /** Default time the demo's server spends on each request, like a backend doing a little work. */
    static final Duration DEFAULT_DEMO_DELAY = Duration.ofMillis(1);
    /** Default number of documents the demo fetches each way. */
    static final int DEFAULT_DEMO_REQUESTS = 2_000;

    final List<String> urls = new ArrayList<>();
    String urlFile;                 // "-" for stdin, or null
    Path outputDir;
    boolean include;
    boolean head;
    String method;
    final List<String[]> headers = new ArrayList<>();
    String data;                    // raw -d argument (may start with @), or null
    int depth = 32;
    int connections = 4;
    Duration timeout;
    int retries = 3;
    boolean followRedirects;
    boolean compressed;
    InetSocketAddress proxy;
    boolean insecure;
    Boolean progress;               // null: decide by the terminal
    boolean silent;
    boolean help;
    boolean demo;
    int demoRequests = DEFAULT_DEMO_REQUESTS;
    Duration demoDelay = DEFAULT_DEMO_DELAY;

    /** A command-line error: the message is one line, printed before the usage; exit status 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private Options() {
    }

    /** Parses {@code args}; URLs given as arguments are checked here, before anything is fetched. */
    static Options parse(String[] args) throws UsageException {
        Options o = new Options();
        boolean onlyUrls = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (onlyUrls || !a.startsWith("-") || a.equals("-")) {
                o.urls.add(a);
                continue;
            }
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {     // --depth=8
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--" -> onlyUrls = true;
                case "-h", "--help" -> o.help = true;
                case "--demo" -> o.demo = true;
                case "--requests" -> o.demoRequests = positive(a, value != null ? value : next(args, ++i, a));
                case "--delay-ms" -> o.demoDelay = Duration.ofNanos(Math.round(
                        nonNegativeDecimal(a, value != null ? value : next(args, ++i, a)) * 1_000_000));
                case "-o", "--output" -> o.outputDir = Path.of(value != null ? value : next(args, ++i, a));
                case "-i", "--include" -> o.include = true;
                case "-I", "--head" -> o.head = true;
                case "-X", "--request" -> o.method = value != null ? value : next(args, ++i, a);
                case "-H", "--header" -> o.headers.add(header(value != null ? value : next(args, ++i, a)));
                case "-d", "--data", "--data-binary" -> o.data = value != null ? value : next(args, ++i, a);
                case "--depth" -> o.depth = positive(a, value != null ? value : next(args, ++i, a));
                case "--connections" -> o.connections = positive(a, value != null ? value : next(args, ++i, a));
                case "--timeout" -> o.timeout = Duration.ofNanos(Math.round(
                        positiveDecimal(a, value != null ? value : next(args, ++i, a)) * 1e9));
                case "--retries" -> o.retries = nonNegative(a, value != null ? value : next(args, ++i, a));
                case "-L", "--location" -> o.followRedirects = true;
                case "--compressed" -> o.compressed = true;
                case "-x", "--proxy" -> o.proxy = proxy(value != null ? value : next(args, ++i, a));
                case "--insecure" -> o.insecure = true;
                case "--progress" -> o.progress = true;
                case "--no-progress" -> o.progress = false;
                case "-s", "--silent" -> o.silent = true;
                case "-f", "--url-file" -> o.urlFile = value != null ? value : next(args, ++i, a);
                default -> throw new UsageException("unknown option " + a);
            }
        }
        o.check();
        return o;
    }

    private void check() throws UsageException {
        if (help) return;
        if (demo) {
            if (!urls.isEmpty() || urlFile != null) throw new UsageException("--demo takes no URLs");
            return;
        }
        if (urls.isEmpty() && urlFile == null) throw new UsageException("no URL given");
        if (!urls.isEmpty() && urlFile != null) throw new UsageException("give URLs as arguments or with -f, not both");
        if ("@-".equals(data) && "-".equals(urlFile)) throw new UsageException("stdin cannot hold both the URLs (-f -) and the body (-d @-)");
        if (head && data != null) throw new UsageException("-I (HEAD) sends no body; drop -d");
        if (method != null) {
            if (method.isEmpty() || !method.chars().allMatch(Options::isTokenChar)) {
                throw new UsageException("invalid method " + quote(method));
            }
        }
        for (String url : urls) {
            String problem = UrlCheck.problem(url);
            if (problem != null) throw new UsageException(problem);
        }
    }

    /** The method to send: -X wins, then HEAD for -I, POST with a body, else GET. */
    String effectiveMethod() {
        if (method != null) return method;
        if (head) return "HEAD";
        return data != null ? "POST" : "GET";
    }

    private static String next(String[] args, int i, String option) throws UsageException {
        if (i >= args.length) throw new UsageException(option + " needs a value");
        return args[i];
    }

    private static int positive(String option, String v) throws UsageException {
        int n = integer(option, v);
        if (n < 1) throw new UsageException(option + " must be at least 1, got " + v);
        return n;
    }

    private static int nonNegative(String option, String v) throws UsageException {
        int n = integer(option, v);
        if (n < 0) throw new UsageException(option + " must be 0 or more, got " + v);
        return n;
    }

    private static int integer(String option, String v) throws UsageException {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(option + " needs a whole number, got " + quote(v));
        }
    }

    private static double positiveDecimal(String option, String v) throws UsageException {
        double d = nonNegativeDecimal(option, v);
        if (d <= 0) throw new UsageException(option + " must be more than 0, got " + v);
        return d;
    }

    private static double nonNegativeDecimal(String option, String v) throws UsageException {
        double d;
        try {
            d = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(option + " needs a number, got " + quote(v));
        }
        if (!(d >= 0) || d > 86_400) throw new UsageException(option + " out of range: " + v);
        return d;
    }

    private static String[] header(String v) throws UsageException {
        int colon = v.indexOf(':');
        if (colon <= 0) throw new UsageException("a header must look like 'Name: value', got " + quote(v));
        String name = v.substring(0, colon).trim();
        String value = v.substring(colon + 1).trim();
        if (name.isEmpty() || !name.chars().allMatch(Options::isTokenChar)) {
            throw new UsageException("invalid header name " + quote(name));
        }
        if (value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f || c > 0xff)) {
            throw new UsageException("invalid character in the value of header " + name);
        }
        return new String[] {name, value};
    }

    private static InetSocketAddress proxy(String v) throws UsageException {
        String s = v.toLowerCase(Locale.ROOT).startsWith("http://") ? v : "http://" + v;
        try {
            URI u = new URI(s);
            if (u.getHost() == null || u.getPort() < 1 || !"http".equalsIgnoreCase(u.getScheme())
                    || (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/"))) {
                throw new UsageException("a proxy must look like HOST:PORT or http://HOST:PORT, got " + quote(v));
            }
            return InetSocketAddress.createUnresolved(u.getHost(), u.getPort());
        } catch (URISyntaxException e) {
            throw new UsageException("a proxy must look like HOST:PORT or http://HOST:PORT, got " + quote(v));
        }
    }

    /** RFC 9110 tchar. */
    static boolean isTokenChar(int c) {
        return c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }

    static String quote(String s) {
        String shown = s.length() > 80 ? s.substring(0, 77) + "..." : s;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
