package org.leverplus.sampler;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.torch.TensorScope;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.IntStream;

/**
 * Lever-Plus's {@code TextSimSampler} / {@code ImgSimSampler} (spec 3.4) made exact and deterministic: for every anchor,
 * the k training rows with the largest inner product of L2-normalised features, ordered by decreasing similarity,
 * ties broken by the lower id. The original asks faiss {@code IndexFlatIP} for the top k+1 and drops rank 0, assuming it
 * is the anchor; that is wrong when another row ties with or beats the anchor (duplicate questions or images). By default
 * Lever drops the anchor by id instead ({@link AnchorRule#DROP_BY_ID}); {@link AnchorRule#DROP_RANK_0} reproduces the original.
 *
 * <p>Features are scanned in chunks of rows (float32 matrix products in LibTorch, on the CPU), so memory stays at one
 * chunk of features plus one block of scores, whatever N is.
 */
public final class SimilaritySampler {
    private SimilaritySampler() {}

    /** How the anchor itself is removed from its own pool. */
    public enum AnchorRule {
        /** Exclude the anchor's own id, keep the best k of the rest (Lever's default). */
        DROP_BY_ID,
        /** Take the top k+1 and drop the first, whatever id it has (the original's faiss code). */
        DROP_RANK_0
    }

    /** Rows per chunk of the scan (about 12 MB of 768-d features). */
    public static final int DEFAULT_CHUNK_ROWS = 4096;

    /** Top-k pools for {@code anchors} over the feature file's rows. */
    public static int[][] pools(Path features, int[] anchors, int k, AnchorRule rule) throws IOException {
        return pools(features, anchors, k, rule, DEFAULT_CHUNK_ROWS);
    }

    public static int[][] pools(Path features, int[] anchors, int k, AnchorRule rule, int chunkRows) throws IOException {
        try (FeatureRows f = new FeatureRows(features)) {
            int keep = k + 1;   // both rules look at the top k+1 (with DROP_BY_ID the anchor may or may not be among them)
            if (keep > f.rows)
                throw new IllegalArgumentException(features + ": " + k + " candidates need at least " + keep + " rows but there are " + f.rows);
            int d = f.dim;
            float[] a = new float[anchors.length * d];
            for (int i = 0; i < anchors.length; i++) {
                if (anchors[i] < 0 || anchors[i] >= f.rows)
                    throw new IllegalArgumentException(features + ": anchor " + anchors[i] + " outside the feature rows [0, " + f.rows + ")");
                System.arraycopy(f.row(anchors[i]), 0, a, i * d, d);
            }
            normalizeRows(a, anchors.length, d, features, anchors);
            TopK[] heaps = new TopK[anchors.length];
            for (int i = 0; i < heaps.length; i++) heaps[i] = new TopK(keep);
            int chunk = Math.max(1, Math.min(chunkRows, f.rows));
            float[] rows = new float[chunk * d];
            float[] scores = new float[anchors.length * chunk];
            try (TensorScope outer = TensorScope.open()) {
                Tensor at = fromFloats(a, anchors.length, d);
                for (int first = 0; first < f.rows; first += chunk) {
                    int n = Math.min(chunk, f.rows - first);
                    f.read(first, n, rows);
                    normalizeRows(rows, n, d, features, null, first);
                    try (TensorScope s = TensorScope.open()) {
                        Tensor rt = fromFloats(rows, n, d);
                        Tensor sc = torch.mm(at, rt.t()).contiguous();   // [A, n]
                        new FloatPointer(sc.data_ptr()).capacity((long) anchors.length * n).get(scores, 0, anchors.length * n);
                    }
                    final int base = first, cols = n;
                    IntStream.range(0, anchors.length).parallel().forEach(i -> heaps[i].offer(scores, i * cols, cols, base));
                }
            }
            int[][] out = new int[anchors.length][];
            for (int i = 0; i < anchors.length; i++) {
                int[] ranked = heaps[i].sortedIds();
                out[i] = rule == AnchorRule.DROP_RANK_0 ? java.util.Arrays.copyOfRange(ranked, 1, keep) : dropId(ranked, anchors[i], k);
            }
            return out;
        }
    }

    private static int[] dropId(int[] ranked, int id, int k) {
        int[] out = new int[k];
        int j = 0;
        for (int r : ranked) if (r != id && j < k) out[j++] = r;
        return out;
    }

    private static Tensor fromFloats(float[] v, int rows, int cols) {
        FloatPointer p = new FloatPointer(v);   // freed with the enclosing scope; the clone owns its own copy
        return torch.from_blob(p, new long[]{rows, cols}, new TensorOptions(torch.ScalarType.Float)).clone();
    }

    private static void normalizeRows(float[] v, int rows, int d, Path file, int[] ids) {
        normalizeRows(v, rows, d, file, ids, 0);
    }

    /** x / max(||x||, 1e-12) per row, as F.normalize; a non-finite value is an error naming the row. */
    static void normalizeRows(float[] v, int rows, int d, Path file, int[] ids, int firstId) {
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            int o = r * d;
            for (int j = 0; j < d; j++) ss += (double) v[o + j] * v[o + j];
            if (!Double.isFinite(ss))
                throw new IllegalArgumentException(file + ": row " + (ids != null ? ids[r] : firstId + r) + " holds a NaN or infinite value");
            float norm = (float) Math.max(Math.sqrt(ss), 1e-12);
            for (int j = 0; j < d; j++) v[o + j] /= norm;
        }
    }

    /**
     * The best {@code size} (score, id) pairs seen, by score descending then id ascending. Rows arrive in increasing id
     * order, so a newcomer that only ties the current worst never displaces it (it has the larger id).
     */
    static final class TopK {
        private final float[] score;
        private final int[] id;
        private int count;

        TopK(int size) {
            score = new float[size];
            id = new int[size];
        }

        /** Offers scores[off .. off+n) for ids base .. base+n. */
        void offer(float[] scores, int off, int n, int base) {
            int size = score.length;
            for (int c = 0; c < n; c++) {
                float s = scores[off + c];
                if (count == size && !(s > score[size - 1])) continue;
                if (s != s) continue;   // NaN is never a neighbour (inputs are checked; this guards the invariant)
                int pos = count < size ? count++ : size - 1;
                // insertion into the sorted array: move worse entries down
                while (pos > 0 && s > score[pos - 1]) {
                    score[pos] = score[pos - 1];
                    id[pos] = id[pos - 1];
                    pos--;
                }
                score[pos] = s;
                id[pos] = base + c;
            }
        }

        int[] sortedIds() {
            return java.util.Arrays.copyOf(id, count);
        }
    }
}
