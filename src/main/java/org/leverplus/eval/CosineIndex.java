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
        float[] r = new float[rows.dim()];
        for (int i = 0; i < rows.rows(); i++) {
            if (exclude != null && exclude.contains(i)) continue;
            copyRow(rows, i, r);
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

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) s += (double) a[j] * b[j];
        return s;
    }
}
