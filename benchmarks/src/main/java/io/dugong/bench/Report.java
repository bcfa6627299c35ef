package io.dugong.bench;

import java.awt.BasicStroke;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Predicate;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Turns the rows into RESULTS.md, the charts and (optionally) the README's table. */
final class Report {
    static final String README_START = "<!-- benchmarks:results:start -->";
    static final String README_END = "<!-- benchmarks:results:end -->";

    private final List<Row> rows;
    private final int runs;
    private final int warmups;
    private final String command;
    private final boolean quick;
    private final double minutes;

    Report(List<Row> rows, int runs, int warmups, String command, boolean quick, double minutes) {
        this.rows = rows;
        this.runs = runs;
        this.warmups = warmups;
        this.command = command;
        this.quick = quick;
        this.minutes = minutes;
    }

    private List<Row> of(String workload) {
        return rows.stream().filter(r -> r.workload().equals(workload)).toList();
    }

    private Optional<Row> best(String workload, Predicate<String> client) {
        return of(workload).stream().filter(r -> client.test(r.client()))
                .max((x, y) -> Double.compare(x.median(), y.median()));
    }

    private double bestMedian(String workload, Predicate<String> client) {
        return best(workload, client).map(Row::median).orElse(Double.NaN);
    }

    private static boolean ours(String client) {
        return client.startsWith("dugong") || client.startsWith("Dugong");
    }

    // ---------------------------------------------------------------------------------------------

