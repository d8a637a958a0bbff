package org.leverplus.sampler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.Embeddings;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/** Similarity top-k and the mix against brute force in double precision. */
class SimilarityAndMixTest {
    /** Brute force: normalise in double, score every row, sort by (score desc, id asc). */
    static int[] bruteRanked(float[] f, int n, int d, int anchor) {
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            double ss = 0;
            for (int j = 0; j < d; j++) ss += (double) f[i * d + j] * f[i * d + j];
            double norm = Math.max(Math.sqrt(ss), 1e-12);
            for (int j = 0; j < d; j++) x[i][j] = f[i * d + j] / norm;
        }
        double[] s = new double[n];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) s[i] += x[anchor][j] * x[i][j];
        return IntStream.range(0, n).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -s[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    static Path write(Path dir, String name, float[] f, int n, int d) throws Exception {
        Path p = dir.resolve(name);
        Embeddings.of(n, d, f).writeSafetensors(p, Map.of(), false);
        return p;
    }

    @Test void topKMatchesBruteForceOnRandomFeaturesAcrossChunkSizes(@TempDir Path dir) throws Exception {
        int n = 301, d = 24, k = 10;
        Random r = new Random(7);
        float[] f = new float[n * d];
        for (int i = 0; i < f.length; i++) f[i] = (float) r.nextGaussian() * (1 + i % 3);
        Path p = write(dir, "f.safetensors", f, n, d);
        int[] anchors = {5, 0, 300, 17, 123};
        for (int chunk : new int[]{7, 64, 4096}) {
            int[][] got = SimilaritySampler.pools(p, anchors, k, SimilaritySampler.AnchorRule.DROP_BY_ID, chunk);
            for (int a = 0; a < anchors.length; a++) {
                int[] ranked = bruteRanked(f, n, d, anchors[a]);
                int anchor = anchors[a];
                int[] want = Arrays.stream(ranked).filter(i -> i != anchor).limit(k).toArray();
                assertArrayEquals(want, got[a], "anchor " + anchors[a] + " chunk " + chunk);
            }
        }
    }

    /** Entries in {-1, 0, 1} with four non-zeros per row: normalised values are ±0.5, every score is exact, ties abound. */
    static float[] tiedFeatures(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] f = new float[n * d];
        for (int i = 0; i < n; i++) {
            int[] cols = IntStream.range(0, d).boxed().sorted(Comparator.comparingInt(c -> r.nextInt())).limit(4).mapToInt(Integer::intValue).toArray();
            for (int c : cols) f[i * d + c] = r.nextBoolean() ? 1 : -1;
        }
        return f;
    }

    @Test void exactTiesGoToTheLowerIdAndTheAnchorIsDroppedById(@TempDir Path dir) throws Exception {
        int n = 200, d = 8, k = 12;
        float[] f = tiedFeatures(n, d, 3);
        // row 150 duplicates row 40: for anchor 150 the first rank is 40 (same score 1.0, lower id)
        System.arraycopy(f, 40 * d, f, 150 * d, d);
        Path p = write(dir, "tied.safetensors", f, n, d);
        int[] anchors = {150, 40, 3, 199};
        int[][] byId = SimilaritySampler.pools(p, anchors, k, SimilaritySampler.AnchorRule.DROP_BY_ID, 9);
        int[][] rank0 = SimilaritySampler.pools(p, anchors, k, SimilaritySampler.AnchorRule.DROP_RANK_0, 9);
        for (int a = 0; a < anchors.length; a++) {
            int[] ranked = bruteRanked(f, n, d, anchors[a]);
            int anchor = anchors[a];
            assertArrayEquals(Arrays.stream(ranked).filter(i -> i != anchor).limit(k).toArray(), byId[a]);
            assertArrayEquals(Arrays.copyOfRange(ranked, 1, k + 1), rank0[a]);
            assertFalse(RandSampler.contains(byId[a], anchor));
        }
        // the original's rule keeps anchor 150 in its own pool (its duplicate 40 took rank 0)
        assertEquals(40, bruteRanked(f, n, d, 150)[0]);
        assertTrue(RandSampler.contains(rank0[0], 150));
    }

    @Test void nonFiniteFeaturesAndBadAnchorsAreErrorsNamingTheRow(@TempDir Path dir) throws Exception {
        float[] f = new float[20 * 4];
        Arrays.fill(f, 1f);
        f[13 * 4 + 2] = Float.NaN;
        Path p = write(dir, "nan.safetensors", f, 20, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SimilaritySampler.pools(p, new int[]{0}, 3, SimilaritySampler.AnchorRule.DROP_BY_ID));
        assertTrue(e.getMessage().contains("row 13"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SimilaritySampler.pools(p, new int[]{20}, 3, SimilaritySampler.AnchorRule.DROP_BY_ID));
        assertTrue(e.getMessage().contains("anchor 20"), e.getMessage());
    }

    @Test void mixIsRandThenImageThenTextAndRefillsDuplicatesByDefault(@TempDir Path dir) throws Exception {
        int n = 120, d = 8, k = 16;                 // split 8 + 4 + 4
        assertArrayEquals(new int[]{32, 16, 16}, MixSampler.split(64));
        assertArrayEquals(new int[]{8, 4, 4}, MixSampler.split(k));
        float[] img = tiedFeatures(n, d, 11), txt = tiedFeatures(n, d, 12);
        System.arraycopy(img, 0, txt, 0, img.length / 2);   // the text features share rows with the image ones: many cross-part duplicates
        Path pi = write(dir, "img.safetensors", img, n, d), pt = write(dir, "txt.safetensors", txt, n, d);
        int[] anchors = RandSampler.anchors(n, 30, 42);
        int[][] rand = RandSampler.pools(anchors, n, 8, 42).pools();
        int[][] ir = SimilaritySampler.pools(pi, anchors, k, SimilaritySampler.AnchorRule.DROP_BY_ID);
        int[][] tr = SimilaritySampler.pools(pt, anchors, k, SimilaritySampler.AnchorRule.DROP_BY_ID);
        int[][] dedup = MixSampler.pools(k, rand, ir, tr, false);
        int[][] keep = MixSampler.pools(k, rand, ir, tr, true);
        int shrunk = 0;
        for (int a = 0; a < anchors.length; a++) {
            // original: plain concatenation of rand(8) + img top 4 + text top 4
            int[] want = IntStream.concat(IntStream.concat(Arrays.stream(rand[a]), Arrays.stream(ir[a], 0, 4)), Arrays.stream(tr[a], 0, 4)).toArray();
            assertArrayEquals(want, keep[a]);
            if (Arrays.stream(keep[a]).distinct().count() < k) shrunk++;
            // default: k distinct ids, rand part first and unchanged, then brute-force refill in rank order
            assertEquals(k, new HashSet<>(Arrays.stream(dedup[a]).boxed().toList()).size());
            assertArrayEquals(rand[a], Arrays.copyOf(dedup[a], 8));
            var seen = new java.util.LinkedHashSet<Integer>();
            for (int x : rand[a]) seen.add(x);
            int[] ranked = bruteRanked(img, n, d, anchors[a]);
            int anchor = anchors[a];
            Arrays.stream(ranked).filter(i -> i != anchor && !seen.contains(i)).limit(4).forEach(seen::add);
            ranked = bruteRanked(txt, n, d, anchors[a]);
            Arrays.stream(ranked).filter(i -> i != anchor && !seen.contains(i)).limit(4).forEach(seen::add);
            assertArrayEquals(seen.stream().mapToInt(Integer::intValue).toArray(), dedup[a]);
        }
        assertTrue(shrunk > 0, "the fixture must contain cross-part duplicates");
    }
}
