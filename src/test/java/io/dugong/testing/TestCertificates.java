package io.dugong.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate authority and server certificates for TLS tests, made with the JDK's own
 * {@code keytool} (no third-party crypto) into a temporary directory, once per JVM.
 *
 * <ul>
 *   <li>{@link #serverContext()}: a server certificate for {@code localhost}, {@code 127.0.0.1} and
 *       {@code ::1}, issued by the test CA;</li>
 *   <li>{@link #wrongNameServerContext()}: a certificate from the same CA for {@code wrong.example} only,
 *       for hostname-mismatch tests;</li>
 *   <li>{@link #clientContext()}: a client context trusting exactly the test CA.</li>
 * </ul>
 *
 * <p>The JDK's default trust store does not contain the test CA, so a client using
 * {@code SSLContext.getDefault()} rejects both server certificates as untrusted.
 */
public final class TestCertificates {

    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final String DN_SUFFIX = ", O=dugong tests";

    /** The names the main server certificate is valid for. */
    public static final List<String> SERVER_NAMES = List.of("localhost", "127.0.0.1", "::1");

    private static volatile TestCertificates instance;

    private final X509Certificate ca;
    private final KeyStore serverKeys;
    private final KeyStore wrongNameKeys;

    private TestCertificates(Path dir) throws IOException, GeneralSecurityException, InterruptedException {
        // Three rounds of keytool, each round's processes in parallel: JVM start-up dominates the cost.
        runAll(dir,
                List.of("-genkeypair", "-alias", "ca", "-keystore", "ca.p12", "-dname", "CN=dugong test CA" + DN_SUFFIX,
                        "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign"),
                List.of("-genkeypair", "-alias", "server", "-keystore", "server.p12", "-dname", "CN=localhost" + DN_SUFFIX),
                List.of("-genkeypair", "-alias", "wrong", "-keystore", "wrong.p12", "-dname", "CN=wrong.example" + DN_SUFFIX));
        runAll(dir,
                List.of("-certreq", "-alias", "server", "-keystore", "server.p12", "-file", "server.csr"),
                List.of("-certreq", "-alias", "wrong", "-keystore", "wrong.p12", "-file", "wrong.csr"),
                List.of("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.pem"));
        runAll(dir,
                List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-infile", "server.csr",
                        "-outfile", "server.pem", "-ext", "san=dns:localhost,ip:127.0.0.1,ip:::1",
                        "-ext", "eku=serverAuth"),
                List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-infile", "wrong.csr",
                        "-outfile", "wrong.pem", "-ext", "san=dns:wrong.example", "-ext", "eku=serverAuth"));
        this.ca = readCertificate(dir.resolve("ca.pem"));
        this.serverKeys = keyStore(dir, "server");
        this.wrongNameKeys = keyStore(dir, "wrong");
    }

    /**
     * The certificates of this JVM, generated on first use.
     *
     * @throws IllegalStateException if keytool is missing or fails
     */
    public static TestCertificates get() {
        TestCertificates c = instance;
        if (c != null) {
            return c;
        }
        synchronized (TestCertificates.class) {
            if (instance == null) {
                Path dir = null;
                try {
                    dir = Files.createTempDirectory("dugong-test-certs");
                    instance = new TestCertificates(dir);
                } catch (IOException | GeneralSecurityException e) {
                    throw new IllegalStateException("could not generate test certificates with keytool: " + e, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted generating test certificates", e);
                } finally {
                    if (dir != null) {
                        deleteTree(dir);
                    }
                }
            }
            return instance;
        }
    }

    /** The test CA's certificate. */
    public X509Certificate caCertificate() {
        return ca;
    }

    /** A server context whose certificate (issued by the test CA) names localhost, 127.0.0.1 and ::1. */
    public SSLContext serverContext() {
        return context(serverKeys, null);
    }

    /** A server context whose certificate (issued by the test CA) names only {@code wrong.example}. */
    public SSLContext wrongNameServerContext() {
        return context(wrongNameKeys, null);
    }

    /** A client context that trusts the test CA and nothing else. */
    public SSLContext clientContext() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("dugong-test-ca", ca);
            return context(null, trust);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SSLContext context(KeyStore keys, KeyStore trust) {
        try {
            KeyManagerFactory kmf = null;
            if (keys != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, PASSWORD);
            }
            TrustManagerFactory tmf = null;
            if (trust != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An in-memory key store: the alias's private key with the chain [its certificate, the CA]. */
    private KeyStore keyStore(Path dir, String alias) throws IOException, GeneralSecurityException {
        KeyStore generated = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(alias + ".p12"))) {
            generated.load(in, PASSWORD);
        }
        PrivateKey key = (PrivateKey) generated.getKey(alias, PASSWORD);
        X509Certificate leaf = readCertificate(dir.resolve(alias + ".pem"));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(alias, key, PASSWORD, new Certificate[] {leaf, ca});
        return ks;
    }

    private static X509Certificate readCertificate(Path pem) throws IOException, GeneralSecurityException {
        byte[] bytes = Files.readAllBytes(pem);
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(bytes));
    }

    /** Starts every keytool command at once, then waits for all of them; fails if any fails. */
    @SafeVarargs
    private static void runAll(Path dir, List<String>... commands) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", isWindows() ? "keytool.exe" : "keytool");
        if (!Files.isExecutable(keytool)) {
            throw new IOException("no keytool next to the running JVM at " + keytool);
        }
        List<Process> processes = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (int i = 0; i < commands.length; i++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(keytool.toString());
            // keytool's JVM runs for a moment: the C1 compiler and serial GC start it about twice as fast.
            cmd.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
            cmd.addAll(commands[i]);
            cmd.addAll(List.of("-storetype", "PKCS12", "-storepass", new String(PASSWORD), "-noprompt"));
            if (commands[i].get(0).equals("-genkeypair")) {
                cmd.addAll(List.of("-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2"));
            }
            Path log = Files.createTempFile(dir, "keytool", ".log");
            logs.add(log);
            processes.add(new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start());
        }
        for (int i = 0; i < processes.size(); i++) {
            Process p = processes.get(i);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool " + commands[i] + " did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("keytool " + commands[i] + " failed with exit code " + p.exitValue() + ": "
                        + Files.readString(logs.get(i), StandardCharsets.UTF_8));
            }
        }
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
