package io.dugong.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs wrk (one thread) and parses its summary; any non-2xx response or socket error fails the run. */
final class Wrk {
    record Result(double rps, long requests, double bytesRead, double p50us, double p99us) {}

    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in [0-9.]+\\w+, ([0-9.]+)(B|KB|MB|GB|TB) read");
    private static final Pattern P50 = Pattern.compile("\\s50%\\s+([0-9.]+)(us|ms|s)\\b");
    private static final Pattern P99 = Pattern.compile("\\s99%\\s+([0-9.]+)(us|ms|s)\\b");

    static String version() {
        try {
            Process p = new ProcessBuilder("wrk", "-v").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out.lines().findFirst().orElse("?").replaceAll("\\s+Copyright.*", "").trim();
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }

    /**
     * @param depth pipelined requests per round trip; 0 = plain wrk without a script
     */
    static Result run(String url, int connections, int depth, double seconds, Path script, int bodyLen)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("wrk", "-t1", "-c" + connections,
                "-d" + Math.max(1, Math.round(seconds)) + "s", "--latency", "--timeout", "10s"));
        if (depth > 0) {
            cmd.add("-s");
            cmd.add(script.toAbsolutePath().toString());
        }
        cmd.add(url);
        if (depth > 0) {
            cmd.add("--");
            cmd.add(Integer.toString(depth));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) throw new IllegalStateException("wrk exited " + rc + ":\n" + out);
        if (out.contains("Non-2xx") || out.contains("Socket errors")) {
            throw new IllegalStateException("wrk saw errors:\n" + out);
        }
        Matcher rps = RPS.matcher(out);
        Matcher total = TOTAL.matcher(out);
        if (!rps.find() || !total.find()) throw new IllegalStateException("cannot parse wrk output:\n" + out);
        long requests = Long.parseLong(total.group(1));
        double bytes = Double.parseDouble(total.group(2)) * switch (total.group(3)) {
            case "B" -> 1;
            case "KB" -> 1024;
            case "MB" -> 1024 * 1024;
            case "GB" -> 1024.0 * 1024 * 1024;
            default -> 1024.0 * 1024 * 1024 * 1024;
        };
        // every response carries the body plus a head; wrk rounds the byte count to 2 decimals
        if (requests == 0 || bytes < 0.99 * requests * bodyLen) {
            throw new IllegalStateException("wrk read " + bytes + " bytes for " + requests + " responses of " + bodyLen + ":\n" + out);
        }
        return new Result(Double.parseDouble(rps.group(1)), requests, bytes, micros(P50, out), micros(P99, out));
    }

    private static double micros(Pattern p, String out) {
        Matcher m = p.matcher(out);
        if (!m.find()) return Double.NaN;
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v;
            case "ms" -> v * 1e3;
            default -> v * 1e6;
        };
    }
}
