package org.leverplus.reward;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Per-query-group reward normalisation exactly as Lever-Plus's {@code RLBeamDatasetWithEmbedding.__getitem__}
 * (spec section 9.3). Groups are normalised on their own, never across queries.
 */
public final class GroupNormalization {
    /** The trainer's "std is zero" threshold. */
    public static final double STD_EPS = 1e-12;

    private GroupNormalization() {
    }

    /** Applies {@code method} ({@code clamp} is used by {@link NormalizeMethod#Z_SCORE_CLAMP} only). */
    public static double[] apply(double[] r, NormalizeMethod method, double clamp) {
        return switch (method) {
            case Z_SCORE -> zScore(r);
            case Z_SCORE_CLAMP -> zScoreClamp(r, clamp);
            case RANK_NORMALIZE -> rank(r);
        };
    }

    /** Mean of {@code r}. */
    public static double mean(double[] r) {
        double s = 0;
        for (double v : r) s += v;
        return s / r.length;
    }

    /** Unbiased (N−1) standard deviation, torch's default; NaN for a single value, as torch gives. */
    public static double stdUnbiased(double[] r) {
        if (r.length < 2) return Double.NaN;
        double m = mean(r), ss = 0;
        for (double v : r) ss += (v - m) * (v - m);
        return Math.sqrt(ss / (r.length - 1));
    }

    /** {@code (r − mean)/std} if {@code std > 1e-12}, else a copy of {@code r} (also for N = 1, where std is NaN). */
    public static double[] zScore(double[] r) {
        double std = stdUnbiased(r);
        if (!(std > STD_EPS)) return r.clone();
        double m = mean(r);
        double[] out = new double[r.length];
        for (int i = 0; i < r.length; i++) out[i] = (r[i] - m) / std;
        return out;
    }

    /** {@link #zScore}, then clamped to {@code [−clamp, clamp]} (the raw copy of a flat group is clamped too). */
    public static double[] zScoreClamp(double[] r, double clamp) {
        double[] z = zScore(r);
        for (int i = 0; i < z.length; i++) z[i] = Math.max(-clamp, Math.min(clamp, z[i]));
        return z;
    }

    /**
     * {@code 1 − 2·rank/(N−1)} with rank 0 for the highest reward; 0 for a single candidate. Ties (left unspecified
     * by torch.sort) are broken by position: the earlier candidate gets the better rank.
     */
    public static double[] rank(double[] r) {
        int n = r.length;
        double[] out = new double[n];
        if (n <= 1) return out;
        int[] ranks = descendingRanks(r);
        for (int i = 0; i < n; i++) out[i] = 1.0 - 2.0 * ranks[i] / (n - 1);
        return out;
    }

    /** rank[i] = position of candidate i when sorted by reward descending (stable). */
    static int[] descendingRanks(double[] r) {
        Integer[] order = IntStream.range(0, r.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> r[i]).reversed());
        int[] ranks = new int[r.length];
        for (int pos = 0; pos < order.length; pos++) ranks[order[pos]] = pos;
        return ranks;
    }
}
