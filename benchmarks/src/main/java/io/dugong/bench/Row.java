package io.dugong.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One measured line: a client (at a pipeline depth) on a workload. Children print rows as
 * {@code RESULT} lines on stdout; the orchestrator parses them back.
 *
 * @param rps   requests per second of each measured run (empty for heap-only rows)
 * @param p50us median latency in microseconds, or NaN
 * @param p99us 99th percentile latency in microseconds, or NaN
 * @param extra further measurements (heap, connections), in order
 */
record Row(String workload, String client, int depth, double[] rps, double p50us, double p99us,
           Map<String, String> extra) {

    static final String PREFIX = "RESULT\t";
    /** The {@link #extra} key of the median client CPU time per request, in microseconds. */
    static final String CPU = "cpuUsPerRequest";
    /** The {@link #extra} key of the median heap bytes allocated per request (whole process, body included). */
    static final String ALLOC = "allocBytesPerRequest";

    /** Median heap bytes the client process allocated per request, or NaN where not measured. */
    double allocBytes() {
        String v = extra.get(ALLOC);
        return v == null ? Double.NaN : Double.parseDouble(v);
    }

    /** Median client CPU µs per request, or NaN where not measured. */
    double cpuUs() {
        String v = extra.get(CPU);
        return v == null ? Double.NaN : Double.parseDouble(v);
    }

    double median() {
        if (rps.length == 0) return Double.NaN;
        double[] s = rps.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    double min() {
        return Arrays.stream(rps).min().orElse(Double.NaN);
    }

    double max() {
        return Arrays.stream(rps).max().orElse(Double.NaN);
    }

    String line() {
        return PREFIX + workload + "\t" + client + "\t" + depth + "\t"
                + Arrays.stream(rps).mapToObj(d -> String.format("%.1f", d)).collect(Collectors.joining(",")) + "\t"
                + p50us + "\t" + p99us + "\t"
                + extra.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(";"));
    }

    static Row parse(String line) {
        String[] f = line.substring(PREFIX.length()).split("\t", -1);
        double[] rps = f[3].isEmpty() ? new double[0] : Arrays.stream(f[3].split(",")).mapToDouble(Double::parseDouble).toArray();
        Map<String, String> extra = new LinkedHashMap<>();
        if (!f[6].isEmpty()) {
            for (String kv : f[6].split(";")) {
                int i = kv.indexOf('=');
                extra.put(kv.substring(0, i), kv.substring(i + 1));
            }
        }
        return new Row(f[0], f[1], Integer.parseInt(f[2]), rps, Double.parseDouble(f[4]), Double.parseDouble(f[5]), extra);
    }
}
