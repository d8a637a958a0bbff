package org.leverplus.eval;

import org.leverplus.data.Embeddings;
import org.leverplus.selector.IcdSelector;

import java.util.HashSet;
import java.util.Set;

/**
 * The ICD sources of spec 12.3-12.4 for the first {@code n} validation questions (rows 0..n-1 of the validation
 * feature files). Each returns, per question, training-split global ids in prompt order (left-most first).
 */
public final class Retrievers {
    private Retrievers() {}

    /**
     * MMTopK ({@code open_mmicl} {@code MMTopkRetriever}, {@code reversed_order=true}): the {@code shots} training items
     * whose index-side features are most similar to the question's test-side features, most similar LAST (next to the
     * query). i2i = (val image, train image), i2t = (val image, train text), t2t = (val text, train text).
     */
    public static int[][] mmTopK(Embeddings testFeatures, CosineIndex index, int n, int shots) {
        checkRows("test-side features", testFeatures, n);
        int[][] out = index.topKAll(testFeatures, n, shots);
        for (int q = 0; q < n; q++) out[q] = reversed(out[q]);
        return out;
    }

    /**
     * The mix sampler's proportions applied to the shots (spec 3.5: {@code int(0.5k)} random, {@code int(0.25k)} text,
     * the remainder image), concatenated random + image + text as the sampler does. Random ids come from a NumPy
     * stream seeded with {@code seed} before each shot count ({@code choice(nTrain, int(0.5k), replace=False)} per
     * question, skipped when that count is 0); each similarity part is placed most-similar-last, as MMTopK does.
     * Unlike the original sampler, duplicates are not allowed: a similarity part skips ids already chosen and takes
     * the next most similar item. Similarities come from the batched search ({@link CosineIndex#topKAll}).
     */
    public static int[][] mix(Embeddings valImage, CosineIndex trainImage, Embeddings valText, CosineIndex trainText,
                              int n, int shots, long seed) {
        checkRows("validation image features", valImage, n);
        checkRows("validation text features", valText, n);
        int nRand = (int) (0.5 * shots), nText = (int) (0.25 * shots), nImg = shots - nRand - nText;
        if (shots > trainImage.size()) throw new IllegalArgumentException("mix: " + shots + " shots from " + trainImage.size() + " training items");
        NumpyRandomState rs = new NumpyRandomState(seed);
        // the top (part + already taken) neighbours always contain the part's best items that are not taken yet
        int[][] imgNear = trainImage.topKAll(valImage, n, Math.min(trainImage.size(), nImg + nRand));
        int[][] txtNear = nText > 0 ? trainText.topKAll(valText, n, Math.min(trainText.size(), shots)) : null;
        int[][] out = new int[n][];
        for (int q = 0; q < n; q++) {
            int[] rand = nRand > 0 ? rs.choiceWithoutReplacement(trainImage.size(), nRand) : new int[0];
            Set<Integer> taken = new HashSet<>();
            for (int r : rand) taken.add(r);
            int[] img = reversed(firstNotTaken(imgNear[q], nImg, taken));
            for (int r : img) taken.add(r);
            int[] txt = nText > 0 ? reversed(firstNotTaken(txtNear[q], nText, taken)) : new int[0];
            int[] all = new int[shots];
            System.arraycopy(rand, 0, all, 0, rand.length);
            System.arraycopy(img, 0, all, rand.length, img.length);
            System.arraycopy(txt, 0, all, rand.length + img.length, txt.length);
            out[q] = all;
        }
        return out;
    }

    private static int[] firstNotTaken(int[] ranked, int k, Set<Integer> taken) {
        int[] out = new int[k];
        int m = 0;
        for (int id : ranked) if (m < k && !taken.contains(id)) out[m++] = id;
        if (m < k) throw new IllegalStateException("mix: only " + m + " of " + k + " similar items left after removing " + taken.size() + " chosen ones");
        return out;
    }

    /** How the selector's candidate pool is built for each question. */
    public record PoolSpec(Kind kind, int size) {
        public enum Kind {
            /** the {@code size} training items most similar to the question by cosine of the selector embeddings */
            TOP_K,
            /** the first {@code size} training items for every question (the original's pool, spec 12.3) */
            FIRST_K
        }

        public PoolSpec {
            if (size < 1) throw new IllegalArgumentException("pool size must be >= 1, got " + size);
        }

        public static PoolSpec parse(String s) {
            String[] p = s.trim().split("[\\s:]+");
            try {
                if (p.length == 2 && p[0].equals("top-k")) return new PoolSpec(Kind.TOP_K, Integer.parseInt(p[1]));
                if (p.length == 2 && p[0].equals("first-k")) return new PoolSpec(Kind.FIRST_K, Integer.parseInt(p[1]));
            } catch (NumberFormatException e) {
                // fall through
            }
            throw new IllegalArgumentException("pool \"" + s + "\": expected \"top-k N\" or \"first-k N\"");
        }

        @Override public String toString() { return (kind == Kind.TOP_K ? "top-k " : "first-k ") + size; }
    }

    /** Each question's candidate pool (training global ids; for top-k, most similar first). */
    public static int[][] pools(PoolSpec spec, Embeddings selectorVal, CosineIndex selectorTrain, int n) {
        checkRows("validation selector embeddings", selectorVal, n);
        if (spec.size() > selectorTrain.size())
            throw new IllegalArgumentException("pool of " + spec.size() + " from a training split of " + selectorTrain.size() + " items");
        if (spec.kind() == PoolSpec.Kind.TOP_K) return selectorTrain.topKAll(selectorVal, n, spec.size());
        int[][] out = new int[n][];
        for (int q = 0; q < n; q++) {
            out[q] = new int[spec.size()];
            for (int i = 0; i < spec.size(); i++) out[q][i] = i;
        }
        return out;
    }

    /** The selector's greedy picks (distinct) from each question's pool, as training-split global ids in prompt order. */
    public static int[][] selector(IcdSelector selector, Embeddings selectorVal, Embeddings selectorTrain, int[][] pools, int shots) {
        int[][] out = new int[pools.length][];
        for (int q = 0; q < pools.length; q++) {
            int[] pool = pools[q];
            if (shots > pool.length)
                throw new IllegalArgumentException("selector: " + shots + " shots from a pool of " + pool.length + " candidates (question row " + q + ")");
            float[][] pe = new float[pool.length][];
            for (int i = 0; i < pool.length; i++) pe[i] = selectorTrain.row(pool[i]);
            int[] pos = selector.select(selectorVal.row(q), pe, shots);
            out[q] = new int[pos.length];
            for (int i = 0; i < pos.length; i++) out[q][i] = pool[pos[i]];
        }
        return out;
    }

    static int[] reversed(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
        return r;
    }

    private static void checkRows(String what, Embeddings e, int n) {
        if (e.rows() < n) throw new IllegalArgumentException(what + ": " + e.rows() + " rows but " + n + " validation questions are evaluated");
    }
}
