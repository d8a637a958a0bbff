package org.leverplus.bench;

import org.leverplus.data.RlStats;
import org.leverplus.data.SyntheticRlData;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Benchmark harness (not a test) for {@code lever data stats}: generates an RL data file of Q queries × C candidates
 * (once; reused when present) and times {@link RlStats#of(Path)} — the library call behind the command — reporting
 * wall time per run and the peak heap in use (sum of heap pools' peaks, reset before each run).
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * mvn -B -q -f benchmarks/pom.xml package exec:exec -Dbench.main="-Xmx1g org.leverplus.bench.DataStatsHarness" \
 *     -Djmh.args="--file /tmp/rl_100k.json --format balanced --queries 100000 --candidates 20 --runs 3"
 * </pre>
 */
public final class DataStatsHarness {
    public static void main(String[] args) throws Exception {
        Path file = Path.of("/tmp/rl_bench.json");
        String format = "balanced";
        int queries = 100_000, candidates = 20, runs = 3, pool = 443_757;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--file" -> file = Path.of(args[++i]);
                case "--format" -> format = args[++i];
                case "--queries" -> queries = Integer.parseInt(args[++i]);
                case "--candidates" -> candidates = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--pool" -> pool = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!Files.exists(file)) {
            long t0 = System.nanoTime();
            SyntheticRlData.write(new SyntheticRlData.Spec(SyntheticRlData.Format.valueOf(format.toUpperCase(Locale.ROOT)),
                    queries, candidates, pool, 42), file, false);
            System.out.printf(Locale.ROOT, "generated %s (%d x %d, %s) in %.1f s%n", file, queries, candidates, format,
                    (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf(Locale.ROOT, "file %s, %.1f MiB; max heap %d MiB; %d cores%n", file, Files.size(file) / 1048576.0,
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
        for (int r = 0; r < runs; r++) {
            System.gc();
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
            long t0 = System.nanoTime();
            RlStats s = RlStats.of(file);
            double sec = (System.nanoTime() - t0) / 1e9;
            long peak = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) peak += p.getPeakUsage().getUsed();
            System.out.printf(Locale.ROOT, "run %d: %.2f s, peak heap %.1f MiB, %d queries, %d candidates, positive ratio %.4f%n",
                    r + 1, sec, peak / 1048576.0, s.queries(), s.candidates(), s.positiveRatio());
        }
    }
}
