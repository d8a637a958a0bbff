package org.leverplus.bench;

import org.leverplus.data.Embeddings;
import org.leverplus.sampler.RandSampler;
import org.leverplus.sampler.SimilaritySampler;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Benchmark harness (not a test) for {@code lever sample --sampler img|text}: writes an N x d float32 feature file of
 * random values once (reused when present), then times {@link SimilaritySampler#pools} for A anchors (the original's
 * anchor set for that N) and top-K, reporting wall time and the process's peak resident memory (VmHWM).
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * mvn -B -q -f benchmarks/pom.xml package exec:exec -Dbench.main="-Xmx1g org.leverplus.bench.SimilarityTopKHarness" \
 *     -Djmh.args="--file /tmp/feat_vqav2.safetensors --rows 443757 --dim 768 --anchors 5000 --k 64"
 * </pre>
 */
public final class SimilarityTopKHarness {
    public static void main(String[] args) throws Exception {
        Path file = Path.of("/tmp/feat_bench.safetensors");
        int rows = 443_757, dim = 768, anchors = 5000, k = 64;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--file" -> file = Path.of(args[++i]);
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--dim" -> dim = Integer.parseInt(args[++i]);
                case "--anchors" -> anchors = Integer.parseInt(args[++i]);
                case "--k" -> k = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!Files.exists(file)) {
            long t0 = System.nanoTime();
            SplittableRandom r = new SplittableRandom(7);
            try (OutputStream s = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                Embeddings.writeHeader(s, rows, dim, Map.of());
                ByteBuffer b = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < rows; i++) {
                    b.clear();
                    for (int j = 0; j < dim; j++) b.putFloat((float) r.nextDouble(-1, 1));
                    s.write(b.array());
                }
            }
            System.out.printf(Locale.ROOT, "wrote %s (%d x %d) in %.1f s%n", file, rows, dim, (System.nanoTime() - t0) / 1e9);
        }
        int[] a = RandSampler.anchors(rows, anchors, 42);
        long t0 = System.nanoTime();
        int[][] pools = SimilaritySampler.pools(file, a, k, SimilaritySampler.AnchorRule.DROP_BY_ID);
        double secs = (System.nanoTime() - t0) / 1e9;
        String hwm = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM")).findFirst().orElse("VmHWM ?");
        System.out.printf(Locale.ROOT, "top-%d for %d anchors over %d x %d: %.1f s; peak RSS %s; first pool starts %d, %d, %d%n",
                k, anchors, rows, dim, secs, hwm.replaceAll("\\s+", " "), pools[0][0], pools[0][1], pools[0][2]);
    }
}
