package org.leverplus.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.leverplus.cli.Stages;
import org.leverplus.vlm.engine.VlmRun;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Benchmark harness (not a test): {@code vlm score} over one request file (a) on one machine in-process, (b) through
 * the Spark runner in local[1] in the same JVM (Spark's overhead), (c) in local-cluster mode with 1 and 2 executor
 * JVMs of one core each (scaling). Every run's output is checked to be byte-identical to (a).
 * Run: see benchmarks/results/spark.md.
 */
public final class SparkScalingBench {
    public static void main(String[] a) throws Exception {
        Path snapshot = Path.of(a[0]), requests = Path.of(a[1]), dir = Path.of(a[2]);
        String chunk = a.length > 3 ? a[3] : "64";
        int reps = a.length > 4 ? Integer.parseInt(a[4]) : 2;
        Files.createDirectories(dir);
        Path ref = dir.resolve("one.jsonl");
        String[] flags = {"--snapshot", snapshot.toString(), "--requests", requests.toString(), "--out", ref.toString(),
                "--chunk", chunk, "--overwrite"};
        Stages.Vlm s = Stages.vlm("vlm score", flags);
        VlmRun.score(s.snapshot(), s.requests(), ref, s.settings(), null); // warm-up (class loading, native libraries)
        double one = Double.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            VlmRun.score(s.snapshot(), s.requests(), ref, s.settings(), null);
            one = Math.min(one, (System.nanoTime() - t0) / 1e9);
        }
        byte[] want = Files.readAllBytes(ref);
        System.out.printf("one machine, in-process: %.2f s (best of %d)%n", one, reps);
        double local = time(new SparkConf().setMaster("local[1]"), snapshot, requests, dir.resolve("local.jsonl"), chunk, want, reps);
        System.out.printf("spark local[1], same JVM: %.2f s (best of %d) = %.1f %% overhead%n", local, reps, 100 * (local / one - 1));
        for (int executors : new int[]{1, 2}) {
            SparkConf c = new SparkConf().setMaster("local-cluster[" + executors + ",1,3072]")
                    .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                    .set("spark.executorEnv.OMP_NUM_THREADS", "1")
                    .set("spark.executor.extraJavaOptions", "--enable-native-access=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED");
            double t = time(c, snapshot, requests, dir.resolve("cluster" + executors + ".jsonl"), chunk, want, reps);
            System.out.printf("spark local-cluster, %d executor JVM(s) x 1 core: %.2f s (best of %d, model loads included)%n", executors, t, reps);
        }
    }

    static double time(SparkConf conf, Path snapshot, Path requests, Path out, String chunk, byte[] want, int reps) throws Exception {
        conf.setAppName("lever-bench").set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1");
        String[] argv = {"vlm", "score", "--snapshot", snapshot.toString(), "--requests", requests.toString(), "--out",
                out.toString(), "--chunk", chunk, "--overwrite"};
        double best = Double.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                // executors of local-cluster start lazily: a tiny job first, so the timing covers the work
                sc.parallelize(Arrays.asList(1, 2), 2).count();
                long t0 = System.nanoTime();
                LeverSpark.run(sc, argv, null);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            if (!Arrays.equals(want, Files.readAllBytes(out))) throw new AssertionError(out + " differs from the one-machine output");
        }
        return best;
    }
}
