package org.leverplus.train;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.selector.Tensors;

import java.util.List;

/**
 * B query groups as padded tensors: pools padded to the largest K (masked), candidate lists padded to the largest N
 * (weight 0). With one group nothing is padded and the tensors are exactly the original's per-step inputs.
 *
 * @param query   [B,d]
 * @param pool    [B,K,d]
 * @param poolPad [B,K] bool, or null when no pool is padded
 * @param labels  [B*N,S] int64 pool positions (padded rows repeat row 0 of their group)
 * @param valid   [B][N] whether a row is a real candidate
 */
public record GroupBatch(List<TrainGroup> groups, int n, int k, int shots, Tensor query, Tensor pool, Tensor poolPad,
                         Tensor labels, boolean[][] valid) {

    public static GroupBatch of(List<TrainGroup> groups, Tensor embeddings) {
        int b = groups.size();
        int n = 0, k = 0, s = groups.get(0).shots();
        for (TrainGroup g : groups) {
            n = Math.max(n, g.size());
            k = Math.max(k, g.pool().length);
            if (g.shots() != s) throw new IllegalArgumentException("query " + g.key() + ": sequences of " + g.shots()
                    + " shots cannot share a batch with " + s + "-shot sequences (use --batch-groups 1)");
        }
        long rowsEmb = embeddings.size(0);
        long[] qIdx = new long[b];
        long[] pIdx = new long[b * k];
        boolean[] pad = new boolean[b * k];
        boolean anyPad = false;
        long[] lab = new long[b * n * s];
        boolean[][] valid = new boolean[b][n];
        for (int i = 0; i < b; i++) {
            TrainGroup g = groups.get(i);
            qIdx[i] = checkRow(g.queryIndex(), rowsEmb, g.key(), "query");
            for (int j = 0; j < k; j++) {
                if (j < g.pool().length) pIdx[i * k + j] = checkRow(g.pool()[j], rowsEmb, g.key(), "pool");
                else { pad[i * k + j] = true; anyPad = true; }
            }
            for (int r = 0; r < n; r++) {
                valid[i][r] = r < g.size();
                int[] src = g.labels()[r < g.size() ? r : 0];
                for (int t = 0; t < s; t++) {
                    if (src[t] < 0 || src[t] >= g.pool().length)
                        throw new IllegalArgumentException("query " + g.key() + ": label " + src[t] + " outside its pool of " + g.pool().length);
                    lab[(i * n + r) * s + t] = src[t];
                }
            }
        }
        long d = embeddings.size(1);
        org.bytedeco.pytorch.Device dev = embeddings.device();
        boolean cpu = embeddings.is_cpu();
        Tensor q = embeddings.index_select(0, on(Tensors.longs(qIdx, b), dev, cpu));
        Tensor p = embeddings.index_select(0, on(Tensors.longs(pIdx, (long) b * k), dev, cpu)).reshape(b, k, d);
        return new GroupBatch(groups, n, k, s, q, p, anyPad ? on(Tensors.bools(pad, b, k), dev, cpu) : null,
                on(Tensors.longs(lab, (long) b * n, s), dev, cpu), valid);
    }

    /** The batch tensors live where the embedding matrix lives (CPU, or a CUDA device). */
    private static Tensor on(Tensor t, org.bytedeco.pytorch.Device dev, boolean cpu) {
        return cpu ? t : t.to(dev, t.scalar_type(), false, false, new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    private static long checkRow(int row, long rows, String key, String what) {
        if (row < 0 || row >= rows) throw new IllegalArgumentException("query " + key + ": " + what + " index " + row
                + " outside the embedding matrix of " + rows + " rows");
        return row;
    }

    public int groupCount() { return groups.size(); }

    /** A [B,N] float tensor from per-group values (padded rows get {@code padValue}). */
    public Tensor perRow(java.util.function.Function<TrainGroup, double[]> values, float padValue) {
        int b = groups.size();
        float[] out = new float[b * n];
        for (int i = 0; i < b; i++) {
            double[] v = values.apply(groups.get(i));
            for (int r = 0; r < n; r++) out[i * n + r] = r < v.length ? (float) v[r] : padValue;
        }
        return on(Tensors.floats(out, b, n), query.device(), query.is_cpu());
    }

    /** [B,N] float mask: 1 for real candidates, 0 for padding. */
    public Tensor validMask() {
        return perRow(g -> { double[] one = new double[g.size()]; java.util.Arrays.fill(one, 1.0); return one; }, 0f);
    }

    static Tensor zeros(long... shape) { return torch.zeros(shape); }
}
