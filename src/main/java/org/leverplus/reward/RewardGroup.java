package org.leverplus.reward;

import org.leverplus.data.RlCandidate;

import java.util.List;

/**
 * One training group (one query) as Lever-Plus's {@code RLBeamDatasetWithEmbedding} yields it (spec sections 9.2,
 * 9.3, 15.2), built by {@link RewardGroups#build}.
 *
 * @param queryKey          the query's key in the RL file
 * @param queryIndex        the query's global index (row of the embedding matrix)
 * @param pool              global indices of the candidate pool, K_q items ({@code cand_emb = emb[pool]})
 * @param labels            [N][S] local positions in {@code pool} ({@code beam_labels}), step order = prompt order
 * @param rawRewards        [N] rewards of the kept candidates ({@code beam_rewards_raw})
 * @param normalizedRewards [N] the group-normalised rewards ({@code beam_rewards})
 * @param rceRewards        [N] what RCE weights use: raw or normalised per {@code rce_use_raw_reward}
 * @param candidates        the N kept candidates (same order)
 */
public record RewardGroup(String queryKey, int queryIndex, int[] pool, int[][] labels,
                          double[] rawRewards, double[] normalizedRewards, double[] rceRewards,
                          List<RlCandidate> candidates) {
    /** N, the number of candidate sequences. */
    public int size() {
        return labels.length;
    }

    /** S, the shot count (length of each sequence). */
    public int shots() {
        return labels.length == 0 ? 0 : labels[0].length;
    }
}
