package io.dugong.it;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The directory nginx serves from (its {@code -p} prefix), generated before each run: the config
 * from the test resources, deterministic static files, SSI pages, and a TLS certificate issued by a
 * throw-away CA (made with the JDK's keytool, so no openssl is needed).
 *
 * <pre>
 *   nginx.conf, server.conf         from src/test/resources/io/dugong/it (listen addresses filled in)
 *   www/files/0.bin 100.bin 64k.bin 8m.bin   seeded random bytes
 *   www/files/64k.txt               text (the gzip location compresses it)
 *   www/ssi/64k.txt                 the same text, chunked by the SSI filter
 *   www/ssi/8m.shtml, 256m.shtml    include /files/8m.bin once and 32 times
 *   www/dav/                        where PUT stores bodies
 *   tls/ca.crt server-chain.crt server.key
 *   tmp/                            nginx's temp files
 * </pre>
 */
final class NginxSite {

    /** The static files under {@code /files/}, by name. */
    static final List<String> STATIC_FILES = List.of("0.bin", "100.bin", "64k.bin", "8m.bin", "64k.txt");
    /** How many times /ssi/256m.shtml includes /files/8m.bin. */
    static final int BIG_REPEAT = 32;

    private final Path dir;

    private NginxSite(Path dir) {
        this.dir = dir;
    }

    /**
     * Generates the site in {@code dir} (emptied first); listen addresses are filled in by
     * {@link #writeConfig}. The TLS files come from {@code tlsCache}, made there first if missing or
     * older than a day (keytool is slow to start, and each failsafe JVM would make them again).
     */
    static NginxSite generate(Path dir, Path tlsCache) throws IOException {
        deleteRecursively(dir);
        Files.createDirectories(dir.resolve("www/files"));
        Files.createDirectories(dir.resolve("www/ssi"));
        Files.createDirectories(dir.resolve("www/dav"));
        Files.createDirectories(dir.resolve("tmp"));
        NginxSite site = new NginxSite(dir);
        site.writeFile("www/files/0.bin", new byte[0]);
        site.writeFile("www/files/100.bin", randomBytes(100, 100));
        site.writeFile("www/files/64k.bin", randomBytes(64 * 1024, 64));
        site.writeFile("www/files/8m.bin", randomBytes(8 * 1024 * 1024, 8));
        byte[] text = text(64 * 1024);
        site.writeFile("www/files/64k.txt", text);
        site.writeFile("www/ssi/64k.txt", text);
        String include = "<!--# include virtual=\"/files/8m.bin\" -->";
        site.writeFile("www/ssi/8m.shtml", include.getBytes(StandardCharsets.US_ASCII));
        site.writeFile("www/ssi/256m.shtml", include.repeat(BIG_REPEAT).getBytes(StandardCharsets.US_ASCII));
        Files.copy(resource("server.conf"), dir.resolve("server.conf"));
        Path key = tlsCache.resolve("server.key"); // written last
        if (!Files.exists(key) || Files.getLastModifiedTime(key).toInstant()
                .isBefore(java.time.Instant.now().minus(java.time.Duration.ofDays(1)))) {
            deleteRecursively(tlsCache);
            Files.createDirectories(tlsCache);
            makeCertificates(tlsCache);
        }
        Files.createDirectories(dir.resolve("tls"));
        for (String name : List.of("ca.crt", "server-chain.crt", "server.key")) {
            Files.copy(tlsCache.resolve(name), dir.resolve("tls").resolve(name));
        }
        return site;
    }

    /** Writes nginx.conf with the three listen addresses (e.g. "8080" or "127.0.0.1:41234"). */
    void writeConfig(String main, String keepalive100, String tls) throws IOException {
        String conf;
        try (InputStream in = resource("nginx.conf")) {
            conf = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        conf = conf.replace("@MAIN_LISTEN@", main)
                .replace("@KEEPALIVE100_LISTEN@", keepalive100)
                .replace("@TLS_LISTEN@", tls);
        Files.writeString(dir.resolve("nginx.conf"), conf);
    }

    Path dir() {
        return dir;
    }

    /** The bytes of a file below {@code www/}, e.g. {@code "files/64k.bin"}. */
    byte[] bytes(String pathBelowWww) {
        try {
            return Files.readAllBytes(dir.resolve("www").resolve(pathBelowWww));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SHA-256 of /ssi/256m.shtml's body: /files/8m.bin {@value #BIG_REPEAT} times. */
    byte[] bigBodyDigest() {
        MessageDigest md = sha256();
        byte[] eight = bytes("files/8m.bin");
        for (int i = 0; i < BIG_REPEAT; i++) md.update(eight);
        return md.digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** An SSLContext that trusts only the test CA which issued nginx's certificate. */
    SSLContext trustingTestCa() {
        try (InputStream in = Files.newInputStream(dir.resolve("tls/ca.crt"))) {
            X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("dugong-test-ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A CA, and a certificate it issued for localhost and 127.0.0.1 with its key, in PEM files in {@code tls}. */
    private static void makeCertificates(Path tls) throws IOException {
        String pw = "dugong-test";
        String ca = tls.resolve("ca.p12").toString();
        String server = tls.resolve("server.p12").toString();
        keytool("-genkeypair", "-keystore", ca, "-storetype", "PKCS12", "-storepass", pw, "-alias", "ca",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=dugong-java test CA", "-validity", "7",
                "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign");
        keytool("-genkeypair", "-keystore", server, "-storetype", "PKCS12", "-storepass", pw, "-alias", "server",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost", "-validity", "7");
        keytool("-certreq", "-keystore", server, "-storepass", pw, "-alias", "server",
                "-file", tls.resolve("server.csr").toString());
        keytool("-gencert", "-keystore", ca, "-storepass", pw, "-alias", "ca", "-rfc", "-validity", "7",
                "-infile", tls.resolve("server.csr").toString(), "-outfile", tls.resolve("server.crt").toString(),
                "-ext", "san=dns:localhost,ip:127.0.0.1", "-ext", "eku=serverAuth", "-ext", "ku:c=digitalSignature");
        keytool("-exportcert", "-keystore", ca, "-storepass", pw, "-alias", "ca", "-rfc",
                "-file", tls.resolve("ca.crt").toString());
        Files.writeString(tls.resolve("server-chain.crt"),
                Files.readString(tls.resolve("server.crt")) + Files.readString(tls.resolve("ca.crt")));
        try (InputStream in = Files.newInputStream(tls.resolve("server.p12"))) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, pw.toCharArray());
            byte[] pkcs8 = ks.getKey("server", pw.toCharArray()).getEncoded();
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pkcs8)
                    + "\n-----END PRIVATE KEY-----\n";
            Files.writeString(tls.resolve("server.key"), pem); // last: its absence marks an unfinished cache
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the generated server key", e);
        }
    }

    private static void keytool(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                Path.of("/dev/null").toFile())).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool failed: " + String.join(" ", cmd) + "\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running keytool", e);
        }
    }

    private void writeFile(String relative, byte[] content) throws IOException {
        Files.write(dir.resolve(relative), content);
    }

    /** {@code n} bytes from a Random seeded with {@code seed}: the same on every JDK and run. */
    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** {@code n} bytes of numbered text lines (no "<!--", so the SSI filter passes them unchanged). */
    static byte[] text(int n) {
        StringBuilder sb = new StringBuilder(n + 100);
        for (int line = 0; sb.length() < n; line++) {
            sb.append(String.format("%06d the quick dugong grazes the seagrass, pipelined and in order\n", line));
        }
        sb.setLength(n);
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = NginxSite.class.getResourceAsStream(name);
        if (in == null) throw new IOException("test resource io/dugong/it/" + name + " is missing");
        return new ByteArrayInputStream(in.readAllBytes());
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
