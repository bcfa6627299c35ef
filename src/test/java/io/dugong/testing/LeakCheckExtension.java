package io.dugong.testing;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves dugong threads running or sockets open: the library's threads (named
 * {@code dugong-*}, virtual ones included) and the process's sockets are recorded before each test
 * and each test class, and whatever is new afterwards must go away within {@link #GRACE}. Closing is
 * asynchronous (a reader thread notices its socket closed, a server handler returns), so the check
 * polls rather than sleeping a fixed time.
 *
 * <p>Applied to every test class through JUnit's extension auto-detection
 * ({@code META-INF/services/org.junit.jupiter.api.extension.Extension} and
 * {@code junit.jupiter.extensions.autodetection.enabled=true} in {@code junit-platform.properties}).
 * A leak in the library itself, tracked elsewhere, is exempted with {@link KnownLeak}.
 *
 * <p>Virtual threads are not listed by {@link Thread#getAllStackTraces()}; they are found in a thread
 * dump ({@code HotSpotDiagnosticMXBean.dumpThreads}), reached by reflection so that the test code
 * needs no {@code requires jdk.management}. Sockets are the {@code socket:[inode]} entries of
 * {@code /proc/self/fd} that are not UNIX sockets; where that does not exist (not Linux) only threads
 * are checked. Class-level checks cover what {@code @BeforeAll}/{@code @AfterAll} open and close.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    /** How long what a test opened may take to close after it ends. */
    static final Duration GRACE = Duration.ofSeconds(5);
    private static final long POLL_MILLIS = 20;
    /**
     * Threads that live as long as the JVM by design: the write watchdog is one per process and parks
     * while nothing is watched.
     */
    private static final List<String> PERMANENT = List.of("dugong-write-watchdog");
    private static final Path FDS = Path.of("/proc/self/fd");
    /** A thread's id, then (after other members that vary by JDK version) its name, in a JSON thread dump. */
    private static final Pattern THREAD = Pattern.compile("\"tid\": \"?(\\d+)\"?,(?:\\s*\"(?!name\")\\w+\": [^,{\\[]*,)*\\s*\"name\": \"((?:[^\"\\\\]|\\\\.)*)\"");

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheckExtension.class);

    static {
        // The JDK keeps one socket for the life of the process once it has used any (the descriptor it
        // dup2s over a socket being closed); create it now, so no test is blamed for it.
        try {
            new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).close();
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What was open at one moment: dugong thread ids to names, and socket inodes. */
    record Snapshot(Map<Long, String> threads, List<String> sockets) {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("class", snapshot());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check(context, context.getStore(NS).get("class", Snapshot.class), "test class " + context.getDisplayName());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("method", snapshot());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        check(context, context.getStore(NS).get("method", Snapshot.class), "test " + context.getDisplayName());
    }

    private static void check(ExtensionContext context, Snapshot before, String what) {
        if (before == null) return;
        // The nginx suite (io.dugong.it) starts its server through Testcontainers, whose Docker client keeps
        // TCP connections of its own for the whole run and would be blamed on the first test to start a
        // container: there only threads are checked. Library sockets are checked by every unit test class.
        boolean checkSockets = context.getTestClass().map(c -> !c.getPackageName().equals("io.dugong.it")).orElse(true);
        long deadline = System.nanoTime() + GRACE.toNanos();
        Snapshot leaked;
        while (true) {
            leaked = newSince(before, snapshot());
            if (!checkSockets) leaked = new Snapshot(leaked.threads(), List.of());
            if (leaked.threads().isEmpty() && leaked.sockets().isEmpty()) return;
            if (System.nanoTime() > deadline) break;
            try {
                Thread.sleep(POLL_MILLIS); // polling for asynchronous closes, not timing an assertion
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String report = what + " left " + describe(leaked) + " open " + GRACE.toSeconds() + " s after it ended";
        Optional<KnownLeak> known = knownLeak(context);
        if (known.isPresent()) {
            System.err.println("[leak check] known leak (" + known.get().value() + "): " + report);
            return;
        }
        throw new AssertionError(report + ". Close what the test opened (or, for a leak in the library itself,"
                + " mark the test @KnownLeak with the reason).");
    }

    private static Optional<KnownLeak> knownLeak(ExtensionContext context) {
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            Optional<KnownLeak> onMethod = c.get().getTestMethod().map(m -> m.getAnnotation(KnownLeak.class));
            if (onMethod.isPresent()) return onMethod;
            Optional<KnownLeak> onClass = c.get().getTestClass().map(k -> k.getAnnotation(KnownLeak.class));
            if (onClass.isPresent()) return onClass;
        }
        return Optional.empty();
    }

    private static Snapshot newSince(Snapshot before, Snapshot now) {
        Map<Long, String> threads = new TreeMap<>(now.threads());
        threads.keySet().removeAll(before.threads().keySet());
        List<String> sockets = new ArrayList<>(now.sockets());
        sockets.removeAll(before.sockets());
        return new Snapshot(threads, sockets);
    }

    private static String describe(Snapshot leaked) {
        List<String> parts = new ArrayList<>();
        if (!leaked.threads().isEmpty()) parts.add(leaked.threads().size() + " dugong thread(s) " + leaked.threads().values());
        if (!leaked.sockets().isEmpty()) parts.add(leaked.sockets().size() + " socket(s) " + SocketTable.describe(leaked.sockets()));
        return String.join(" and ", parts);
    }

    static Snapshot snapshot() {
        return new Snapshot(dugongThreads(), sockets());
    }

    /** Live threads named dugong-*, virtual ones included, by id. */
    static Map<Long, String> dugongThreads() {
        Map<Long, String> found = new HashMap<>();
        Path dump = null;
        try {
            dump = Files.createTempFile("leak-check-threads", ".json");
            Files.delete(dump); // dumpThreads refuses to overwrite
            dumpThreads(dump);
            Matcher m = THREAD.matcher(Files.readString(dump));
            while (m.find()) {
                String name = m.group(2).replace("\\\"", "\"").replace("\\/", "/");
                if (name.startsWith("dugong-") && !PERMANENT.contains(name)) found.put(Long.parseLong(m.group(1)), name);
            }
        } catch (IOException | ReflectiveOperationException e) {
            throw new IllegalStateException("leak check: could not list threads", e);
        } finally {
            if (dump != null) {
                try {
                    Files.deleteIfExists(dump);
                } catch (IOException ignored) {
                    // a stray temp file is harmless
                }
            }
        }
        return found;
    }

    private static void dumpThreads(Path file) throws ReflectiveOperationException {
        Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
        Class<?> bean = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
        Class<?> format = Class.forName("com.sun.management.HotSpotDiagnosticMXBean$ThreadDumpFormat");
        Object diagnostics = factory.getMethod("getPlatformMXBean", Class.class).invoke(null, bean);
        @SuppressWarnings({"unchecked", "rawtypes"})
        Object json = Enum.valueOf((Class) format, "JSON");
        Method dump = bean.getMethod("dumpThreads", String.class, format);
        dump.invoke(diagnostics, file.toAbsolutePath().toString(), json);
    }

    /**
     * The inodes of this process's open network sockets, or none where /proc/self/fd does not exist.
     * UNIX sockets are left out: the library opens none, and others keep theirs for the life of the JVM
     * (the JVM's attach listener at {@code /tmp/.java_pid<pid>} once Jazzer has attached its agent, a
     * Docker client's connection pool in the integration tests).
     */
    static List<String> sockets() {
        if (!Files.isDirectory(FDS)) return List.of();
        List<String> inodes = new ArrayList<>();
        try (Stream<Path> fds = Files.list(FDS)) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) inodes.add(target.substring(8, target.length() - 1));
                } catch (IOException ignored) {
                    // closed between listing and reading: not open any more
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("leak check: could not list " + FDS, e);
        }
        if (!inodes.isEmpty()) inodes.removeAll(SocketTable.unixInodes());
        return inodes;
    }

    /** Names sockets by their addresses, from /proc/self/net/tcp{,6}, for a readable failure. */
    private static final class SocketTable {
        private static final Map<String, String> STATES = Map.of("01", "ESTABLISHED", "02", "SYN_SENT",
                "04", "FIN_WAIT1", "05", "FIN_WAIT2", "07", "CLOSE", "08", "CLOSE_WAIT", "09", "LAST_ACK", "0A", "LISTEN");

        static String describe(List<String> inodes) {
            Map<String, String> byInode = new HashMap<>();
            for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
                try {
                    for (String line : Files.readAllLines(Path.of(table))) {
                        String[] f = line.trim().split("\\s+");
                        if (f.length > 9 && !f[0].equals("sl")) {
                            byInode.put(f[9], "tcp " + port(f[1]) + "->" + port(f[2]) + " " + STATES.getOrDefault(f[3], f[3]));
                        }
                    }
                } catch (IOException | RuntimeException ignored) {
                    // addresses are a nicety; the inode still names the socket
                }
            }
            List<String> out = new ArrayList<>();
            for (String inode : inodes) out.add(byInode.getOrDefault(inode, "inode " + inode));
            return out.toString();
        }

        /** The inodes of this process's UNIX sockets (/proc/self/net/unix). */
        static Set<String> unixInodes() {
            Set<String> inodes = new HashSet<>();
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/net/unix"))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 6 && !f[0].equals("Num")) inodes.add(f[6]);
                }
            } catch (IOException | RuntimeException ignored) {
                // no table: every socket counts
            }
            return inodes;
        }

        private static String port(String hexAddress) {
            int colon = hexAddress.indexOf(':');
            return colon < 0 ? hexAddress : ":" + Integer.parseInt(hexAddress.substring(colon + 1), 16);
        }
    }
}
