package org.leverplus.reward;

/** The per-candidate weights of the RCE loss (spec section 10.3): {@code w = softmax(r / τ)} over one group. */
public final class RceWeights {
    private RceWeights() {
    }

    /** {@code softmax(r / temperature)}, computed stably (max subtracted). */
    public static double[] softmax(double[] r, double temperature) {
        if (!(temperature > 0)) throw new IllegalArgumentException("RCE temperature: expected > 0 but found " + temperature);
        double max = Double.NEGATIVE_INFINITY;
        for (double v : r) max = Math.max(max, v / temperature);
        double[] w = new double[r.length];
        double sum = 0;
        for (int i = 0; i < r.length; i++) {
            w[i] = Math.exp(r[i] / temperature - max);
            sum += w[i];
        }
        for (int i = 0; i < r.length; i++) w[i] /= sum;
        return w;
    }

    /**
     * The original's optional rank weighting ({@code use_rank_normalization}, off by default):
     * {@code softmax((rank/(N−1))/τ)} with ASCENDING ranks, so the highest reward gets rank N−1 → 1.0.
     * A single candidate gets weight 1.
     */
    public static double[] rankSoftmax(double[] r, double temperature) {
        int n = r.length;
        if (n == 1) return new double[]{1.0};
        int[] desc = GroupNormalization.descendingRanks(r);
        double[] scaled = new double[n];
        for (int i = 0; i < n; i++) scaled[i] = (double) (n - 1 - desc[i]) / (n - 1);
        return softmax(scaled, temperature);
    }
}
