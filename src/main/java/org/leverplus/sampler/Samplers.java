package org.leverplus.sampler;

import org.leverplus.data.Embeddings;
import org.leverplus.eval.CosineIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lever-Plus's samplers (spec: anchor set, RandSampler, Text/ImgSimSampler, MixSimSampler). Pools are keyed by anchor
 * in anchor order; ids are global training ids.
 */
public final class Samplers {
    private Samplers() {}

    /** {@code random.seed(seed); random.sample(range(trainSize), anchors)}: the anchor list in sampling order. */
    public static int[] anchors(int trainSize, int anchors, long seed) {
        if (anchors < 1 || anchors > trainSize)
            throw new IllegalArgumentException("--anchors must be between 1 and the training size (" + trainSize + "), got " + anchors);
        return new PyRandom(seed).sample(trainSize, anchors);
    }

    /**
     * RandSampler: {@code random.seed(seed)}, then per anchor in order {@code random.sample(range(trainSize), k)},
     * drawn again while the anchor is in it.
     */
    public static Map<Integer, int[]> rand(int[] anchors, int trainSize, int k, long seed) {
        if (k < 1 || k > trainSize - 1)
            throw new IllegalArgumentException("--candidates must be between 1 and the training size - 1 (" + (trainSize - 1) + "), got " + k);
        PyRandom r = new PyRandom(seed);
        Map<Integer, int[]> pools = new LinkedHashMap<>();
        for (int a : anchors) {
            int[] c = r.sample(trainSize, k);
            while (contains(c, a)) c = r.sample(trainSize, k);
            pools.put(a, c);
        }
        return pools;
    }

    /**
     * Text/ImgSimSampler: per anchor, the {@code k} training rows of highest cosine similarity to the anchor's row,
     * most similar first, ties to the lower id. The anchor itself is removed by its id; {@code dropRank0} reproduces
     * the original, which drops the first result whatever it is (another row when duplicates tie with the anchor).
     */
    public static Map<Integer, int[]> similar(int[] anchors, Embeddings features, int k, boolean dropRank0) {
        int[][] ranked = ranked(anchors, features, k + 1);
        Map<Integer, int[]> pools = new LinkedHashMap<>();
        for (int i = 0; i < anchors.length; i++) {
            int[] r = ranked[i];
            int[] c = new int[k];
            if (dropRank0) {
                System.arraycopy(r, 1, c, 0, k);
            } else {
                int n = 0;
                for (int id : r) if (id != anchors[i] && n < k) c[n++] = id;
            }
            pools.put(anchors[i], c);
        }
        return pools;
    }

    /** The {@code depth} most similar training rows of each anchor (including itself), most similar first. */
    static int[][] ranked(int[] anchors, Embeddings features, int depth) {
        if (depth > features.rows()) throw new IllegalArgumentException("--candidates " + (depth - 1) + " needs at least " + depth + " feature rows, found " + features.rows());
        float[] q = new float[anchors.length * features.dim()];
        for (int i = 0; i < anchors.length; i++) {
            if (anchors[i] >= features.rows())
                throw new IllegalArgumentException("anchor " + anchors[i] + " has no feature row (the features have " + features.rows() + " rows)");
            System.arraycopy(features.row(anchors[i]), 0, q, i * features.dim(), features.dim());
        }
        return new CosineIndex(features).topKAll(Embeddings.of(anchors.length, features.dim(), q), anchors.length, depth);
    }

    /**
     * MixSimSampler: {@code int(0.5 k)} random (RandSampler with that count, same seed) + {@code int(0.25 k)} by image
     * + the rest by text, concatenated in that order (rand, img, text). By default an id already in the pool is
     * skipped and the part takes its next-ranked id, so every pool has {@code k} distinct ids; {@code keepDuplicates}
     * reproduces the original, whose pools can hold an id twice (and shrink when read into a dict).
     */
    public static Map<Integer, int[]> mix(int[] anchors, int trainSize, int k, long seed, Embeddings image, Embeddings text,
                                          boolean keepDuplicates, boolean dropRank0) {
        int nRand = (int) (0.5 * k), nText = (int) (0.25 * k), nImg = k - nRand - nText;
        if (image.rows() != text.rows()) throw new IllegalArgumentException("image features have " + image.rows() + " rows but text features " + text.rows());
        Map<Integer, int[]> rand = nRand > 0 ? rand(anchors, trainSize, nRand, seed) : null;
        if (keepDuplicates) {
            Map<Integer, int[]> img = similar(anchors, image, nImg, dropRank0), txt = similar(anchors, text, nText, dropRank0);
            Map<Integer, int[]> pools = new LinkedHashMap<>();
            for (int a : anchors) {
                int[] c = new int[k];
                int n = 0;
                if (rand != null) for (int id : rand.get(a)) c[n++] = id;
                for (int id : img.get(a)) c[n++] = id;
                for (int id : txt.get(a)) c[n++] = id;
                pools.put(a, c);
            }
            return pools;
        }
        int depth = Math.min(image.rows(), k + 1);
        int[][] ri = ranked(anchors, image, depth), rt = ranked(anchors, text, depth);
        Map<Integer, int[]> pools = new LinkedHashMap<>();
        for (int i = 0; i < anchors.length; i++) {
            int a = anchors[i];
            Set<Integer> pool = new LinkedHashSet<>();
            if (rand != null) for (int id : rand.get(a)) pool.add(id);
            take(pool, ri[i], a, nImg, dropRank0);
            take(pool, rt[i], a, nText, dropRank0);
            if (pool.size() < k) throw new IllegalStateException("anchor " + a + ": only " + pool.size() + " distinct candidates for a pool of " + k);
            pools.put(a, pool.stream().mapToInt(Integer::intValue).toArray());
        }
        return pools;
    }

    /** Adds the next {@code n} ids of {@code ranked} that are neither the anchor nor already in the pool. */
    private static void take(Set<Integer> pool, int[] ranked, int anchor, int n, boolean dropRank0) {
        int added = 0;
        for (int r = dropRank0 ? 1 : 0; r < ranked.length && added < n; r++) {
            int id = ranked[r];
            if ((!dropRank0 && id == anchor) || pool.contains(id)) continue;
            pool.add(id);
            added++;
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }

    /** The anchors' ids as a list (for JSON). */
    static List<Integer> list(int[] a) {
        List<Integer> l = new ArrayList<>(a.length);
        for (int x : a) l.add(x);
        return l;
    }
}
