package org.leverplus.train;

import org.leverplus.reward.RewardGroup;

/**
 * One query group as the trainer consumes it: the query's embedding row, its candidate pool (global ids), the
 * candidate sequences as pool positions and their rewards.
 *
 * @param rceRewards rewards the RCE weights use (raw by default, see RewardConfig.rceUseRawReward)
 */
public record TrainGroup(String key, int queryIndex, int[] pool, int[][] labels,
                         double[] rawRewards, double[] normalizedRewards, double[] rceRewards) {
    public static TrainGroup of(RewardGroup g) {
        return new TrainGroup(g.queryKey(), g.queryIndex(), g.pool(), g.labels(), g.rawRewards(), g.normalizedRewards(), g.rceRewards());
    }

    public int size() { return labels.length; }

    public int shots() { return labels.length == 0 ? 0 : labels[0].length; }

    /** The same group restricted to candidates {@code idx} (GRPO's top-k curriculum). */
    public TrainGroup subset(int[] idx) {
        int[][] l = new int[idx.length][];
        double[] r = new double[idx.length], n = new double[idx.length], c = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            l[i] = labels[idx[i]];
            r[i] = rawRewards[idx[i]];
            n[i] = normalizedRewards[idx[i]];
            c[i] = rceRewards[idx[i]];
        }
        return new TrainGroup(key, queryIndex, pool, l, r, n, c);
    }
}
