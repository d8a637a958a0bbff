package org.leverplus.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.leverplus.cli.Stages;
import org.leverplus.vlm.engine.VlmRun;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark harness (not a test): {@code vlm score} or {@code vlm generate} over one request file (a) on one machine
 * in-process, (b) through the Spark runner in local[1] in the same JVM (Spark's overhead), (c) in local-cluster mode
 * with 1 and 2 executor JVMs of one core each (scaling). The four run in turn, round after round (so a slow spell of
 * a shared machine hits all of them), and every run's output is checked to be byte-identical to (a). Executors get
 * the environment {@code bin/lever} sets (one OpenMP thread; glibc: one arena, no mmap for blocks, 256 MiB trim
 * threshold).
 * Run: see benchmarks/RESULTS.md, "Spark runner".
 *
 * <p>Arguments: SNAPSHOT REQUESTS OUTDIR [CHUNK=64] [ROUNDS=2] [score|generate] [all|overhead] ({@code overhead}: only
 * (a) and (b), alternating, for a tighter overhead figure in the same time)
 */
public final class SparkScalingBench {
    public static void main(String[] a) throws Exception {
        Path snapshot = Path.of(a[0]), requests = Path.of(a[1]), dir = Path.of(a[2]);
        String chunk = a.length > 3 ? a[3] : "64";
        int rounds = a.length > 4 ? Integer.parseInt(a[4]) : 2;
        String mode = a.length > 5 ? a[5] : "score";
        if (!mode.equals("score") && !mode.equals("generate")) throw new IllegalArgumentException("mode must be score or generate: " + mode);
        boolean clusters = a.length <= 6 || !a[6].equals("overhead");
        Files.createDirectories(dir);
        Path ref = dir.resolve("one.jsonl");
        String[] flags = {"--snapshot", snapshot.toString(), "--requests", requests.toString(), "--out", ref.toString(),
                "--chunk", chunk, "--overwrite"};
        Stages.Vlm s = Stages.vlm("vlm " + mode, flags);
        runOne(mode, s, ref); // warm-up (class loading, native libraries)
        byte[] want = Files.readAllBytes(ref);
        Map<String, List<Double>> times = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            runOne(mode, s, ref);
            add(times, "one machine, in-process", (System.nanoTime() - t0) / 1e9);
            if (!Arrays.equals(want, Files.readAllBytes(ref))) throw new AssertionError("the one-machine output changed between runs");
            add(times, "spark local[1], same JVM", time(new SparkConf().setMaster("local[1]"), mode, snapshot, requests, dir.resolve("local.jsonl"), chunk, want));
            for (int executors : clusters ? new int[]{1, 2} : new int[0]) {
                SparkConf c = new SparkConf().setMaster("local-cluster[" + executors + ",1,3072]")
                        .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                        .set("spark.executorEnv.OMP_NUM_THREADS", "1")
                        .set("spark.executorEnv.MALLOC_ARENA_MAX", "1")
                        .set("spark.executorEnv.MALLOC_MMAP_MAX_", "0")
                        .set("spark.executorEnv.MALLOC_TRIM_THRESHOLD_", "268435456")
                        .set("spark.executor.extraJavaOptions", "--enable-native-access=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED");
                add(times, "spark local-cluster, " + executors + " executor JVM(s) x 1 core", time(c, mode, snapshot, requests, dir.resolve("cluster" + executors + ".jsonl"), chunk, want));
            }
            System.out.printf("round %d done: %s%n", r + 1, times);
        }
        double one = median(times.get("one machine, in-process"));
        for (Map.Entry<String, List<Double>> e : times.entrySet()) {
            double m = median(e.getValue());
            System.out.printf("%-50s median %.2f s (%.2fx one machine) runs %s%n", e.getKey(), m, m / one, e.getValue());
        }
        System.out.printf("overhead local[1] vs one machine: %.1f %%%n", 100 * (median(times.get("spark local[1], same JVM")) / one - 1));
        if (clusters) System.out.printf("scaling 2 vs 1 executors: %.2fx%n", median(times.get("spark local-cluster, 1 executor JVM(s) x 1 core"))
                / median(times.get("spark local-cluster, 2 executor JVM(s) x 1 core")));
    }

    private static void runOne(String mode, Stages.Vlm s, Path out) throws Exception {
        if (mode.equals("score")) VlmRun.score(s.snapshot(), s.requests(), out, s.settings(), null);
        else VlmRun.generate(s.snapshot(), s.requests(), out, s.settings(), s.generation(), null);
    }

    private static void add(Map<String, List<Double>> m, String k, double v) {
        m.computeIfAbsent(k, x -> new ArrayList<>()).add(Math.round(v * 100) / 100.0);
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** One distributed run (model loads in executors included; the executors themselves are started before). */
    static double time(SparkConf conf, String mode, Path snapshot, Path requests, Path out, String chunk, byte[] want) throws Exception {
        conf.setAppName("lever-bench").set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1");
        String[] argv = {"vlm", mode, "--snapshot", snapshot.toString(), "--requests", requests.toString(), "--out",
                out.toString(), "--chunk", chunk, "--overwrite"};
        double t;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            // executors of local-cluster start lazily: a tiny job first, so the timing covers the work
            sc.parallelize(Arrays.asList(1, 2), 2).count();
            long t0 = System.nanoTime();
            LeverSpark.run(sc, argv, null);
            t = (System.nanoTime() - t0) / 1e9;
        }
        if (!Arrays.equals(want, Files.readAllBytes(out))) throw new AssertionError(out + " differs from the one-machine output");
        return t;
    }
}
