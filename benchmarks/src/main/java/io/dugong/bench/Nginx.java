package io.dugong.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One local nginx on loopback ({@code worker_processes 1}), started in the foreground as a child
 * process and stopped by its PID. Serves {@code /100b} and {@code /64k}; a second port answers
 * {@code /status} (stub_status) so runs can check the server's own request and connection counts.
 */
final class Nginx implements AutoCloseable {
    static final int SMALL = 100;
    static final int LARGE = 64 * 1024;

    final Path prefix;
    final int port;
    final int statusPort;
    private final Process process;

    private Nginx(Path prefix, int port, int statusPort, Process process) {
        this.prefix = prefix;
        this.port = port;
        this.statusPort = statusPort;
        this.process = process;
    }

    static Nginx start(Path prefix) throws IOException, InterruptedException {
        Files.createDirectories(prefix.resolve("www"));
        Files.createDirectories(prefix.resolve("tmp"));
        Files.createDirectories(prefix.resolve("logs"));
        Files.write(prefix.resolve("www/100b"), body(SMALL));
        Files.write(prefix.resolve("www/64k"), body(LARGE));
        int port = freePort();
        int statusPort = freePort();
        boolean root = "root".equals(System.getProperty("user.name"));
        String tmp = prefix.resolve("tmp").toAbsolutePath().toString();
        String conf = """
                %s
                worker_processes 1;
                daemon off;
                pid %s/nginx.pid;
                error_log %s/logs/error.log warn;
                worker_rlimit_nofile 45000;
                events {
                    worker_connections 20000;
                    multi_accept on;
                }
                http {
                    access_log off;
                    default_type application/octet-stream;
                    sendfile off;   # with sendfile (+ TCP_CORK), pipelined batches stall ~40 ms at some depths
                    tcp_nopush on;
                    tcp_nodelay on;
                    keepalive_requests 100000000;
                    keepalive_timeout 300s;
                    open_file_cache max=16;
                    client_body_temp_path %s/body;
                    proxy_temp_path %s/proxy;
                    fastcgi_temp_path %s/fastcgi;
                    uwsgi_temp_path %s/uwsgi;
                    scgi_temp_path %s/scgi;
                    server {
                        listen 127.0.0.1:%d backlog=16384;
                        root %s/www;
                        location / { }
                        location /close/ { alias %s/www/; keepalive_requests 1; }
                    }
                    server {
                        listen 127.0.0.1:%d;
                        location = /status { stub_status; }
                    }
                }
                """.formatted(root ? "user root;" : "", abs(prefix), abs(prefix), tmp, tmp, tmp, tmp, tmp,
                port, abs(prefix), abs(prefix), statusPort);
        Path confFile = prefix.resolve("nginx.conf");
        Files.writeString(confFile, conf);
        Process p = new ProcessBuilder("nginx", "-p", abs(prefix), "-c", abs(confFile), "-e", abs(prefix) + "/logs/error.log")
                .redirectErrorStream(true)
                .redirectOutput(prefix.resolve("logs/stdout.log").toFile())
                .start();
        Nginx nginx = new Nginx(prefix, port, statusPort, p);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            if (!p.isAlive()) {
                throw new IOException("nginx exited with " + p.exitValue() + ": "
                        + Files.readString(prefix.resolve("logs/error.log")));
            }
            try {
                stats(statusPort);
                break;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    nginx.close();
                    throw new IOException("nginx did not come up", notYet);
                }
                Thread.sleep(20);
            }
        }
        return nginx;
    }

    long pid() {
        return process.pid();
    }

    /** {accepted connections, requests} as counted by nginx (this status request included). */
    static long[] stats(int statusPort) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", statusPort), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /status HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            // "... server accepts handled requests\n 16630948 16630948 31070465\n ..."
            int i = text.indexOf("requests\n");
            if (i < 0) throw new IOException("unexpected stub_status answer: " + text);
            String[] nums = text.substring(i + 9).trim().split("\\s+");
            return new long[] {Long.parseLong(nums[0]), Long.parseLong(nums[2])};
        }
    }

    @Override
    public void close() {
        if (!process.isAlive()) return;
        // Stopped by PID: SIGTERM to the master (fast shutdown), which stops its worker.
        try {
            new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                new ProcessBuilder("kill", "-KILL", Long.toString(process.pid())).inheritIO().start().waitFor();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }

    static byte[] body(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) ('a' + i % 26);
        return b;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String abs(Path p) {
        return p.toAbsolutePath().toString();
    }
}
