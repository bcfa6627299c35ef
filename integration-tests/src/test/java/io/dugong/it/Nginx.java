package io.dugong.it;

import io.dugong.HttpConnection;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The nginx the integration tests talk to: in a container (Testcontainers), or, where no Docker
 * daemon can run, as a plain process on 127.0.0.1 — same config, same files (see {@link NginxSite}).
 *
 * <p>Settings, each from a system property if non-empty, else from the {@code it.properties} that
 * {@code integration-tests/provision.sh} wrote (path in {@code dugong.it.provisioned}):
 * <ul>
 *   <li>{@code nginx.mode}: {@code docker} or {@code process}; unset = docker if a daemon answers, else process;</li>
 *   <li>{@code nginx.image}: the image in docker mode (provision.sh builds {@code local/dugong-nginx:<version>}
 *       from Debian's package where the registry cannot be reached; {@code nginx:stable-alpine} works too);</li>
 *   <li>{@code nginx.binary}: the executable in process mode (default {@code nginx} on the PATH).</li>
 * </ul>
 * A missing setting fails the suite with a message; it never skips it.
 */
public final class Nginx implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Nginx.class);
    private static final String PREFIX_IN_CONTAINER = "/srv/dugong/";
    private static final int MAIN = 8080, KEEPALIVE100 = 8081, TLS = 8443;

    /** The three server blocks of nginx.conf. */
    public enum Server {
        /** Plain HTTP, keepalive_requests 100000. */
        MAIN,
        /** Plain HTTP, keepalive_requests 100: nginx closes the connection after its 100th response. */
        KEEPALIVE_100,
        /** TLS with a certificate for localhost and 127.0.0.1 issued by the test CA. */
        TLS
    }

    private final String mode;
    private final NginxSite site;
    private final String host;
    private final int[] ports;
    private final GenericContainer<?> container;
    private final Process process;
    private final SSLContext trust;

    private Nginx(String mode, NginxSite site, String host, int[] ports, GenericContainer<?> container, Process process) {
        this.mode = mode;
        this.site = site;
        this.host = host;
        this.ports = ports;
        this.container = container;
        this.process = process;
        this.trust = site.trustingTestCa();
    }

    /** Generates the site and starts nginx as the settings say. */
    static Nginx start() throws IOException {
        Path work = Path.of(setting("dugong.it.work", "target/it-nginx")).toAbsolutePath();
        NginxSite site = NginxSite.generate(work.resolve("site"), work.resolve("tls"));
        String mode = setting("nginx.mode", "").toLowerCase(Locale.ROOT);
        if (mode.isEmpty()) {
            mode = dockerAvailable() ? "docker" : "process";
            LOG.info("nginx.mode not set: using {} mode", mode);
        }
        return switch (mode) {
            case "docker" -> startContainer(site);
            case "process" -> startProcess(site, work);
            default -> throw new IllegalStateException("nginx.mode must be docker or process, not " + mode);
        };
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Nginx startContainer(NginxSite site) throws IOException {
        String image = setting("nginx.image", "");
        if (image.isEmpty()) {
            throw new IllegalStateException("docker mode needs an nginx image: run integration-tests/provision.sh "
                    + "(it builds one) or pass -Dnginx.image=nginx:stable-alpine");
        }
        site.writeConfig(String.valueOf(MAIN), String.valueOf(KEEPALIVE100), String.valueOf(TLS));
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withCopyFileToContainer(MountableFile.forHostPath(site.dir()), PREFIX_IN_CONTAINER)
                .withExposedPorts(MAIN, KEEPALIVE100, TLS)
                .withCommand("/usr/sbin/nginx", "-p", PREFIX_IN_CONTAINER, "-c", PREFIX_IN_CONTAINER + "nginx.conf",
                        "-e", "stderr")
                .waitingFor(Wait.forHttp("/files/100.bin").forPort(MAIN).forStatusCode(200)
                        .withStartupTimeout(Duration.ofSeconds(60)));
        try {
            c.start();
        } catch (RuntimeException e) {
            String logs = "";
            try {
                logs = c.getLogs();
            } catch (RuntimeException ignored) {
                // no container to read logs from
            }
            c.stop();
            throw new IllegalStateException("nginx container from " + image + " did not start. Its output:\n" + logs, e);
        }
        int[] ports = {c.getMappedPort(MAIN), c.getMappedPort(KEEPALIVE100), c.getMappedPort(TLS)};
        LOG.info("nginx in container {} ({}) on {} ports {}/{}/{}", c.getContainerId().substring(0, 12), image,
                c.getHost(), ports[0], ports[1], ports[2]);
        return new Nginx("docker " + image, site, c.getHost(), ports, c, null);
    }

    private static Nginx startProcess(NginxSite site, Path work) throws IOException {
        String binary = setting("nginx.binary", "nginx");
        Path log = work.resolve("nginx.log");
        IOException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) { // a free port may be taken between probe and bind
            int[] ports = freePorts(3);
            site.writeConfig("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2]);
            Path prefix = site.dir();
            Process p;
            try {
                p = new ProcessBuilder(binary, "-p", prefix + "/", "-c", prefix.resolve("nginx.conf").toString(),
                        "-e", "stderr")
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())          // a file, never a pipe nobody drains
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .start();
            } catch (IOException e) {
                throw new IOException("cannot run nginx binary '" + binary + "' (set -Dnginx.binary or run "
                        + "integration-tests/provision.sh)", e);
            }
            if (awaitListening(p, ports)) {
                LOG.info("nginx process pid {} ({}) on 127.0.0.1 ports {}/{}/{}", p.pid(), binary, ports[0], ports[1],
                        ports[2]);
                Nginx n = new Nginx("process " + binary, site, "127.0.0.1", ports, null, p);
                Runtime.getRuntime().addShutdownHook(new Thread(n::stopProcess)); // if the JVM ends without close
                return n;
            }
            stop(p);
            last = new IOException("nginx (" + binary + ") did not start listening; its log " + log + ":\n"
                    + Files.readString(log));
        }
        throw last;
    }

    private static boolean awaitListening(Process p, int[] ports) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && p.isAlive()) {
            boolean all = true;
            for (int port : ports) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                } catch (IOException e) {
                    all = false;
                    break;
                }
            }
            if (all) return true;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // start-up polling, not a test assertion
        }
        return false;
    }

    private static int[] freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) s.close();
        }
    }

    /** A system property if non-empty, else the provision script's setting, else {@code fallback}. */
    static String setting(String name, String fallback) {
        String v = System.getProperty(name, "").trim();
        if (!v.isEmpty()) return v;
        String file = System.getProperty("dugong.it.provisioned", "");
        if (!file.isEmpty() && Files.isRegularFile(Path.of(file))) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            v = p.getProperty(name, "").trim();
            if (!v.isEmpty()) return v;
        }
        return fallback;
    }

    /** "docker &lt;image&gt;" or "process &lt;binary&gt;". */
    public String mode() {
        return mode;
    }

    /** The host to connect to ("localhost" for a container, "127.0.0.1" for a process). */
    public String host() {
        return host;
    }

    public int port(Server server) {
        return ports[server.ordinal()];
    }

    /** A connection builder for {@code server} (TLS trusting the test CA for {@link Server#TLS}) with a 30 s timeout. */
    public HttpConnection.Builder connection(Server server) {
        HttpConnection.Builder b = HttpConnection.builder(host).port(port(server)).timeout(Duration.ofSeconds(30));
        return server == Server.TLS ? b.tls(trust) : b;
    }

    /** An SSLContext trusting the CA that issued nginx's certificate. */
    public SSLContext trust() {
        return trust;
    }

    /** The content of a file below nginx's root, e.g. {@code "files/64k.bin"}. */
    public byte[] bytes(String pathBelowRoot) {
        return site.bytes(pathBelowRoot);
    }

    /** SHA-256 of the body of /ssi/256m.shtml. */
    public byte[] bigBodyDigest() {
        return site.bigBodyDigest();
    }

    @Override
    public void close() {
        if (container != null) {
            LOG.info("stopping nginx container {}", container.getContainerId().substring(0, 12));
            container.stop();
        }
        stopProcess();
    }

    private void stopProcess() {
        if (process != null && process.isAlive()) {
            LOG.info("stopping nginx pid {}", process.pid());
            stop(process);
        }
    }

    private static void stop(Process p) {
        p.destroy(); // SIGTERM to that PID
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "nginx (" + mode + ") at " + host + " " + ports[0] + "/" + ports[1] + "/" + ports[2];
    }
}
