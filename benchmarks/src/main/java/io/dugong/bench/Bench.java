package io.dugong.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark: starts one nginx on loopback, measures wrk and every client family (each in its own
 * JVM) on the workloads, and writes RESULTS.md and the throughput-vs-depth charts.
 *
 * <pre>
 * run.sh [--quick] [--runs N] [--warmups N] [--only a,b,c,d,e] [--clients fam1,fam2] [--readme]
 * </pre>
 */
public final class Bench {
    static final int[] PIPELINE_DEPTHS = {8, 16, 32, 128};

    public static void main(String[] args) throws Exception {
        int runs = 5;
        int warmups = 4;   // the pipelined paths need ~100,000 requests before C2 has compiled them
        double wrkSeconds = 2;
        Set<String> workloads = new LinkedHashSet<>(List.of("a", "b", "c", "d", "e", "f"));
        List<String> families = new ArrayList<>(Clients.FAMILIES);
        boolean readme = false;
        boolean quick = false;
        String depths = null;
        Path jfrDir = null;
        String jfrSettings = "profile";
        List<String> argList = new ArrayList<>();
        for (String a : args) argList.addAll(Arrays.asList(a.trim().split("\\s+")));
        argList.removeIf(String::isEmpty);
        for (int i = 0; i < argList.size(); i++) {
            switch (argList.get(i)) {
                case "--quick" -> { quick = true; runs = 2; warmups = 1; wrkSeconds = 1; }
                case "--runs" -> runs = Integer.parseInt(argList.get(++i));
                case "--warmups" -> warmups = Integer.parseInt(argList.get(++i));
                case "--wrk-seconds" -> wrkSeconds = Double.parseDouble(argList.get(++i));
                case "--only" -> workloads = new LinkedHashSet<>(Arrays.asList(argList.get(++i).split(",")));
                case "--clients" -> families = Arrays.asList(argList.get(++i).split(","));
                case "--readme" -> readme = true;
                case "--depths" -> depths = argList.get(++i);
                case "--jfr" -> jfrDir = Path.of(argList.get(++i)).toAbsolutePath();
                case "--jfr-settings" -> jfrSettings = argList.get(++i);
                default -> throw new IllegalArgumentException("unknown argument " + argList.get(i)
                        + "; use --quick, --runs N, --warmups N, --wrk-seconds S, --only a,b,c,d,e,f, --clients LIST, --depths 1,8,32,128, --jfr DIR, --jfr-settings NAME_OR_FILE, --readme");
            }
        }
        Path dir = Path.of(System.getProperty("bench.dir", ".")).toAbsolutePath().normalize();
        String command = System.getProperty("bench.command", "benchmarks/run.sh " + String.join(" ", args));
        long started = System.nanoTime();
        List<Row> rows = new ArrayList<>();
        try (Nginx nginx = Nginx.start(dir.resolve("target/nginx"))) {
            Runtime.getRuntime().addShutdownHook(new Thread(nginx::close));
            System.err.printf("nginx (pid %d) on 127.0.0.1:%d; %d runs + %d warm-ups per measurement%n",
                    nginx.pid(), nginx.port, runs, warmups);
            String base = "http://127.0.0.1:" + nginx.port;
            Path script = dir.resolve("wrk/pipeline.lua");
            for (String w : List.of("a", "b")) {
                if (!workloads.contains(w)) continue;
                String path = w.equals("a") ? Child.SMALL : Child.LARGE;
                int len = w.equals("a") ? Nginx.SMALL : Nginx.LARGE;
                rows.add(wrkRow(w, "wrk (no pipelining)", 1, base + path, 1, 0, runs, wrkSeconds, script, len));
                for (int d : PIPELINE_DEPTHS) {
                    rows.add(wrkRow(w, "wrk (pipelined)", d, base + path, 1, d, runs, wrkSeconds, script, len));
                }
            }
            if (workloads.contains("c")) {
                rows.add(wrkRow("c", "wrk (256 connections)", 1, base + Child.SMALL, 256, 0, runs, wrkSeconds, script, Nginx.SMALL));
            }
            if (workloads.contains("d")) {
                rows.add(wrkRow("d", "wrk (1 connection)", 1, base + Child.SMALL, 1, 0, runs, wrkSeconds, script, Nginx.SMALL));
            }
            String abcd = String.join(",", workloads.stream().filter(w -> !w.equals("e")).toList());
            for (String family : families) {
                if (!abcd.isEmpty()) rows.addAll(child(family, abcd, runs, warmups, nginx, "1g", depths, jfrDir, jfrSettings));
            }
            if (workloads.contains("e")) {
                for (String family : families) rows.addAll(child(family, "e", runs, warmups, nginx, "4g", depths, jfrDir, jfrSettings));
            }
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        Report report = new Report(rows, runs, warmups, command, quick, minutes);
        Files.writeString(dir.resolve("RESULTS.md"), report.markdown());
        report.chart("a", "Throughput vs pipeline depth: 20,000 GETs of 100 B on one connection",
                dir.resolve("throughput-vs-depth.png"));
        report.chart("b", "Throughput vs pipeline depth: 20,000 GETs of 64 KiB on one connection",
                dir.resolve("throughput-vs-depth-64k.png"));
        if (readme) report.updateReadme(dir.resolveSibling("README.md"));
        System.err.printf("wrote %s (%.1f minutes)%n", dir.resolve("RESULTS.md"), minutes);
    }

    private static Row wrkRow(String workload, String label, int depth, String url, int connections, int pipeline,
                              int runs, double seconds, Path script, int len) throws Exception {
        double[] rps = new double[runs];
        double[] p50 = new double[runs];
        double[] p99 = new double[runs];
        Wrk.run(url, connections, pipeline, 1, script, len);   // warm-up
        for (int r = 0; r < runs; r++) {
            Wrk.Result res = Wrk.run(url, connections, pipeline, seconds, script, len);
            rps[r] = res.rps();
            p50[r] = res.p50us();
            p99[r] = res.p99us();
        }
        boolean latency = workload.equals("d");
        Row row = new Row(workload, label, depth, rps, latency ? median(p50) : Double.NaN,
                latency ? median(p99) : Double.NaN, Map.of());
        System.err.printf("  %s %s depth %d: median %.0f req/s%n", workload, label, depth, row.median());
        return row;
    }

    private static List<Row> child(String family, String workloads, int runs, int warmups, Nginx nginx, String heap,
                                   String depths, Path jfrDir, String jfrSettings) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-preview", "-Xms1g", "-Xmx" + heap, "-Djava.awt.headless=true"));
        if (depths != null) cmd.add("-Dbench.depths=" + depths);   // a subset of the pipeline depths, for quicker comparisons
        if (jfrDir != null) {   // a flight recording per child, for profiling (allocation and execution samples)
            Files.createDirectories(jfrDir);
            cmd.add("-XX:StartFlightRecording=settings=" + jfrSettings + ",filename="
                    + jfrDir.resolve(family + "-" + workloads.replace(',', '_') + ".jfr"));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(),
                family, workloads, Integer.toString(runs), Integer.toString(warmups),
                Integer.toString(nginx.port), Integer.toString(nginx.statusPort)));
        System.err.println("== " + family + " (" + workloads + ")");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Row> rows = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(Row.PREFIX)) rows.add(Row.parse(line));
                else System.err.println("  " + line);
            }
        }
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(family + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(family + " failed (exit " + p.exitValue() + "): a benchmark that measures errors is a failed run");
        }
        return rows;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static Properties versions() {
        Properties p = new Properties();
        try (var in = Bench.class.getResourceAsStream("/bench-versions.properties")) {
            if (in != null) p.load(in);
        } catch (IOException ignored) {
            // versions are informative only
        }
        return p;
    }

    static String now() {
        return ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
    }
}