    String markdown() {
        StringBuilder md = new StringBuilder();
        Properties v = Bench.versions();
        md.append("# dugong-java benchmarks\n\n");
        md.append("Generated ").append(Bench.now()).append(" by `").append(command).append("`")
                .append(String.format(Locale.ROOT, " in %.1f minutes", minutes))
                .append(quick ? " (**quick mode**: too few runs to trust)" : "").append(".\n\n");
        md.append("- **Machine:** ").append(machine()).append("\n");
        md.append("- **JDK:** ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append(" (each client in its own JVM, `-Xms1g`)\n");
        md.append("- **Server:** ").append(nginxVersion())
                .append(", `worker_processes 1`, loopback, `access_log off`, `keepalive_requests` unlimited, `sendfile off` (with sendfile on, pipelined batches stalled ~40 ms at some depths)\n");
        md.append("- **Reference:** ").append(Wrk.version()).append(", 1 thread; pipelining via `benchmarks/wrk/pipeline.lua`\n");
        md.append("- **Clients:** dugong ").append(v.getProperty("dugong", "?"))
                .append(", JDK `java.net.http.HttpClient` (HTTP/1.1), Apache HttpClient ").append(v.getProperty("httpclient5", "?"))
                .append(" (classic, and async `MinimalHttpAsyncClient` pipelining on one leased endpoint)")
                .append(", OkHttp ").append(v.getProperty("okhttp", "?")).append("\n");
        md.append("- **Method:** ").append(runs).append(" measured runs after ").append(warmups)
                .append(" warm-up runs per measurement (wrk: ").append(runs).append(" runs after one warm-up);")
                .append(" every response checked (status 200, body byte count) and nginx's own request and connection")
                .append(" counters (stub_status) checked after every run; any error fails the whole run.\n\n");
        md.append("Ratios: **× wrk** = median over the best wrk pipelined median of the same workload;")
                .append(" **× JDK** = median over the JDK client's median of the same workload.\n\n");
        md.append(targets());
        md.append(throughputTable("a", "(a) 20,000 GETs of 100 B on one connection"));
        md.append("![throughput vs pipeline depth](throughput-vs-depth.png)\n\n");
        md.append(throughputTable("b", "(b) 20,000 GETs of 64 KiB on one connection"));
        md.append("![throughput vs pipeline depth, 64 KiB](throughput-vs-depth-64k.png)\n\n");
        md.append(concurrentTable());
        md.append(closingTable());
        md.append(latencyTable());
        md.append(heapTable());
        return md.toString();
    }

    private String targets() {
        if (of("a").isEmpty()) return "";
        StringBuilder md = new StringBuilder("## Targets (workload a unless noted)\n\n");
        md.append("| target | measured | met? |\n|---|---|---|\n");
        Optional<Row> oursBest = best("a", Report::ours);
        double apache = bestMedian("a", c -> c.startsWith("Apache HttpClient 5 async"));
        double jdk = bestMedian("a", c -> c.startsWith("JDK"));
        double wrk = bestMedian("a", c -> c.equals("wrk (pipelined)"));
        if (oursBest.isPresent()) {
            Row o = oursBest.get();
            String who = o.client() + " depth " + o.depth() + ", " + fmt(o.median()) + " req/s";
            md.append(target("pipelined, one connection ≥ 1.5× Apache HttpClient 5 pipelined",
                    o.median() / apache, 1.5, who + " vs " + fmt(apache)));
            md.append(target("pipelined, one connection ≥ 5× JDK client sequential",
                    o.median() / jdk, 5, who + " vs " + fmt(jdk)));
            md.append(target("pipelined, one connection ≥ 70% of wrk pipelined",
                    o.median() / wrk, 0.7, who + " vs " + fmt(wrk)));
        }
        for (String c : List.of("dugong Pipeline", "DugongClient (1 conn)", "dugong HttpConnection (sender+reader threads)")) {
            double m = bestMedian("a", x -> x.equals(c));
            if (!Double.isNaN(m)) {
                md.append(String.format(Locale.ROOT, "| … %s best depth: × Apache pipelined / × JDK / × wrk | %.2f / %.2f / %.2f | |%n",
                        c, m / apache, m / jdk, m / wrk));
            }
        }
        Optional<Row> jdkLat = of("d").stream().filter(r -> r.client().startsWith("JDK")).findFirst();
        if (jdkLat.isPresent()) {
            for (Row r : of("d")) {
                if (!ours(r.client())) continue;
                double ratio = r.p50us() / jdkLat.get().p50us();
                md.append(String.format(Locale.ROOT, "| (d) p50 latency of %s no worse than JDK | %.1f µs vs %.1f µs (p99 %.1f vs %.1f) | %s |%n",
                        r.client(), r.p50us(), jdkLat.get().p50us(), r.p99us(), jdkLat.get().p99us(),
                        ratio <= 1.0 ? "yes" : String.format(Locale.ROOT, "no (%.2f×)", ratio)));
            }
        }
        md.append(ceilingTargets());
        return md.append('\n').toString();
    }

    /** The goals of reaching the design's ceiling: CPU per request against the raw loop, latency, memory. */
    private String ceilingTargets() {
        StringBuilder md = new StringBuilder();
        for (String w : List.of("a", "b")) {
            Row raw = row(w, "raw loop", 128);
            for (String c : List.of("dugong Pipeline", "dugong HttpConnection (sender+reader threads)")) {
                Row r = row(w, c, 128);
                if (raw == null || r == null) continue;
                md.append(atMost("(" + w + ") CPU per request of " + c + " at depth 128 ≤ 1.15× the raw loop",
                        r.cpuUs() / raw.cpuUs(), 1.15, String.format(Locale.ROOT, "%.1f µs vs %.1f", r.cpuUs(), raw.cpuUs())));
            }
            for (int depth : List.of(16, 128)) {
                Row wrk = row(w, "wrk (pipelined)", depth);
                for (String c : List.of("dugong Pipeline", "dugong HttpConnection (sender+reader threads)")) {
                    Row r = row(w, c, depth);
                    if (wrk == null || r == null) continue;
                    md.append(target("(" + w + ") " + c + " at depth " + depth + " ≥ 1.0× wrk at the same depth",
                            r.median() / wrk.median(), 1.0, fmt(r.median()) + " vs " + fmt(wrk.median()) + " req/s"));
                }
            }
        }
        Row raw = row("a", "raw loop", 128);
        Row pool = of("c").stream().filter(r -> r.client().startsWith("DugongClient (default")).findFirst().orElse(null);
        if (raw != null && pool != null) {
            md.append(atMost("(c) CPU per request of DugongClient from 256 threads ≤ 1.3× the raw loop (a, depth 128)",
                    pool.cpuUs() / raw.cpuUs(), 1.3, String.format(Locale.ROOT, "%.1f µs vs %.1f", pool.cpuUs(), raw.cpuUs())));
        }
        Row conn128 = row("a", "dugong HttpConnection (sender+reader threads)", 128);
        if (conn128 != null && !Double.isNaN(conn128.allocBytes())) {
            double beyondBody = conn128.allocBytes() - Nginx.SMALL;
            md.append(String.format(Locale.ROOT, "| (a) heap allocated per 100 B response beyond the body ≤ 1 KiB (HttpConnection, depth 128) | %.0f B | %s |%n",
                    beyondBody, beyondBody <= 1024 ? "yes" : "**no**"));
        }
        Optional<Row> jdkLat = of("d").stream().filter(r -> r.client().startsWith("JDK")).findFirst();
        for (Row r : of("d")) {
            if (jdkLat.isEmpty() || !(r.client().equals("dugong Pipeline.send") || r.client().equals("DugongClient.send"))) continue;
            md.append(atMost("(d) p50 latency of " + r.client() + " ≤ 0.6× the JDK client's", r.p50us() / jdkLat.get().p50us(), 0.6,
                    String.format(Locale.ROOT, "%.1f µs vs %.1f", r.p50us(), jdkLat.get().p50us())));
        }
        of("e").stream().filter(r -> r.client().startsWith("dugong HttpConnection")).findFirst().ifPresent(r -> {
            double kib = Double.parseDouble(r.extra().getOrDefault("KiBPerOpenConnection", "NaN"));
            md.append(String.format(Locale.ROOT, "| (e) heap per open idle HttpConnection ≤ 12 KiB | %.1f KiB | %s |%n",
                    kib, kib <= 12 ? "yes" : "**no**"));
        });
        return md.toString();
    }

    /** The row of {@code client} (a prefix) at {@code depth} in {@code workload}, or null. */
    private Row row(String workload, String client, int depth) {
        return of(workload).stream().filter(r -> r.client().startsWith(client) && r.depth() == depth).findFirst().orElse(null);
    }

    private static String atMost(String name, double ratio, double goal, String detail) {
        return String.format(Locale.ROOT, "| %s | %.2f× (%s) | %s |%n", name, ratio, detail, ratio <= goal ? "yes" : "**no**");
    }

    private static String target(String name, double ratio, double goal, String detail) {
        return String.format(Locale.ROOT, "| %s | %.2f× (%s) | %s |%n", name, ratio, detail, ratio >= goal ? "yes" : "**no**");
    }

    private String throughputTable(String workload, String title) {
        List<Row> rs = of(workload);
        if (rs.isEmpty()) return "";
        double wrk = bestMedian(workload, c -> c.equals("wrk (pipelined)"));
        double jdk = bestMedian(workload, c -> c.startsWith("JDK"));
        boolean large = workload.equals("b");
        StringBuilder md = new StringBuilder("## " + title + "\n\n");
        md.append("**CPU µs/req** is the client process's CPU time (all threads, GC and JIT included) per request,")
                .append(" median of the runs; **× ceiling** divides it by the raw two-thread loop's at the same depth.")
                .append(" **B alloc/req** is the heap the client process allocated per request (all threads, the body")
                .append(" array included), median of the runs.\n\n");
        md.append("| client | depth | req/s median | min | max |").append(large ? " MiB/s |" : "")
                .append(" × wrk | × JDK | CPU µs/req | × ceiling | B alloc/req |\n");
        md.append("|---|---:|---:|---:|---:|").append(large ? "---:|" : "").append("---:|---:|---:|---:|---:|\n");
        for (Row r : rs) {
            md.append("| ").append(r.client()).append(" | ").append(r.depth()).append(" | ")
                    .append(fmt(r.median())).append(" | ").append(fmt(r.min())).append(" | ").append(fmt(r.max())).append(" |");
            if (large) md.append(String.format(Locale.ROOT, " %.0f |", r.median() * Nginx.LARGE / 1048576.0));
            md.append(ratio(r.median(), wrk)).append(ratio(r.median(), jdk));
            double ceiling = rs.stream().filter(x -> x.client().startsWith("raw loop") && x.depth() == r.depth())
                    .mapToDouble(Row::cpuUs).findFirst().orElse(Double.NaN);
            md.append(Double.isNaN(r.cpuUs()) ? " – |" : String.format(Locale.ROOT, " %.1f |", r.cpuUs()))
                    .append(ratio(r.cpuUs(), ceiling))
                    .append(Double.isNaN(r.allocBytes()) ? " – |" : String.format(Locale.ROOT, " %.0f |", r.allocBytes()))
                    .append('\n');
        }
        return md.append('\n').toString();
    }

    private String concurrentTable() {
        List<Row> rs = of("c");
        if (rs.isEmpty()) return "";
        double wrk = bestMedian("c", c -> c.startsWith("wrk"));
        double jdk = bestMedian("c", c -> c.startsWith("JDK"));
        StringBuilder md = new StringBuilder("## (c) 20,000 GETs of 100 B from 256 concurrent virtual threads, through each client's pool\n\n");
        // The ceiling for a pool from many threads: the raw loop at depth 128, the deepest one-connection pipeline.
        double ceiling = of("a").stream().filter(x -> x.client().startsWith("raw loop") && x.depth() == 128)
                .mapToDouble(Row::cpuUs).findFirst().orElse(Double.NaN);
        md.append("| client | connections opened | retried by the client | req/s median | min | max | × wrk (256 conn) | × JDK")
                .append(" | CPU µs/req | × ceiling (a, depth 128) | B alloc/req |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rs) {
            md.append("| ").append(r.client()).append(" | ").append(r.extra().getOrDefault("connections", r.client().startsWith("wrk") ? "256" : "?"))
                    .append(" | ").append(r.extra().getOrDefault("retried", "–")).append(" | ").append(fmt(r.median())).append(" | ").append(fmt(r.min())).append(" | ").append(fmt(r.max())).append(" |")
                    .append(ratio(r.median(), wrk)).append(ratio(r.median(), jdk))
                    .append(Double.isNaN(r.cpuUs()) ? " – |" : String.format(Locale.ROOT, " %.1f |", r.cpuUs()))
                    .append(ratio(r.cpuUs(), ceiling))
                    .append(Double.isNaN(r.allocBytes()) ? " – |" : String.format(Locale.ROOT, " %.0f |", r.allocBytes()))
                    .append('\n');
        }
        return md.append('\n').toString();
    }

    /** (f): the origin closes after every response; DugongClient must stay near the plain keep-alive clients. */
    private String closingTable() {
        List<Row> rs = of("f");
        if (rs.isEmpty()) return "";
        double best = bestMedian("f", c -> !c.startsWith("dugong") && !c.startsWith("Dugong"));
        StringBuilder md = new StringBuilder("## (f) 2,000 GETs of 100 B from 64 virtual threads; nginx closes every connection after one response (`keepalive_requests 1`)\n\n");
        md.append("DugongClient learns that the origin is not to be pipelined (Connection: close on the first response) and falls back to")
                .append(" one request per connection; the target is within 10 % of the best plain keep-alive client (no replay storm).\n\n");
        md.append("| client | connections opened | retried by the client | req/s median | min | max | × best other client |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rs) {
            md.append("| ").append(r.client()).append(" | ").append(r.extra().getOrDefault("connections", "?"))
                    .append(" | ").append(r.extra().getOrDefault("retried", "–")).append(" | ").append(fmt(r.median())).append(" | ")
                    .append(fmt(r.min())).append(" | ").append(fmt(r.max())).append(" |").append(ratio(r.median(), best)).append('\n');
        }
        return md.append('\n').toString();
    }

    private String latencyTable() {
        List<Row> rs = of("d");
        if (rs.isEmpty()) return "";
        double jdk50 = rs.stream().filter(r -> r.client().startsWith("JDK")).mapToDouble(Row::p50us).findFirst().orElse(Double.NaN);
        StringBuilder md = new StringBuilder("## (d) Single-request latency: 5,000 sequential GETs of 100 B (median of the runs' percentiles)\n\n");
        md.append("| client | p50 µs | p99 µs | req/s median | p50 × JDK | connections per run |\n|---|---:|---:|---:|---:|---:|\n");
        for (Row r : rs) {
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %s | %.2f | %s |%n", r.client(), r.p50us(), r.p99us(),
                    fmt(r.median()), r.p50us() / jdk50, r.extra().getOrDefault("connections", "1")));
        }
        return md.append("\nwrk's percentiles come from its own (coarser) histogram.\n\n").toString();
    }

    private String heapTable() {
        List<Row> rs = of("e");
        if (rs.isEmpty()) return "";
        StringBuilder md = new StringBuilder("## (e) 10,000 concurrent fetches in one StructuredTaskScope: heap\n\n");
        md.append("Each task GETs 100 B and then holds its response (and, for `HttpConnection`, its own connection) until all")
                .append(" 10,000 have arrived; then the heap is measured after `System.gc()`. *Peak* is the highest used heap")
                .append(" sampled every millisecond (garbage included); *held* is what survives GC while everything is held")
                .append(" (10,000 parked virtual threads included).\n\n");
        md.append("| client | seconds | connections accepted | retried | sockets open | peak heap MiB | held heap MiB | KiB per open connection | KiB per task | direct MiB |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rs) {
            Map<String, String> x = r.extra();
            md.append("| ").append(r.client()).append(" | ").append(x.get("seconds")).append(" | ").append(x.get("accepted"))
                    .append(" | ").append(x.get("retried")).append(" | ").append(x.get("openSockets")).append(" | ").append(x.get("peakHeapMB")).append(" | ")
                    .append(x.get("heldHeapMB")).append(" | ").append(x.get("KiBPerOpenConnection")).append(" | ")
                    .append(x.get("KiBPerTask")).append(" | ").append(x.get("heldDirectMB")).append(" |\n");
        }
        return md.append('\n').toString();
    }

    private static String ratio(double x, double ref) {
        return Double.isNaN(x) || Double.isNaN(ref) || ref == 0 ? " – |" : String.format(Locale.ROOT, " %.2f |", x / ref);
    }

    private static String fmt(double x) {
        return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%,.0f", x);
    }

    // ---------------------------------------------------------------------------------------------

    void chart(String workload, String title, Path file) throws IOException {
        List<Row> rs = of(workload);
        if (rs.isEmpty()) return;
        XYChart chart = new XYChartBuilder().width(1100).height(650).title(title)
                .xAxisTitle("pipeline depth (requests in flight on the one connection; log scale)")
                .yAxisTitle("requests/s (median of runs)").build();
        Styler styler = chart.getStyler();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisDecimalPattern("#,###");
        chart.getStyler().setXAxisDecimalPattern("#");
        chart.getStyler().setYAxisMin(0.0);
        styler.setChartBackgroundColor(java.awt.Color.WHITE);
        Map<String, List<Row>> byClient = new LinkedHashMap<>();
        for (Row r : rs) {
            // wrk without pipelining is wrk's depth-1 point
            String key = r.client().equals("wrk (no pipelining)") ? "wrk (pipelined)" : r.client();
            byClient.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        int maxDepth = rs.stream().mapToInt(Row::depth).max().orElse(128);
        for (var e : byClient.entrySet()) {
            List<Row> points = e.getValue();
            String name = shortName(e.getKey());
            if (points.size() == 1) {
                // a sequential client: one point at depth 1, drawn as a flat dashed line for comparison
                double y = points.getFirst().median();
                XYSeries s = chart.addSeries(name + " (depth 1)", new double[] {1, maxDepth}, new double[] {y, y});
                s.setMarker(SeriesMarkers.NONE);
                s.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            } else {
                double[] xs = points.stream().mapToDouble(Row::depth).toArray();
                double[] ys = points.stream().mapToDouble(Row::median).toArray();
                XYSeries s = chart.addSeries(name, xs, ys);
                s.setMarker(SeriesMarkers.CIRCLE);
                s.setLineStyle(new BasicStroke(2.5f));
            }
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static String shortName(String client) {
        return client.replace(" (sender+reader threads)", "").replace(", pipelined (MinimalHttpAsyncClient)", " pipelined")
                .replace(" (sequential)", "").replace(" (1 conn)", "").replace("wrk (pipelined)", "wrk pipelined")
                .replace("wrk (no pipelining)", "wrk no pipelining").replace("wrk pipelined", "wrk (depth 1: no pipelining)");
    }

    /** Replaces the README's table between the markers with the latest summary. */
    void updateReadme(Path readme) throws IOException {
        if (!Files.exists(readme)) return;
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int s = text.indexOf(README_START);
        int e = text.indexOf(README_END);
        if (s < 0 || e < s) return;
        String summary = "\n_" + Bench.now() + ", " + machine() + "; `" + command + "`; full results in"
                + " [benchmarks/RESULTS.md](benchmarks/RESULTS.md)._\n\n"
                + targets().replace("## Targets (workload a unless noted)\n\n", "")
                + throughputTable("a", "(a)").replace("## (a)\n\n", "")
                + latencyTable().replaceFirst("## [^\n]*\n\n", "");
        Files.writeString(readme, text.substring(0, s + README_START.length()) + "\n" + summary + text.substring(e),
                StandardCharsets.UTF_8);
    }

    static String machine() {
        String cpu = "?";
        long memKb = 0;
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
            memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0L);
        } catch (IOException ignored) {
            // informative only
        }
        return String.format(Locale.ROOT, "%s, %d cores, %.0f GiB, Linux %s", cpu, Runtime.getRuntime().availableProcessors(),
                memKb / 1048576.0, System.getProperty("os.version"));
    }

    static String nginxVersion() {
        try {
            Process p = new ProcessBuilder("nginx", "-v").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            return out.replace("nginx version: ", "");
        } catch (IOException | InterruptedException e) {
            return "nginx ?";
        }
    }
}
