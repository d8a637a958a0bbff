package org.leverplus.reward;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * GRPO group advantages (spec section 10.5, "plan 5" default):
 * {@code A = clamp((r − mean)/max(std_unbiased, 0.1), −5, 5)}, or the rank alternative {@code 1 − 2·rank/(k−1)}.
 */
public final class GrpoAdvantages {
    /** The std floor of the original. */
    public static final double STD_FLOOR = 0.1;
    /** The advantage clip of the original. */
    public static final double CLIP = 5.0;

    private GrpoAdvantages() {
    }

    /**
     * Z-score advantages with std floor 0.1 and clip ±5. A group of one candidate gets advantage 0 (its std is
     * undefined; we use the floor, and r − mean is 0).
     */
    public static double[] zScore(double[] r) {
        double m = GroupNormalization.mean(r);
        double std = r.length < 2 ? 0.0 : GroupNormalization.stdUnbiased(r);
        double denom = Math.max(std, STD_FLOOR);
        double[] a = new double[r.length];
        for (int i = 0; i < r.length; i++) a[i] = Math.max(-CLIP, Math.min(CLIP, (r[i] - m) / denom));
        return a;
    }

    /** The rank alternative ({@code use_rank=True}): {@code 1 − 2·rank/(k−1)}, rank 0 = best; 0 for k = 1. */
    public static double[] rank(double[] r) {
        return GroupNormalization.rank(r);
    }

    /**
     * Indices of the {@code k} highest rewards, best first (the curriculum's {@code torch.topk}); ties keep file order.
     * When {@code k >= r.length} all indices are returned in their original order, as the trainer then skips top-k.
     */
    public static int[] topK(double[] r, int k) {
        if (k >= r.length) return IntStream.range(0, r.length).toArray();
        Integer[] order = IntStream.range(0, r.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> r[i]).reversed());
        int[] out = new int[k];
        for (int i = 0; i < k; i++) out[i] = order[i];
        return out;
    }
}
