package org.leverplus.eval;

import org.leverplus.data.Embeddings;

import java.util.Arrays;
import java.util.Set;

/**
 * Exact nearest neighbours by cosine similarity over the rows of an embedding matrix (the training split), the
 * brute-force equivalent of the original's faiss {@code IndexFlatIP} over L2-normalised CLIP features. Rows are
 * normalised here, so features need not be. Ties are broken by the lower id (faiss leaves them unspecified).
 */
public final class CosineIndex {
    private final Embeddings rows;
    private final double[] invNorm;

    public CosineIndex(Embeddings rows) {
        this.rows = rows;
        this.invNorm = new double[rows.rows()];
        float[] r = new float[rows.dim()];
        for (int i = 0; i < rows.rows(); i++) {
            copyRow(rows, i, r);
            double n = Math.sqrt(dot(r, r));
            invNorm[i] = n == 0 ? 0 : 1 / n;
        }
    }

    public int size() { return rows.rows(); }

    public int dim() { return rows.dim(); }

    /**
     * The {@code k} rows most similar to {@code query}, most similar first, skipping {@code exclude}.
     */
    public int[] topK(float[] query, int k, Set<Integer> exclude) {
        if (query.length != rows.dim())
            throw new IllegalArgumentException("cosine index: query has " + query.length + " values but the index rows have " + rows.dim());
        int available = rows.rows() - (exclude == null ? 0 : exclude.size());
        if (k > available) throw new IllegalArgumentException("cosine index: " + k + " neighbours requested from " + available + " rows");
        // a bounded min-heap of (similarity, id), ordered so that the worst kept entry is at the root
        double[] hs = new double[k];
        int[] hi = new int[k];
        int size = 0;
        for (int i = 0; i < rows.rows(); i++) {
            if (exclude != null && exclude.contains(i)) continue;
            float[] r = rows.row(i);   // a bulk copy out of the mapped file (much faster than element reads)
            double s = dot(query, r) * invNorm[i];
            if (size < k) {
                hs[size] = s;
                hi[size] = i;
                siftUp(hs, hi, size++);
            } else if (better(s, i, hs[0], hi[0])) {
                hs[0] = s;
                hi[0] = i;
                siftDown(hs, hi, size);
            }
        }
        return sorted(hs, hi, size);
    }

    /**
     * The {@code k} rows most similar to each of the first {@code n} rows of {@code queries}, most similar first: the
     * batched form of {@link #topK} for whole evaluations. Similarities are float32 matrix products (LibTorch, as
     * faiss's {@code IndexFlatIP} computes them) over chunks of the index rows, so the index never has to fit in memory
     * at once; ties still go to the lower id. {@link #topK} (float64, one query) is the reference it is tested against.
     */
    public int[][] topKAll(Embeddings queries, int n, int k) {
        return topKAll(queries, n, k, (int) Math.max(256, Math.min(rows.rows(), (8L << 20) / Math.max(1, n))));   // about 32 MiB of scores
    }

    int[][] topKAll(Embeddings queries, int n, int k, int chunk) {
        if (queries.dim() != rows.dim())
            throw new IllegalArgumentException("cosine index: queries have " + queries.dim() + " columns but the index rows have " + rows.dim());
        if (k > rows.rows()) throw new IllegalArgumentException("cosine index: " + k + " neighbours requested from " + rows.rows() + " rows");
        int d = rows.dim();
        double[][] hs = new double[n][k];
        int[][] hi = new int[n][k];
        int[] size = new int[n];
        org.leverplus.torch.TorchRuntime.init();
        try (org.leverplus.torch.TensorScope scope = org.leverplus.torch.TensorScope.open()) {
            float[] q = new float[n * d];
            for (int i = 0; i < n; i++) {
                float[] r = queries.row(i);
                double norm = Math.sqrt(dot(r, r));
                for (int j = 0; j < d; j++) q[i * d + j] = norm == 0 ? 0f : (float) (r[j] / norm);
            }
            org.bytedeco.pytorch.Tensor qt = org.leverplus.selector.Tensors.floats(q, n, d);
            for (int from = 0; from < rows.rows(); from += chunk) {
                int c = Math.min(chunk, rows.rows() - from);
                float[] block = new float[c * d];
                for (int i = 0; i < c; i++) {
                    float[] r = rows.row(from + i);
                    float inv = (float) invNorm[from + i];
                    for (int j = 0; j < d; j++) block[i * d + j] = r[j] * inv;
                }
                float[] sims;
                try (org.leverplus.torch.TensorScope inner = org.leverplus.torch.TensorScope.open()) {
                    sims = org.leverplus.selector.Tensors.toFloats(qt.mm(org.leverplus.selector.Tensors.floats(block, c, d).t()).contiguous());
                }
                for (int a = 0; a < n; a++) {
                    double[] hsA = hs[a];
                    int[] hiA = hi[a];
                    for (int i = 0; i < c; i++) {
                        double sv = sims[a * c + i];
                        int id = from + i;
                        if (size[a] < k) {
                            hsA[size[a]] = sv;
                            hiA[size[a]] = id;
                            siftUp(hsA, hiA, size[a]++);
                        } else if (better(sv, id, hsA[0], hiA[0])) {
                            hsA[0] = sv;
                            hiA[0] = id;
                            siftDown(hsA, hiA, k);
                        }
                    }
                }
            }
        }
        int[][] out = new int[n][];
        for (int a = 0; a < n; a++) out[a] = sorted(hs[a], hi[a], size[a]);
        return out;
    }

    private static int[] sorted(double[] hs, int[] hi, int size) {
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> better(hs[a], hi[a], hs[b], hi[b]) ? -1 : better(hs[b], hi[b], hs[a], hi[a]) ? 1 : 0);
        int[] out = new int[size];
        for (int i = 0; i < size; i++) out[i] = hi[order[i]];
        return out;
    }

    /** Whether (s1, i1) ranks before (s2, i2): higher similarity, then lower id. */
    static boolean better(double s1, int i1, double s2, int i2) {
        return s1 > s2 || (s1 == s2 && i1 < i2);
    }

    private static void siftUp(double[] s, int[] id, int i) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!better(s[p], id[p], s[i], id[i])) break;   // parent is worse: fine
            swap(s, id, i, p);
            i = p;
        }
    }

    private static void siftDown(double[] s, int[] id, int n) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, w = i;
            if (l < n && better(s[w], id[w], s[l], id[l])) w = l;
            if (r < n && better(s[w], id[w], s[r], id[r])) w = r;
            if (w == i) return;
            swap(s, id, i, w);
            i = w;
        }
    }

    private static void swap(double[] s, int[] id, int a, int b) {
        double t = s[a]; s[a] = s[b]; s[b] = t;
        int u = id[a]; id[a] = id[b]; id[b] = u;
    }

    static void copyRow(Embeddings e, int i, float[] into) {
        for (int j = 0; j < into.length; j++) into[j] = e.get(i, j);
    }

    /** Float64 dot product, four independent partial sums (instruction-level parallelism; the order is fixed). */
    static double dot(float[] a, float[] b) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0, n = a.length;
        for (; j + 3 < n; j += 4) {
            s0 += (double) a[j] * b[j];
            s1 += (double) a[j + 1] * b[j + 1];
            s2 += (double) a[j + 2] * b[j + 2];
            s3 += (double) a[j + 3] * b[j + 3];
        }
        for (; j < n; j++) s0 += (double) a[j] * b[j];
        return (s0 + s1) + (s2 + s3);
    }
}
